/**
 * Helpers of the app's end-to-end tests: build the app once, run `dist/main.js` as a child
 * process, read its HTTP endpoints. Not a test file itself.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { type Dirent, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

const run = promisify(execFile);

/** The app's folder and the repository root. */
export const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
export const ROOT_DIR = fileURLToPath(new URL('../../..', import.meta.url));
export const MAIN = join(APP_DIR, 'dist', 'main.js');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Builds the app and the packages it depends on (turbo: a no-op when nothing changed). Test files
 * run in parallel, so builds are serialised with a lock directory.
 */
export async function ensureBuilt(): Promise<void> {
  if (isBuildFresh()) return;
  const lock = join(tmpdir(), 'analytics-service-test-build.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      if (!lockOwnerAlive(lock)) {
        // Left behind by a run that was killed: take it over.
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for too long`);
      await sleep(200);
    }
  }
  try {
    if (isBuildFresh()) return; // built by another test file meanwhile
    await run(
      'pnpm',
      ['turbo', 'run', 'build', '--filter=@marketplace/analytics-service...', '--output-logs=errors-only'],
      { cwd: ROOT_DIR, maxBuffer: 64 * 1024 * 1024 },
    );
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Newest modification time of the files under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  let newest = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Whether `dist` of the app and of every workspace package is newer than all their sources, so
 * that a build (which rewrites `dist` files other test files' children may be loading) can be
 * skipped; after `pnpm build`, as in `pnpm check`, it is.
 */
function isBuildFresh(): boolean {
  const dirs = [
    APP_DIR,
    ...readdirSync(join(ROOT_DIR, 'packages')).map((name) => join(ROOT_DIR, 'packages', name)),
  ];
  for (const dir of dirs) {
    const built = join(dir, 'dist', dir === APP_DIR ? 'main.js' : 'index.js');
    let builtAt: number;
    try {
      builtAt = statSync(built).mtimeMs;
    } catch {
      return false;
    }
    const sourcesAt = Math.max(newestMtime(join(dir, 'src')), statSync(join(dir, 'package.json')).mtimeMs);
    if (sourcesAt > builtAt) return false;
  }
  return true;
}

/** Whether the process that took `lock` still runs (a lock being created counts as alive). */
function lockOwnerAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    return true;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Environment of a child: PATH and the like, without any stack or service variables of this process. */
export function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'JAVA_HOME', 'LANG', 'MAVEN_OPTS', 'M2_HOME'];
  const env: NodeJS.ProcessEnv = {};
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...extra };
}

/** A running child process of the app. */
export interface AppProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Base URL of the HTTP endpoints, from the app's log line (production mode). */
  url(timeoutMs?: number): Promise<string>;
  /** Sends SIGTERM and resolves with the exit code and how long the exit took. */
  terminate(): Promise<{ code: number | null; ms: number }>;
  /** Kills the process if it still runs (cleanup). */
  kill(): void;
}

/**
 * Starts `node dist/main.js ...args` with exactly `env`; with `viaPnpmStart`, runs the README's
 * command instead: `pnpm start -- ...args` from the repository root (turbo build, then the app).
 */
export function startApp(
  env: NodeJS.ProcessEnv,
  args: string[] = [],
  options: { viaPnpmStart?: boolean } = {},
): AppProcess {
  const child = options.viaPnpmStart
    ? spawn('pnpm', ['start', '--', ...args], { cwd: ROOT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [MAIN, ...args], { cwd: APP_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async url(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        for (const line of out.split('\n')) {
          if (!line.startsWith('{')) continue;
          try {
            const entry = JSON.parse(line) as { msg?: string; url?: string };
            if (entry.msg === 'HTTP endpoints listening' && entry.url) return entry.url;
          } catch {
            // a partial line: try again later
          }
        }
        if (done) break;
        await sleep(50);
      }
      throw new Error(`the app printed no HTTP address\nstdout:\n${out}\nstderr:\n${err}`);
    },
    async terminate() {
      const started = Date.now();
      child.kill('SIGTERM');
      const { code } = await exited;
      return { code, ms: Date.now() - started };
    },
    kill() {
      if (!done) child.kill('SIGKILL');
    },
  };
}

/** Polls `check` until it returns something other than `undefined`, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(200);
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms`, { cause: lastError });
}

/** The value of one sample line of a Prometheus text exposition (`undefined` when absent). */
export function metricValue(text: string, sample: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  }
  return undefined;
}

/**
 * Runs a one-shot command of the program (`dlq`, `new-epoch`, `rescale`, `reset`, `metrics`)
 * through `runMain` in this process, so that coverage sees it; resolves with its exit code and
 * what it wrote to stdout and stderr (its logs included). A command never asks to end the
 * process; if it did, the call rejects.
 */
export async function runInProcess(
  env: NodeJS.ProcessEnv,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { runMain } = await import('../src/main.js');
  const chunks = { stdout: '', stderr: '' };
  const writer = (key: 'stdout' | 'stderr') =>
    ({
      write: (text: string | Uint8Array) => {
        chunks[key] += typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  const code = await runMain(args, {
    stdout: writer('stdout'),
    stderr: writer('stderr'),
    env: { ...env },
    exit: (exitCode) => {
      throw new Error(`a one-shot command asked to exit the process (${exitCode})`);
    },
  });
  return { code: code ?? 0, ...chunks };
}

/**
 * Entities with live data in the raw metrics table, read with a plain Scan (not MetricsReader):
 * sellers and categories whose current partial rows sum to a non-zero count, and low-stock entries
 * not removed. Catches rows an oracle does not expect, which reading the expected ids cannot.
 */
export async function scanLiveEntities(
  dynamo: DynamoDBClient,
  table: string,
): Promise<{ sellers: string[]; categories: string[]; lowStock: string[] }> {
  const counts = new Map<string, number>();
  const lowStock: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = item.pk?.S ?? '';
      const sk = item.sk?.S ?? '';
      if (pk.startsWith('LOWSTOCK#')) {
        if (item.removed?.BOOL !== true) lowStock.push(sk);
      } else if (sk.startsWith('CUR#')) {
        const count = Number(item.totalProducts?.N ?? item.productCount?.N ?? '0');
        counts.set(pk, (counts.get(pk) ?? 0) + count);
      }
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  const live = (prefix: string) =>
    [...counts]
      .filter(([pk, count]) => pk.startsWith(prefix) && count > 0)
      .map(([pk]) => pk.slice(prefix.length))
      .sort();
  return { sellers: live('SELLER#'), categories: live('CATEGORY#'), lowStock: lowStock.sort() };
}
