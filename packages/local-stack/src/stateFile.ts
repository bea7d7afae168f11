import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { LocalStackError } from './errors.js';
import type { LocalStackProcess } from './localStack.js';
import { isAlive } from './processes.js';
import type { LocalStackEndpoints } from './stackEnv.js';

/** What `local-stack up` records so that `down`, `status` and `env` find the stack. */
export interface StackState {
  version: 1;
  startedAt: string;
  /** Folder with the servers' data and logs (removed by `down`). */
  dir: string;
  endpoints: LocalStackEndpoints;
  processes: LocalStackProcess[];
}

/**
 * Folder of the state file: `$LOCAL_STACK_STATE_DIR`, else `.local-stack/` at the workspace root
 * (nearest folder with `pnpm-workspace.yaml` above `cwd`), else `<os tmp>/local-stack`.
 */
export function stateDir(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOCAL_STACK_STATE_DIR) return resolve(env.LOCAL_STACK_STATE_DIR);
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return join(dir, '.local-stack');
    const parent = dirname(dir);
    if (parent === dir) return join(tmpdir(), 'local-stack');
    dir = parent;
  }
}

/** Path of the state file in `dir`. */
export function stateFilePath(dir: string): string {
  return join(dir, 'state.json');
}

function isEndpoints(value: unknown): value is LocalStackEndpoints {
  const v = value as Partial<LocalStackEndpoints> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray(v.kafkaBrokers) &&
    typeof v.dynamodbEndpoint === 'string' &&
    typeof v.s3Endpoint === 'string' &&
    typeof v.region === 'string' &&
    typeof v.credentials?.accessKeyId === 'string' &&
    typeof v.credentials?.secretAccessKey === 'string'
  );
}

/** Parses and validates a state file's text. @throws {LocalStackError} `STATE_FILE_INVALID`. */
export function parseState(text: string, source = 'state file'): StackState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LocalStackError('STATE_FILE_INVALID', `${source} is not JSON`, { cause: error });
  }
  const v = value as Partial<StackState> | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    v.version !== 1 ||
    typeof v.dir !== 'string' ||
    typeof v.startedAt !== 'string' ||
    !isEndpoints(v.endpoints) ||
    !Array.isArray(v.processes) ||
    !v.processes.every((p) => Number.isInteger(p?.pid) && p.pid > 0 && typeof p.logFile === 'string')
  ) {
    throw new LocalStackError('STATE_FILE_INVALID', `${source} does not describe a local stack (version 1)`);
  }
  return v as StackState;
}

/** Reads the state file in `dir`, or `undefined` when there is none. */
export function readState(dir: string): StackState | undefined {
  const file = stateFilePath(dir);
  if (!existsSync(file)) return undefined;
  return parseState(readFileSync(file, 'utf8'), file);
}

/** Writes the state file atomically (temp file + rename). */
export function writeState(dir: string, state: StackState): string {
  mkdirSync(dir, { recursive: true });
  const file = stateFilePath(dir);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, file);
  return file;
}

/** Removes the state file (no error when absent). */
export function removeState(dir: string): void {
  rmSync(stateFilePath(dir), { force: true });
}

/** Which of the recorded processes are still alive. */
export function liveProcesses(state: StackState): LocalStackProcess[] {
  return state.processes.filter((p) => isAlive(p.pid));
}
