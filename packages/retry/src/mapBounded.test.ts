import { describe, expect, it } from 'vitest';
import { RetryOptionsError } from './errors.js';
import { mapBounded } from './mapBounded.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('mapBounded', () => {
  it('never has more than the limit in flight and returns the results in input order', async () => {
    let inFlight = 0;
    let peak = 0;

    const results = await mapBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n, index) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      // Later items finish first, so the order of completion is not the order of input.
      for (let i = 0; i < 8 - n; i++) await tick();
      inFlight -= 1;
      return `${index}:${n * 10}`;
    });

    expect(peak).toBe(3);
    expect(results).toEqual(['0:10', '1:20', '2:30', '3:40', '4:50', '5:60', '6:70']);
  });

  it('starts nothing after a failure, waits for the calls in flight, then throws the first error', async () => {
    const started: number[] = [];
    let settled = 0;

    const run = mapBounded([1, 2, 3, 4, 5], 2, async (n) => {
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

  it('returns an empty list for no items', async () => {
    await expect(mapBounded([], 4, async () => 1)).resolves.toEqual([]);
  });

  it.each([0, 1.5, Number.NaN])('rejects a limit of %s naming the field', async (limit) => {
    await expect(mapBounded([1], limit, async () => 1)).rejects.toMatchObject({
      constructor: RetryOptionsError,
      code: 'INVALID_OPTIONS',
      field: 'limit',
    });
  });
});
