import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCapacity } from './cli.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('docs/capacity.md', () => {
  it('is what pnpm capacity:doc generates from the committed bench/results/latest.json', () => {
    let generated = '';
    const code = runCapacity(['--doc'], {
      stdout: (t) => (generated += t),
      stderr: (t) => {
        throw new Error(t);
      },
      cwd: repoRoot,
    });
    expect(code).toBe(0);
    const committed = readFileSync(`${repoRoot}docs/capacity.md`, 'utf8');
    // On a difference: run `pnpm capacity:doc` and commit docs/capacity.md with the change.
    expect(committed).toBe(generated);
  });

  it('plans 1k, 10k and 100k events/s with 1M, 10M and 100M products', () => {
    const committed = readFileSync(`${repoRoot}docs/capacity.md`, 'utf8');
    for (const rate of ['1,000', '10,000', '100,000'])
      for (const products of ['1,000,000', '10,000,000', '100,000,000'])
        expect(committed).toContain(`### ${rate} events/s, ${products} products\n`);
  });
});
