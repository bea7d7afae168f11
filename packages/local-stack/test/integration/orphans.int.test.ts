import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/processes.js';
import { eventually } from '../clients.js';

const fixture = fileURLToPath(new URL('../fixtures/holdStack.ts', import.meta.url));

async function startHolder(): Promise<{ child: ChildProcess; pids: number[]; dir: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
  });
  lines.close();
  return { child, ...(JSON.parse(first) as { pids: number[]; dir: string }) };
}

describe('servers never outlive the process that started them', () => {
  const children: Array<{ child: ChildProcess; dir: string }> = [];
  afterEach(() => {
    for (const { child, dir } of children.splice(0)) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)(
    'stops the servers when the parent gets %s',
    async (signal) => {
      const { child, pids, dir } = await startHolder();
      children.push({ child, dir });
      expect(pids.length).toBe(1);
      expect(pids.every(isAlive)).toBe(true);

      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, sig) => resolve(sig)),
      );
      child.kill(signal);

      // The stack's handler must not swallow the signal: the parent still ends by it.
      expect(await exited).toBe(signal);

      await eventually(() => (pids.every((pid) => !isAlive(pid)) ? true : undefined), 10_000, 50);
      if (signal !== 'SIGKILL') {
        // A signal the parent can handle also removes the stack's temporary folder.
        await eventually(() => (existsSync(dir) ? undefined : true), 10_000, 50);
      }
    },
  );
});
