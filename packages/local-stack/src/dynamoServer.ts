import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { DynamoOptions } from './defaults.js';
import { choosePorts, LOOPBACK } from './ports.js';
import { type ManagedProcess, spawnServer } from './processes.js';
import { httpAnswers, waitUntilReady } from './readiness.js';

/** A running dynalite. */
export interface StartedDynamo {
  endpoint: string;
  process: ManagedProcess;
  dir: string;
}

/** Starts dynalite (in-memory) in a child Node process; resolves once it answers HTTP. */
export async function startDynamo(input: {
  dir: string;
  options: Required<DynamoOptions>;
  detached: boolean;
  progress: (message: string) => void;
}): Promise<StartedDynamo> {
  const [port] = (await choosePorts([input.options.port])) as [number];
  const cli = createRequire(import.meta.url).resolve('dynalite/cli.js');
  const logFile = join(input.dir, 'dynalite.log');
  const endpoint = `http://${LOOPBACK}:${port}`;
  input.progress(`dynamodb: starting dynalite on ${endpoint} (log ${logFile})`);
  const proc = spawnServer({
    component: 'dynamodb',
    command: process.execPath,
    args: [
      cli,
      '--host',
      LOOPBACK,
      '--port',
      String(port),
      '--createTableMs',
      String(input.options.createTableMs),
      '--deleteTableMs',
      String(input.options.deleteTableMs),
      '--updateTableMs',
      '0',
    ],
    cwd: input.dir,
    logFile,
    detached: input.detached,
  });
  try {
    await waitUntilReady(proc, () => httpAnswers(`${endpoint}/`), input.options.startTimeoutMs, 50);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { endpoint, process: proc, dir: input.dir };
}
