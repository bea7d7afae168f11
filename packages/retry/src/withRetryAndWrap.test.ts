import { describe, expect, it, vi } from 'vitest';
import { RetryError } from './errors.js';
import { withRetryAndWrap } from './withRetryAndWrap.js';

class DemoRequestError extends Error {
  constructor(
    readonly attempts: number,
    readonly retryable: boolean,
    cause: unknown,
  ) {
    super('demo request failed', { cause });
  }
}

const wrap = ({ cause, attempts, retryable }: { cause: unknown; attempts: number; retryable: boolean }) =>
  new DemoRequestError(attempts, retryable, cause);

const throttled = (): Error =>
  Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

const fast = { retries: 3, minDelayMs: 0, maxDelayMs: 0 };

describe('withRetryAndWrap', () => {
  it("retries a transient failure, calling the package's hook before the caller's, and returns", async () => {
    const order: string[] = [];
    const onAttempt = vi.fn();
    const call = vi.fn<() => Promise<string>>().mockRejectedValueOnce(throttled()).mockResolvedValue('ok');

    const result = await withRetryAndWrap(call, {
      retry: { ...fast, onRetry: (info) => order.push(`caller ${info.attempt}`) },
      operation: 'PutItem metrics',
      onRetry: (info) => order.push(`package ${info.attempt}`),
      onAttempt,
      wrap,
    });

    expect(result).toBe('ok');
    expect(order).toEqual(['package 1', 'caller 1']);
    expect(onAttempt).toHaveBeenCalledTimes(2);
  });

  it('wraps the last error, not the RetryError, when the retries run out', async () => {
    const last = throttled();
    const call = vi.fn<() => Promise<void>>().mockRejectedValue(last);

    const error = await withRetryAndWrap(call, { retry: fast, operation: 'Query', wrap }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(DemoRequestError);
    expect(error).toMatchObject({ attempts: 4, retryable: true, cause: last });
  });

  it('fails at once on a permanent error, as not retryable', async () => {
    const denied = Object.assign(new Error('no'), { name: 'AccessDeniedException' });
    const call = vi.fn<() => Promise<void>>().mockRejectedValue(denied);

    const error = await withRetryAndWrap(call, { operation: 'GetObject', wrap }).catch((e: unknown) => e);

    expect(call).toHaveBeenCalledTimes(1);
    expect(error).toMatchObject({ attempts: 1, retryable: false, cause: denied });
  });

  it("uses the caller's isRetryable and reports an abort before any attempt with one attempt", async () => {
    const call = vi.fn<() => Promise<void>>().mockRejectedValue(new Error('custom'));
    const custom = await withRetryAndWrap(call, {
      retry: { ...fast, retries: 1, isRetryable: () => true },
      operation: 'op',
      wrap,
    }).catch((e: unknown) => e);
    expect(call).toHaveBeenCalledTimes(2);
    expect(custom).toMatchObject({ attempts: 2 });

    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const aborted = await withRetryAndWrap(call, {
      retry: { signal: controller.signal },
      operation: 'op',
      wrap,
    }).catch((e: unknown) => e);
    expect(aborted).toMatchObject({ attempts: 1 });
    expect((aborted as Error).cause).toBeInstanceOf(Error);
    expect((aborted as Error).cause).not.toBeInstanceOf(RetryError);
  });
});
