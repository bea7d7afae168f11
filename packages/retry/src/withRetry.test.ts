import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_RETRY_OPTIONS } from './defaults.js';
import { RetryError, RetryOptionsError } from './errors.js';
import { isRetryableError } from './isRetryableError.js';
import { backoffDelay, type RetryInfo, withRetry } from './withRetry.js';

const transient = (message = 'throttled'): Error =>
  Object.assign(new Error(message), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

/** Fails with a transient error `failures` times, then returns `value`. */
function flaky<T>(failures: number, value: T): ReturnType<typeof vi.fn<(attempt: number) => Promise<T>>> {
  return vi.fn(async (attempt: number) => {
    if (attempt <= failures) throw transient(`throttled #${attempt}`);
    return value;
  });
}

/** Settles a promise into a value we can inspect synchronously after advancing timers. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('withRetry', () => {
  it('returns the result of the first successful attempt without waiting', async () => {
    const fn = vi.fn(async () => 42);

    await expect(withRetry(fn)).resolves.toBe(42);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith(1);
  });

  it('accepts a synchronous function', async () => {
    await expect(withRetry(() => 'sync')).resolves.toBe('sync');
  });

  it('retries transient failures and resolves once an attempt succeeds', async () => {
    const fn = flaky(3, 'done');
    const result = track(withRetry(fn, { random: () => 0.5 }));

    await vi.runAllTimersAsync();

    expect(result).toEqual({ settled: true, value: 'done' });
    expect(fn.mock.calls.map(([attempt]) => attempt)).toEqual([1, 2, 3, 4]);
  });

  it('waits the jittered delay before each retry, not less', async () => {
    // random 0.5 with defaults: bounds 100, 200 -> delays 50, 100
    const fn = flaky(2, 'ok');
    const result = track(withRetry(fn, { random: () => 0.5 }));

    await vi.advanceTimersByTimeAsync(49);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(99);
    expect(fn).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);

    expect(fn).toHaveBeenCalledTimes(3);
    expect(result).toEqual({ settled: true, value: 'ok' });
  });

  it('tells onRetry the failed attempt, the retries left, the delay and the error', async () => {
    const infos: RetryInfo[] = [];
    const fn = flaky(2, 'ok');

    const result = track(
      withRetry(fn, { retries: 5, minDelayMs: 10, random: () => 0.5, onRetry: (info) => infos.push(info) }),
    );
    await vi.runAllTimersAsync();

    expect(result.value).toBe('ok');
    expect(infos).toEqual([
      { attempt: 1, retriesLeft: 4, delayMs: 5, error: expect.objectContaining({ message: 'throttled #1' }) },
      {
        attempt: 2,
        retriesLeft: 3,
        delayMs: 10,
        error: expect.objectContaining({ message: 'throttled #2' }),
      },
    ]);
  });

  it('keeps every delay within [0, min(maxDelayMs, minDelayMs * factor^retry)) (full jitter)', async () => {
    const delays: number[] = [];
    const options = { retries: 8, minDelayMs: 100, maxDelayMs: 3_000, factor: 3 };
    const highest = track(
      withRetry(
        async () => {
          throw transient();
        },
        { ...options, random: () => 0.999_999, onRetry: ({ delayMs }) => delays.push(delayMs) },
      ),
    );
    await vi.runAllTimersAsync();
    const lowest: number[] = [];
    const zero = track(
      withRetry(
        async () => {
          throw transient();
        },
        { ...options, random: () => 0, onRetry: ({ delayMs }) => lowest.push(delayMs) },
      ),
    );
    await vi.runAllTimersAsync();

    // bounds 100, 300, 900, 2700, then capped at 3000
    expect(delays).toEqual([99, 299, 899, 2699, 2999, 2999, 2999, 2999]);
    expect(lowest).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(highest.error).toBeInstanceOf(RetryError);
    expect(zero.error).toBeInstanceOf(RetryError);
  });

  it('uses Math.random for jitter by default', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.25);
    const infos: RetryInfo[] = [];

    const result = track(withRetry(flaky(1, 'ok'), { onRetry: (info) => infos.push(info) }));
    await vi.runAllTimersAsync();

    expect(result.value).toBe('ok');
    expect(infos[0]?.delayMs).toBe(25);
    random.mockRestore();
  });

  it('rethrows a permanent error as is, at once, without retrying', async () => {
    const permanent = Object.assign(new Error('access denied'), { name: 'AccessDeniedException' });
    const fn = vi.fn(async () => {
      throw permanent;
    });
    const onRetry = vi.fn();

    await expect(withRetry(fn, { onRetry })).rejects.toBe(permanent);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(onRetry).not.toHaveBeenCalled();
  });

  it('gives up after 10 retries by default with RETRIES_EXHAUSTED, the attempt count and the last error', async () => {
    const fn = vi.fn(async (attempt: number) => {
      throw transient(`throttled #${attempt}`);
    });

    const result = track(withRetry(fn, { operation: 'PutItem seller#1' }));
    await vi.runAllTimersAsync();

    expect(fn).toHaveBeenCalledTimes(DEFAULT_RETRY_OPTIONS.retries + 1);
    const error = result.error as RetryError;
    expect(error).toBeInstanceOf(RetryError);
    expect(error.code).toBe('RETRIES_EXHAUSTED');
    expect(error.attempts).toBe(11);
    expect(error.operation).toBe('PutItem seller#1');
    expect((error.cause as Error).message).toBe('throttled #11');
    expect(error.message).toBe(
      'PutItem seller#1 failed after 11 attempts: ThrottlingException: throttled #11',
    );
  });

  it('marks an exhausted RetryError as not retryable so an outer retry does not multiply attempts', async () => {
    const result = track(withRetry(flaky(5, 'never'), { retries: 1 }));
    await vi.runAllTimersAsync();

    expect((result.error as RetryError).retryable).toBe(false);
    expect(isRetryableError(result.error)).toBe(false);
  });

  it('makes exactly one attempt with retries: 0 and names the default operation', async () => {
    const fn = flaky(1, 'never');

    await expect(withRetry(fn, { retries: 0 })).rejects.toThrow(
      'operation failed after 1 attempt: ThrottlingException',
    );
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('lets isRetryable override the classification', async () => {
    const fn = vi.fn(async (attempt: number) => {
      if (attempt < 3) throw new Error('flaky test double');
      return 'ok';
    });

    const result = track(
      withRetry(fn, { isRetryable: (error) => (error as Error).message === 'flaky test double' }),
    );
    await vi.runAllTimersAsync();

    expect(result.value).toBe('ok');
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('retries a TypeError marked retryable (p-retry alone would not)', async () => {
    const fn = vi.fn(async (attempt: number) => {
      if (attempt === 1) throw Object.assign(new TypeError('socket hang up'), { retryable: true });
      return 'ok';
    });

    const result = track(withRetry(fn));
    await vi.runAllTimersAsync();

    expect(result.value).toBe('ok');
  });

  it('passes non-Error values through untouched', async () => {
    const thrownString = withRetry(async () => {
      throw 'plain string';
    });
    await expect(thrownString).rejects.toBe('plain string');

    const exhausted = track(
      withRetry(
        async () => {
          throw 'still failing';
        },
        { retries: 1, isRetryable: () => true },
      ),
    );
    await vi.runAllTimersAsync();
    expect((exhausted.error as RetryError).cause).toBe('still failing');
    expect((exhausted.error as RetryError).message).toBe('operation failed after 2 attempts: still failing');
  });

  it('rejects with the error thrown by onRetry', async () => {
    const hookFailure = new Error('logger down');

    await expect(
      withRetry(flaky(1, 'ok'), {
        onRetry: () => {
          throw hookFailure;
        },
      }),
    ).rejects.toBe(hookFailure);
  });

  it('rejects with the error thrown by isRetryable', async () => {
    const classifierFailure = new Error('classifier bug');

    await expect(
      withRetry(flaky(1, 'ok'), {
        isRetryable: () => {
          throw classifierFailure;
        },
      }),
    ).rejects.toBe(classifierFailure);
  });

  describe('abort', () => {
    it('rejects with ABORTED and makes no attempt when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('shutting down'));
      const fn = vi.fn(async () => 'never');

      const error = (await withRetry(fn, { signal: controller.signal }).catch(
        (e: unknown) => e,
      )) as RetryError;

      expect(fn).not.toHaveBeenCalled();
      expect(error).toBeInstanceOf(RetryError);
      expect(error.code).toBe('ABORTED');
      expect(error.attempts).toBe(0);
      expect((error.cause as Error).message).toBe('shutting down');
      expect(error.message).toBe('operation aborted after 0 attempts');
    });

    it('stops waiting and rejects with ABORTED when aborted during the backoff', async () => {
      const controller = new AbortController();
      const fn = flaky(10, 'never');
      const result = track(
        withRetry(fn, { signal: controller.signal, random: () => 0.5, operation: 'send' }),
      );

      await vi.advanceTimersByTimeAsync(10);
      controller.abort(new Error('SIGTERM'));
      await vi.advanceTimersByTimeAsync(0);

      const error = result.error as RetryError;
      expect(error.code).toBe('ABORTED');
      expect(error.attempts).toBe(1);
      expect(error.message).toBe('send aborted after 1 attempt');
      expect((error.lastError as Error).message).toBe('throttled #1');
      expect((error.cause as Error).message).toBe('SIGTERM');
      await vi.runAllTimersAsync();
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('rejects with ABORTED when the signal aborts while an attempt is failing', async () => {
      const controller = new AbortController();
      const fn = vi.fn(async () => {
        controller.abort(new Error('stop'));
        throw transient();
      });

      const error = (await withRetry(fn, { signal: controller.signal }).catch(
        (e: unknown) => e,
      )) as RetryError;

      expect(error.code).toBe('ABORTED');
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('rejects with ABORTED without waiting when onRetry aborts the signal', async () => {
      const controller = new AbortController();
      const fn = flaky(10, 'never');

      const error = (await withRetry(fn, {
        signal: controller.signal,
        onRetry: () => controller.abort(new Error('shutdown requested')),
      }).catch((e: unknown) => e)) as RetryError;

      expect(error.code).toBe('ABORTED');
      expect(error.attempts).toBe(1);
      expect((error.cause as Error).message).toBe('shutdown requested');
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('returns the result of an attempt that succeeds although the signal aborted meanwhile', async () => {
      const controller = new AbortController();
      const fn = vi.fn(async () => {
        controller.abort(new Error('stop'));
        return 'written';
      });

      await expect(withRetry(fn, { signal: controller.signal })).resolves.toBe('written');
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('retries normally while the signal stays un-aborted', async () => {
      const controller = new AbortController();

      const result = track(withRetry(flaky(2, 'ok'), { signal: controller.signal }));
      await vi.runAllTimersAsync();

      expect(result.value).toBe('ok');
    });
  });

  describe('options', () => {
    it.each([
      [{ retries: -1 }, 'retries'],
      [{ retries: 1.5 }, 'retries'],
      [{ minDelayMs: -5 }, 'minDelayMs'],
      [{ minDelayMs: Number.NaN }, 'minDelayMs'],
      [{ minDelayMs: 500, maxDelayMs: 100 }, 'maxDelayMs'],
      [{ maxDelayMs: Number.POSITIVE_INFINITY }, 'maxDelayMs'],
      [{ factor: 0.5 }, 'factor'],
      [{ onRetry: 'log' as unknown as () => void }, 'onRetry'],
      [{ isRetryable: true as unknown as () => boolean }, 'isRetryable'],
      [{ random: 4 as unknown as () => number }, 'random'],
    ])('rejects %o naming %s, before any attempt', async (options, option) => {
      const fn = vi.fn(async () => 'never');

      const error = (await withRetry(fn, options).catch((e: unknown) => e)) as RetryOptionsError;

      expect(error).toBeInstanceOf(RetryOptionsError);
      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error.field).toBe(option);
      expect(error.message).toContain(`\`${option}\``);
      expect(fn).not.toHaveBeenCalled();
    });

    it('raises the default maxDelayMs to a larger minDelayMs', async () => {
      const infos: RetryInfo[] = [];

      const result = track(
        withRetry(flaky(1, 'ok'), {
          minDelayMs: 30_000,
          random: () => 0.5,
          onRetry: (info) => infos.push(info),
        }),
      );
      await vi.runAllTimersAsync();

      expect(result.value).toBe('ok');
      expect(infos[0]?.delayMs).toBe(15_000);
    });
  });
});

describe('backoffDelay', () => {
  it.each([
    [0, 100],
    [1, 200],
    [2, 400],
    [7, 12_800],
    [8, 20_000],
    [30, 20_000],
  ])('bounds retry %i by %i ms with the defaults', (retry, bound) => {
    const options = { minDelayMs: 100, maxDelayMs: 20_000, factor: 2 };

    expect(backoffDelay(retry, { ...options, random: () => 0 })).toBe(0);
    expect(backoffDelay(retry, { ...options, random: () => 0.999_999_9 })).toBe(bound - 1);
    expect(backoffDelay(retry, { ...options, random: () => 0.5 })).toBe(bound / 2);
  });

  it('stays within the bound for Math.random', () => {
    for (let i = 0; i < 1000; i += 1) {
      const delay = backoffDelay(3, { minDelayMs: 100, maxDelayMs: 20_000, factor: 2 });
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(800);
    }
  });
});
