/**
 * The pinned runtime: every script runs on the Node.js version the root package.json pins as its
 * `node` devDependency (node_modules/.bin/node, which pnpm puts first on PATH). `.ci/run` also
 * runs the unit tests on the other supported majors; it names the version it brings in
 * EXPECTED_NODE_VERSION.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const rootManifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  devDependencies: Record<string, string>;
  engines: { node: string };
};
const pinned = rootManifest.devDependencies['node'];
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by .ci/run for the runs on other majors
const expected = `v${process.env.EXPECTED_NODE_VERSION ?? pinned}`;

function versionInWorkerThread(): Promise<string> {
  const worker = new Worker("require('node:worker_threads').parentPort.postMessage(process.version)", {
    eval: true,
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (version: string) => {
      void worker.terminate();
      resolve(version);
    });
    worker.once('error', reject);
  });
}

describe('runtime', () => {
  it('pins an exact Node.js version inside the supported range (>=22)', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(rootManifest.engines.node).toBe('>=22');
    expect(Number(pinned?.split('.')[0])).toBeGreaterThanOrEqual(22);
  });

  it('runs the test worker on the expected runtime', () => {
    expect(process.version).toBe(expected);
  });

  it('runs worker threads on the expected runtime', async () => {
    expect(await versionInWorkerThread()).toBe(expected);
  });

  it('starts `node` from PATH (as scripts and child processes do) on the expected runtime', async () => {
    const { stdout } = await promisify(execFile)('node', ['-p', 'process.version']);
    expect(stdout.trim()).toBe(expected);
  });
});
