import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/processes.js';
import { parseEnvFile } from '../../src/stackEnv.js';
import { readState } from '../../src/stateFile.js';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const run = promisify(execFile);

async function localStack(
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

describe('local-stack CLI', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'local-stack-cli-'));
  afterAll(async () => {
    await localStack(stateDir, 'down');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts a stack that outlives `up`, describes it with status and env, and stops it with down', async () => {
    const up = await localStack(stateDir, 'up');
    expect(up.code).toBe(0);
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
    expect((await localStack(stateDir, 'env')).stdout).toBe(up.stdout);
    expect((await localStack(stateDir, 'up')).stderr).toContain('already running');

    const down = await localStack(stateDir, 'down');

    expect(down.code).toBe(0);
    expect(state.processes.some((p) => isAlive(p.pid))).toBe(false);
    expect((await localStack(stateDir, 'status')).code).toBe(1);
    expect((await localStack(stateDir, 'env')).code).toBe(1);
  });

  it('rejects an unknown command with the usage', async () => {
    const result = await localStack(stateDir, 'start');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: local-stack <command>');
  });
});
