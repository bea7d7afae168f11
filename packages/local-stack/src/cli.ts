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
import { rmSync } from 'node:fs';
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

const out = (text: string): void => void process.stdout.write(text);
const err = (text: string): void => void process.stderr.write(text);
const progress = (message: string): void => err(`local-stack: ${message}\n`);

function running(state: StackState | undefined): state is StackState {
  return state !== undefined && liveProcesses(state).length === state.processes.length;
}

async function stopRecorded(dir: string, state: StackState): Promise<void> {
  await Promise.all(
    state.processes.map(async (p) => {
      await stopPid(p.pid);
      progress(`stopped ${p.component} (pid ${p.pid})`);
    }),
  );
  rmSync(state.dir, { recursive: true, force: true });
  removeState(dir);
}

async function up(brokers: number): Promise<number> {
  const dir = stateDir();
  const existing = readState(dir);
  if (running(existing)) {
    progress(`already running (state ${dir}); \`pnpm stack down\` stops it`);
    return 0;
  }
  if (existing) {
    progress('found a stale state file (some servers are gone): cleaning up');
    await stopRecorded(dir, existing);
  }
  const stack = await startLocalStack({ detached: true, onProgress: progress, kafka: { brokers } });
  const state: StackState = {
    version: 1,
    startedAt: new Date().toISOString(),
    dir: stack.dir,
    endpoints: toEndpoints(stack),
    processes: [...stack.processes],
  };
  const file = writeState(dir, state);
  progress(`state written to ${file}`);
  for (const p of state.processes) {
    const node = p.nodeId === undefined ? '' : ` node ${p.nodeId}`;
    progress(`${p.component}${node}: pid ${p.pid}, log ${p.logFile}`);
  }
  err(`\nUse it from a shell with:  eval "$(pnpm --silent stack env)"\n\n`);
  out(formatEnvExports(toEnvVars(state.endpoints)));
  return 0;
}

async function down(): Promise<number> {
  const dir = stateDir();
  const state = readState(dir);
  if (!state) {
    progress('no local stack is recorded; nothing to stop');
    return 0;
  }
  await stopRecorded(dir, state);
  progress('stopped');
  return 0;
}

function status(): number {
  const state = readState(stateDir());
  if (!state) {
    out('local stack: not running\n');
    return 1;
  }
  const live = new Set(liveProcesses(state).map((p) => p.pid));
  out(`local stack started ${state.startedAt} (data ${state.dir})\n`);
  const endpoint: Record<string, string> = {
    kafka: state.endpoints.kafkaBrokers.join(','),
    dynamodb: state.endpoints.dynamodbEndpoint,
    s3: state.endpoints.s3Endpoint,
  };
  for (const p of state.processes) {
    const name = p.nodeId === undefined ? p.component : `${p.component}-${p.nodeId}`;
    out(
      `  ${name.padEnd(9)} ${live.has(p.pid) ? 'running' : 'STOPPED'}  pid ${p.pid}  ${endpoint[p.component] ?? ''}  log ${p.logFile}\n`,
    );
  }
  return live.size === state.processes.length ? 0 : 1;
}

function env(): number {
  const state = readState(stateDir());
  if (!running(state)) {
    err('local-stack: no running local stack; start one with `pnpm stack up`\n');
    return 1;
  }
  out(formatEnvExports(toEnvVars(state.endpoints)));
  return 0;
}

async function prepare(): Promise<number> {
  checkPrerequisites(true);
  const classpaths = await prepareJavaServers({ onProgress: progress });
  const jars = (cp: string) => cp.split(':').length;
  progress(
    `ready: Kafka broker (${jars(classpaths.kafka)} jars), S3Proxy (${jars(classpaths.s3proxy)} jars)`,
  );
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'up') {
    const parsed = parseUpArgs(rest);
    if (typeof parsed === 'string') {
      err(`local-stack: ${parsed}\n\n${USAGE}`);
      return 2;
    }
    return up(parsed.brokers);
  }
  if (rest.length > 0) {
    err(`local-stack: unexpected arguments: ${rest.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  switch (command) {
    case 'down':
      return down();
    case 'status':
      return status();
    case 'env':
      return env();
    case 'prepare':
      return prepare();
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      err(`local-stack: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof LocalStackError) {
      err(error.message.startsWith('local-stack') ? `${error.message}\n` : `local-stack: ${error.message}\n`);
    } else {
      err(`local-stack: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  },
);
