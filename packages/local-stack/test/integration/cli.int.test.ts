import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli.js';
import { isAlive } from '../../src/processes.js';
import { parseEnvFile } from '../../src/stackEnv.js';
import { readState, stateFilePath } from '../../src/stateFile.js';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const run = promisify(execFile);

/** The program itself, in a child process: proves the entry point runs the command and exits with its code. */
async function program(
  stateDir: string,
  command: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cli, command], {
      env: { ...process.env, LOCAL_STACK_STATE_DIR: stateDir },
      timeout: 150_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The same commands in this process (so coverage sees them), with the state file in `stateDir`. */
async function localStack(
  stateDir: string,
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  vi.stubEnv('LOCAL_STACK_STATE_DIR', stateDir);
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

/** A pid that surely belongs to no process: one of a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.pid']);
  return child.pid as number;
}

function writeStaleState(stateDir: string, dataDir: string): void {
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const endpoints = {
    kafkaBrokers: ['127.0.0.1:1'],
    dynamodbEndpoint: 'http://127.0.0.1:2',
    s3Endpoint: 'http://127.0.0.1:3',
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const state = {
    version: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    dir: dataDir,
    endpoints,
    processes: [{ component: 'zookeeper', pid: deadPid(), logFile: join(dataDir, 'old.log') }],
  };
  writeFileSync(stateFilePath(stateDir), JSON.stringify(state));
}

describe('local-stack CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'local-stack-cli-'));
  const stateDir = join(root, 'state');
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(async () => {
    await localStack(stateDir, 'down');
    rmSync(root, { recursive: true, force: true });
  });

  it('replaces a stale stack, describes the new one with status and env, and stops it with down', async () => {
    const staleData = join(root, 'stale-data');
    writeStaleState(stateDir, staleData);
    const stale = await localStack(stateDir, 'status');
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/zookeeper STOPPED {2}pid \d+ {4}log /);
    expect((await localStack(stateDir, 'env')).stderr).toContain('no running local stack');

    const up = await localStack(stateDir, 'up');

    expect(up.code).toBe(0);
    expect(up.stderr).toContain('found a stale state file');
    expect(up.stderr).toContain('kafka: ready after');
    const vars = parseEnvFile(up.stdout);
    const state = readState(stateDir)!;
    expect(state.processes.map((p) => p.component).sort()).toEqual(['dynamodb', 'kafka', 's3']);
    expect(state.processes.every((p) => isAlive(p.pid))).toBe(true);
    const admin = new Kafka({ brokers: vars.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    expect(cluster.brokers).toHaveLength(1);
    const status = await localStack(stateDir, 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(vars.S3_ENDPOINT);
    expect(status.stdout).toContain(
      `kafka     running  pid ${state.processes.find((p) => p.component === 'kafka')!.pid}`,
    );
    expect((await localStack(stateDir, 'env')).stdout).toBe(up.stdout);
    // The program in a child process sees the same stack through the state file.
    expect((await program(stateDir, 'env')).stdout).toBe(up.stdout);
    expect((await localStack(stateDir, 'up')).stderr).toContain('already running');

    const down = await localStack(stateDir, 'down');

    expect(down.code).toBe(0);
    expect(down.stderr).toContain('local-stack: stopped\n');
    expect(state.processes.some((p) => isAlive(p.pid))).toBe(false);
    const after = await localStack(stateDir, 'status');
    expect(after).toEqual({ code: 1, stdout: 'local stack: not running\n', stderr: '' });
    expect((await localStack(stateDir, 'env')).code).toBe(1);
    expect((await localStack(stateDir, 'down')).stderr).toContain('nothing to stop');
  });

  it('rejects an unknown command with the usage, in process and as a program', async () => {
    const inProcess = await localStack(stateDir, 'start');
    const asProgram = await program(stateDir, 'start');

    expect(inProcess.code).toBe(2);
    expect(inProcess.stderr).toContain('local-stack: unknown command "start"');
    expect(inProcess.stderr).toContain('Usage: local-stack <command>');
    expect(asProgram).toEqual({ code: 2, stdout: '', stderr: inProcess.stderr });
  });

  it.each([
    [[], 2, 'out'],
    [['help'], 0, 'out'],
    [['-h'], 0, 'out'],
    [['status', 'now'], 2, 'err'],
  ])('prints the usage for %j with exit code %i', async (argv, code, stream) => {
    const result = await localStack(stateDir, ...argv);

    expect(result.code).toBe(code);
    expect(stream === 'out' ? result.stdout : result.stderr).toContain('Usage: local-stack <command>');
  });

  it('refuses up with a bad broker count before starting anything, naming the argument', async () => {
    const result = await localStack(stateDir, 'up', '--brokers', '0');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('local-stack: --brokers: expected an integer from 1 to');
    expect(result.stderr).toContain('Usage: local-stack <command>');
    expect(result.stdout).toBe('');
  });

  it('reports an unreadable state file by its path, and other faults with their stack, with exit code 1', async () => {
    const corrupt = join(root, 'corrupt');
    mkdirSync(corrupt, { recursive: true });
    writeFileSync(stateFilePath(corrupt), '{ not json');
    const directory = join(root, 'directory');
    mkdirSync(stateFilePath(directory), { recursive: true });

    const invalid = await localStack(corrupt, 'status');
    const unreadable = await localStack(directory, 'status');

    expect(invalid).toEqual({
      code: 1,
      stdout: '',
      stderr: `local-stack: ${stateFilePath(corrupt)} is not JSON\n`,
    });
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/^local-stack: Error: EISDIR[^\n]*\n {4}at /);
  });

  it('prepare names the missing Java runtime', async () => {
    vi.stubEnv('JAVA_HOME', join(root, 'no-jdk'));

    const result = await localStack(stateDir, 'prepare');

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^local-stack needs Java 17\+ to run the Kafka broker and S3Proxy/);
  });

  it('prepare resolves the Kafka broker and S3Proxy and counts their jars', async () => {
    const result = await localStack(stateDir, 'prepare');

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/local-stack: ready: Kafka broker \(\d+ jars\), S3Proxy \(\d+ jars\)\n$/);
  });
});
