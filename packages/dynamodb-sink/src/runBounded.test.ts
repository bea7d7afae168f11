import { describe, expect, it } from 'vitest';
import { runBounded } from './runBounded.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('runBounded', () => {
  it('never has more than the limit in flight and runs every item', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];

    await runBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await tick();
      inFlight -= 1;
      done.push(n);
    });

    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('starts nothing after a failure, waits for the tasks in flight, then throws the first error', async () => {
    const started: number[] = [];
    let settled = 0;

    const run = runBounded([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await tick();
      settled += 1;
      if (n === 1) throw new Error('first');
      if (n === 2) throw new Error('second');
    });

    await expect(run).rejects.toThrow('first');
    expect(started).toEqual([1, 2]);
    expect(settled).toBe(2);
  });

  it('does nothing for an empty list', async () => {
    await expect(runBounded([], 4, async () => {})).resolves.toBeUndefined();
  });
});
