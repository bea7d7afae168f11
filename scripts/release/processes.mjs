// Child-process helpers for the release scripts: run a command with a deadline, capture its
// output, and kill its whole process group on timeout (pnpm/npm spawn their own children).
import { spawn } from 'node:child_process';

/** Environment for a child: ours minus the npm_* / pnpm_* variables that `pnpm run` injects. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm|pnpm)_/i.test(key) || key === 'INIT_CWD' || key === 'PNPM_SCRIPT_SRC_DIR') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

const tail = (text, lines = 40) => text.trimEnd().split('\n').slice(-lines).join('\n');

/**
 * Runs `command args` and resolves with `{ code, stdout, stderr }`. Rejects (with the command,
 * exit code and the tail of both streams in the message) when it exits non-zero, unless
 * `allowFailure`, or when it runs longer than `timeoutMs` (then its process group is killed).
 */
export function run(command, args, { cwd, env, timeoutMs = 120_000, allowFailure = false, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: env ?? cleanEnv(),
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    if (input !== undefined) child.stdin.end(input);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const shown = `${command} ${args.join(' ')}${cwd ? ` (in ${cwd})` : ''}`;
      if (timedOut) {
        reject(new Error(`${shown} timed out after ${timeoutMs} ms\n${tail(stdout)}\n${tail(stderr)}`));
      } else if (code !== 0 && !allowFailure) {
        reject(
          new Error(
            `${shown} exited with ${code ?? signal}\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`,
          ),
        );
      } else {
        resolve({ code, stdout, stderr });
      }
    });
  });
}

/** Sends `signal` to the process group led by `pid` (spawned with `detached: true`). */
export function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Resolves true when `pid` has exited within `timeoutMs` (polled). */
export async function waitForExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
