#!/usr/bin/env node
/**
 * `local-stack` CLI (root script: `pnpm stack <command>`).
 *
 *   up       start Kafka, dynalite and S3Proxy detached; record PIDs/endpoints in the state file
 *            (`up --brokers 3`: a three-node Kafka cluster)
 *   down     stop the recorded servers by PID and remove their data
 *   status   show whether the recorded servers are running (exit 1 when not)
 *   env      print `export KAFKA_BROKERS=...` lines: eval "$(pnpm stack env)"
 *   prepare  only resolve the Java servers with Maven (CI does this before the tests)
 */
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MAX_KAFKA_BROKERS } from './defaults.js';
import { LocalStackError } from './errors.js';
import { startLocalStack } from './localStack.js';
import { checkPrerequisites, prepareJavaServers } from './maven.js';
import { parseUpArgs } from './parseUpArgs.js';
import { stopPid } from './processes.js';
import { formatEnvExports, toEndpoints, toEnvVars } from './stackEnv.js';
import { liveProcesses, readState, removeState, type StackState, stateDir, writeState } from './stateFile.js';

const USAGE = `Usage: local-stack <command>

Commands:
  up        start Kafka, DynamoDB (dynalite) and S3 (S3Proxy) in the background
            --brokers N   run N Kafka nodes (1-${MAX_KAFKA_BROKERS}; 3 = replication factor 3, min ISR 2)
  down      stop them
  status    show whether they run (exit code 1 when not)
  env       print export lines for the endpoints: eval "$(pnpm stack env)"
  prepare   resolve the Kafka broker and S3Proxy with Maven (needs Java 17+ and Maven 3.8+)

The state file lives in $LOCAL_STACK_STATE_DIR, else .local-stack/ at the workspace root.
`;

/** Where the CLI writes: results to `out` (stdout), progress and errors to `err` (stderr). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const progress = (io: CliIo, message: string): void => io.err(`local-stack: ${message}\n`);

const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

function running(state: StackState | undefined): state is StackState {
  return state !== undefined && liveProcesses(state).length === state.processes.length;
}

async function stopRecorded(io: CliIo, dir: string, state: StackState): Promise<void> {
  await Promise.all(
    state.processes.map(async (p) => {
      await stopPid(p.pid);
      progress(io, `stopped ${p.component} (pid ${p.pid})`);
    }),
  );
  rmSync(state.dir, { recursive: true, force: true });
  removeState(dir);
}

async function up(io: CliIo, brokers: number): Promise<number> {
  const dir = stateDir();
  const existing = readState(dir);
  if (running(existing)) {
    progress(io, `already running (state ${dir}); \`pnpm stack down\` stops it`);
    return 0;
  }
  if (existing) {
    progress(io, 'found a stale state file (some servers are gone): cleaning up');
    await stopRecorded(io, dir, existing);
  }
  const stack = await startLocalStack({
    detached: true,
    onProgress: (message) => progress(io, message),
    kafka: { brokers },
  });
  const state: StackState = {
    version: 1,
    startedAt: new Date().toISOString(),
    dir: stack.dir,
    endpoints: toEndpoints(stack),
    processes: [...stack.processes],
  };
  const file = writeState(dir, state);
  progress(io, `state written to ${file}`);
  for (const p of state.processes) {
    const node = p.nodeId === undefined ? '' : ` node ${p.nodeId}`;
    progress(io, `${p.component}${node}: pid ${p.pid}, log ${p.logFile}`);
  }
  io.err(`\nUse it from a shell with:  eval "$(pnpm --silent stack env)"\n\n`);
  io.out(formatEnvExports(toEnvVars(state.endpoints)));
  return 0;
}

async function down(io: CliIo): Promise<number> {
  const dir = stateDir();
  const state = readState(dir);
  if (!state) {
    progress(io, 'no local stack is recorded; nothing to stop');
    return 0;
  }
  await stopRecorded(io, dir, state);
  progress(io, 'stopped');
  return 0;
}

function status(io: CliIo): number {
  const state = readState(stateDir());
  if (!state) {
    io.out('local stack: not running\n');
    return 1;
  }
  const live = new Set(liveProcesses(state).map((p) => p.pid));
  io.out(`local stack started ${state.startedAt} (data ${state.dir})\n`);
  const endpoint: Record<string, string> = {
    kafka: state.endpoints.kafkaBrokers.join(','),
    dynamodb: state.endpoints.dynamodbEndpoint,
    s3: state.endpoints.s3Endpoint,
  };
  for (const p of state.processes) {
    const name = p.nodeId === undefined ? p.component : `${p.component}-${p.nodeId}`;
    io.out(
      `  ${name.padEnd(9)} ${live.has(p.pid) ? 'running' : 'STOPPED'}  pid ${p.pid}  ${endpoint[p.component] ?? ''}  log ${p.logFile}\n`,
    );
  }
  return live.size === state.processes.length ? 0 : 1;
}

function env(io: CliIo): number {
  const state = readState(stateDir());
  if (!running(state)) {
    io.err('local-stack: no running local stack; start one with `pnpm stack up`\n');
    return 1;
  }
  io.out(formatEnvExports(toEnvVars(state.endpoints)));
  return 0;
}

async function prepare(io: CliIo): Promise<number> {
  checkPrerequisites(true);
  const classpaths = await prepareJavaServers({ onProgress: (message) => progress(io, message) });
  const jars = (cp: string) => cp.split(':').length;
  progress(
    io,
    `ready: Kafka broker (${jars(classpaths.kafka)} jars), S3Proxy (${jars(classpaths.s3proxy)} jars)`,
  );
  return 0;
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'up') {
    const parsed = parseUpArgs(rest);
    if (typeof parsed === 'string') {
      io.err(`local-stack: ${parsed}\n\n${USAGE}`);
      return 2;
    }
    return up(io, parsed.brokers);
  }
  if (rest.length > 0) {
    io.err(`local-stack: unexpected arguments: ${rest.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  switch (command) {
    case 'down':
      return down(io);
    case 'status':
      return status(io);
    case 'env':
      return env(io);
    case 'prepare':
      return prepare(io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.err(`local-stack: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

/**
 * Runs one `local-stack` command (`up`, `down`, `status`, `env`, `prepare`, `help`) and resolves
 * to the process exit code: 0 done, 1 failed or not running, 2 bad usage. Never rejects: an
 * error is written to `io.err` (a {@link LocalStackError} by its message, anything else with its
 * stack) and gives 1. The state file is found by `stateDir()` (`$LOCAL_STACK_STATE_DIR`, else
 * `.local-stack/` at the workspace root).
 *
 * @example
 * ```ts
 * const code = await runCli(['status'], { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof LocalStackError) {
      io.err(
        error.message.startsWith('local-stack') ? `${error.message}\n` : `local-stack: ${error.message}\n`,
      );
    } else {
      io.err(`local-stack: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    return 1;
  }
}

/** Whether this module is the program Node.js was started with (also through the bin symlink). */
function isProgram(): boolean {
  const started = process.argv[1];
  return (
    started !== undefined && existsSync(started) && realpathSync(started) === fileURLToPath(import.meta.url)
  );
}

/* v8 ignore if -- the program entry: cli.int.test.ts runs it in a child process, whose coverage v8 does not collect here */
if (isProgram()) {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
