import { describe, expect, it } from 'vitest';
import { workerFileFor } from './workerFile.js';

describe('workerFileFor', () => {
  it.each([
    ['file:///app/node_modules/@marketplace/worker-pool/dist/index.js', 'dist/worker.js'],
    ['file:///app/node_modules/@marketplace/worker-pool/dist/index.cjs', 'dist/worker.cjs'],
    ['file:///repo/packages/worker-pool/src/ReducerPool.ts', 'src/worker-shim.mjs'],
  ])('picks the worker next to %s', (moduleUrl, expected) => {
    expect(workerFileFor(moduleUrl).href.endsWith(expected)).toBe(true);
  });
});
