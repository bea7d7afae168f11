import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RetryOptionsError } from './errors.js';
import { withRetry } from './withRetry.js';

const throttled = (): Error => Object.assign(new Error('slow down'), { name: 'ThrottlingException' });

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('withRetry option messages', () => {
  it.each([
    [{ retries: -1 }, 'Invalid retry option `retries`: expected an integer >= 0, got -1'],
    [{ minDelayMs: -5 }, 'Invalid retry option `minDelayMs`: expected a finite number >= 0, got -5'],
    [
      { minDelayMs: 500, maxDelayMs: 100 },
      'Invalid retry option `maxDelayMs`: expected a finite number >= 500, got 100',
    ],
    [{ factor: 0.5 }, 'Invalid retry option `factor`: expected a finite number >= 1, got 0.5'],
    [
      { onRetry: 'log' as unknown as () => void },
      'Invalid retry option `onRetry`: expected a function, got "log"',
    ],
  ])('rejects %o with a message that says what was expected and what came', async (options, message) => {
    const error = (await withRetry(async () => 'never', options).catch(
      (e: unknown) => e,
    )) as RetryOptionsError;

    expect(error).toBeInstanceOf(RetryOptionsError);
    expect(error.message).toBe(message);
  });

  it('accepts the boundary values minDelayMs 0 and factor 1 and retries without waiting', async () => {
    let calls = 0;
    const fn = async (): Promise<string> => {
      calls += 1;
      if (calls < 3) throw throttled();
      return 'done';
    };

    const delays: number[] = [];
    const result = withRetry(fn, {
      minDelayMs: 0,
      factor: 1,
      random: () => 0.5,
      onRetry: ({ delayMs }) => delays.push(delayMs),
    });
    await vi.runAllTimersAsync();

    await expect(result).resolves.toBe('done');
    expect(calls).toBe(3);
    expect(delays).toEqual([0, 0]);
  });
});

describe('withRetry and the abort signal', () => {
  it('leaves no abort listener on a long-lived signal after retries that succeed', async () => {
    const controller = new AbortController();
    let calls = 0;
    const result = withRetry(
      async () => {
        calls += 1;
        if (calls < 4) throw throttled();
        return 'ok';
      },
      { signal: controller.signal, random: () => 0.5 },
    );
    await vi.runAllTimersAsync();

    await expect(result).resolves.toBe('ok');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('cancels the backoff timer and drops its listener when aborted during the backoff', async () => {
    const controller = new AbortController();
    const result = withRetry(
      async () => {
        throw throttled();
      },
      { signal: controller.signal, random: () => 0.5, minDelayMs: 60_000, maxDelayMs: 60_000 },
    ).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    expect(vi.getTimerCount()).toBe(1);

    controller.abort(new Error('SIGTERM'));
    await vi.advanceTimersByTimeAsync(0);

    expect(await result).toMatchObject({ code: 'ABORTED' });
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
