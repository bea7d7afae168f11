import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { STOP_GRACE_MS } from './defaults.js';
import type { LocalStackComponent } from './errors.js';

/** How a server process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A server process whose output goes to a log file. */
export interface ManagedProcess {
  readonly component: LocalStackComponent;
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  /** `true` once the process has exited. */
  readonly hasExited: () => boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /**
   * For a `detached` process: stop killing it when this process exits and let this process exit
   * while it runs. Until then (during start-up) it is killed with this process like any other.
   */
  release(): void;
}

/** Options of {@link spawnServer}. */
export interface SpawnServerOptions {
  component: LocalStackComponent;
  command: string;
  args: readonly string[];
  cwd: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Let the process outlive this one once {@link ManagedProcess.release} is called: own process
   * group and no parent-death signal.
   */
  detached: boolean;
}

const attached = new Set<ManagedProcess>();
let hooksInstalled = false;
let pdeathsig: boolean | undefined;

/** Whether `setpriv --pdeathsig` exists (Linux util-linux): the kernel then kills orphans. */
function canUsePdeathsig(): boolean {
  if (pdeathsig === undefined) {
    pdeathsig =
      process.platform === 'linux' && spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
  }
  return pdeathsig;
}

const foldersToRemove = new Set<string>();

/** Removes `dir` when this process exits or is stopped by a signal (unless unregistered first). */
export function removeOnExit(dir: string): () => void {
  foldersToRemove.add(dir);
  installExitHooks();
  return () => foldersToRemove.delete(dir);
}

function killAttachedSync(): void {
  for (const child of attached) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  attached.clear();
  for (const dir of foldersToRemove) rmSync(dir, { recursive: true, force: true });
  foldersToRemove.clear();
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function onSignal(signal: NodeJS.Signals): void {
  killAttachedSync();
  // When nobody else handles the signal, step aside and re-raise it so that the default action
  // (exit) still happens; otherwise the other handler decides and these hooks stay for later.
  if (process.listenerCount(signal) === 1) {
    uninstallExitHooks();
    process.kill(process.pid, signal);
  }
}

function uninstallExitHooks(): void {
  hooksInstalled = false;
  process.removeListener('exit', killAttachedSync);
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', killAttachedSync);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

/** Whether a process with this PID exists (signal 0 probe). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops a process by PID (the CLI's `down`): SIGTERM to it (and its process group when it leads
 * one), SIGKILL after `graceMs`. Resolves once it is gone.
 */
export async function stopPid(pid: number, graceMs: number = STOP_GRACE_MS): Promise<void> {
  const send = (signal: NodeJS.Signals): void => {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, signal);
      } catch {
        // not a group leader, or already gone
      }
    }
  };
  if (!isAlive(pid)) return;
  send('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) {
    send('SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (isAlive(pid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Spawns a server with stdout and stderr appended to `logFile`. Attached processes are killed
 * when this process exits or gets SIGINT/SIGTERM/SIGHUP, and on Linux also by the kernel if this
 * process dies hard (parent-death signal via `setpriv`).
 */
export function spawnServer(options: SpawnServerOptions): ManagedProcess {
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    const usePdeathsig = !options.detached && canUsePdeathsig();
    const command = usePdeathsig ? 'setpriv' : options.command;
    const args = usePdeathsig
      ? ['--pdeathsig', 'KILL', '--', options.command, ...options.args]
      : options.args;
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: options.detached,
    });
  } finally {
    closeSync(fd);
  }
  let exitInfo: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', () => {
      exitInfo = { code: null, signal: null };
      resolve(exitInfo);
    });
  });
  const pid = child.pid ?? -1;
  let stopping: Promise<void> | undefined;
  const managed: ManagedProcess = {
    component: options.component,
    pid,
    logFile: options.logFile,
    exited,
    hasExited: () => exitInfo !== undefined,
    stop(graceMs = STOP_GRACE_MS) {
      stopping ??= (async () => {
        if (exitInfo === undefined && pid > 0) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        attached.delete(managed);
      })();
      return stopping;
    },
    release() {
      if (!options.detached) return;
      attached.delete(managed);
      child.unref();
    },
  };
  attached.add(managed);
  installExitHooks();
  void exited.then(() => attached.delete(managed));
  return managed;
}

/** Runs a short-lived command (e.g. Kafka's storage format) with output appended to `logFile`. */
export async function runToCompletion(
  options: Omit<SpawnServerOptions, 'detached'>,
  timeoutMs: number,
): Promise<ProcessExit> {
  const proc = spawnServer({ ...options, detached: false });
  const timer = setTimeout(() => void proc.stop(0), timeoutMs);
  const result = await proc.exited;
  clearTimeout(timer);
  return result;
}
