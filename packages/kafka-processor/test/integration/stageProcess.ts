/**
 * The aggregate stage as a child process (test/fixtures/aggregateStage.ts), for tests that kill it
 * with SIGKILL, and the committed input progress they kill it at.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';

const FIXTURE = fileURLToPath(new URL('../fixtures/aggregateStage.ts', import.meta.url));

/** A running stage process: its exit code once it exits, and everything it printed so far. */
export interface StageProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

/** Starts the stage with `config` (see the fixture for its shape). */
export function startStage(config: object): StageProcess {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, AGGREGATE_STAGE_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Sum of the group's committed offsets over `topics` (messages consumed and committed). */
export async function committedCount(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
): Promise<bigint> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  let sum = 0n;
  for (const { partitions } of committed)
    for (const p of partitions) if (BigInt(p.offset) > 0n) sum += BigInt(p.offset);
  return sum;
}
