import pRetryImport from 'p-retry';
import { check } from './check.js';
import { DEFAULT_RETRY_OPTIONS } from './defaults.js';
import { RetryError } from './errors.js';
import { interopDefault } from './interopDefault.js';
import { isRetryableError } from './isRetryableError.js';

const pRetry = interopDefault(pRetryImport);

/** What `onRetry` is told before each retry. */
export interface RetryInfo {
  /** Number of the attempt that just failed (1 for the first call). */
  attempt: number;
  /** Retries still available after the one about to happen. */
  retriesLeft: number;
  /** Delay before the next attempt, in milliseconds. */
  delayMs: number;
  /** The error of the failed attempt. */
  error: unknown;
}

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /**
   * Retries after the first attempt (so at most `retries + 1` calls). `0` disables retrying.
   * @default 10
   */
  retries?: number;
  /**
   * Upper bound of the first retry's delay, in ms. The bound grows by `factor` per retry.
   * @default 100
   */
  minDelayMs?: number;
  /**
   * Cap of the delay bound, in ms. Must be >= `minDelayMs`.
   * @default 20000
   */
  maxDelayMs?: number;
  /**
   * Growth of the delay bound per retry; >= 1.
   * @default 2
   */
  factor?: number;
  /** Cancels waiting and further attempts; `withRetry` then rejects with code `ABORTED`. */
  signal?: AbortSignal;
  /**
   * Decides whether a failure is retried.
   * @default isRetryableError
   */
  isRetryable?: (error: unknown) => boolean;
  /** Called before every retry, e.g. to log or count it. If it throws, `withRetry` rejects with that error. */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Name of the operation, used in error messages (e.g. `DynamoDB UpdateItem seller#3`).
   * @default 'operation'
   */
  operation?: string;
  /**
   * Source of randomness in [0, 1) for the jitter; inject one for deterministic tests.
   * @default Math.random
   */
  random?: () => number;
}

interface ResolvedOptions {
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  factor: number;
  isRetryable: (error: unknown) => boolean;
  random: () => number;
  operation: string;
}

function resolveOptions(options: RetryOptions): ResolvedOptions {
  const d = DEFAULT_RETRY_OPTIONS;
  const retries = check.integer(options.retries ?? d.retries, 'retries', 0);
  const minDelayMs = check.number(options.minDelayMs ?? d.minDelayMs, 'minDelayMs', 0);
  const maxDelayMs = check.number(
    options.maxDelayMs ?? Math.max(d.maxDelayMs, minDelayMs),
    'maxDelayMs',
    minDelayMs,
  );
  const factor = check.number(options.factor ?? d.factor, 'factor', 1);
  for (const name of ['isRetryable', 'onRetry', 'random'] as const) {
    if (options[name] !== undefined) check.func(options[name], name);
  }
  return {
    retries,
    minDelayMs,
    maxDelayMs,
    factor,
    isRetryable: options.isRetryable ?? isRetryableError,
    random: options.random ?? Math.random,
    operation: options.operation ?? 'operation',
  };
}

/**
 * The delay before retry number `retry` (0-based), "full jitter": uniformly random in
 * `[0, min(maxDelayMs, minDelayMs * factor ** retry))`, rounded down to whole ms.
 */
export function backoffDelay(
  retry: number,
  options: { minDelayMs: number; maxDelayMs: number; factor: number; random?: () => number },
): number {
  const bound = Math.min(options.maxDelayMs, options.minDelayMs * options.factor ** retry);
  return Math.floor((options.random ?? Math.random)() * bound);
}

/** Carries whatever the operation threw through p-retry untouched (p-retry treats non-Errors and TypeErrors specially). */
class AttemptFailure extends Error {
  readonly original: unknown;
  readonly retryable: boolean;
  constructor(original: unknown, retryable: boolean) {
    super('attempt failed');
    this.original = original;
    this.retryable = retryable;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal === undefined) {
      setTimeout(resolve, ms);
      return;
    }
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds, retrying retryable failures with exponential backoff and full
 * jitter (built on p-retry).
 *
 * - A failure that is not retryable (by `isRetryable`, default {@link isRetryableError}) is
 *   rethrown **as is**, at once, so callers keep its class and fields.
 * - When the retries run out, rejects with {@link RetryError} code `RETRIES_EXHAUSTED`
 *   (`attempts`, `cause` = the last error).
 * - When `signal` aborts (before or between attempts, or during one that fails), rejects with
 *   {@link RetryError} code `ABORTED` (`cause` = the abort reason, `lastError` = the last
 *   failure, if any). An attempt that succeeds although the signal aborted meanwhile returns its
 *   result: the operation happened.
 * - Invalid options reject with `RetryOptionsError` (code `INVALID_OPTIONS`) before any
 *   attempt.
 *
 * @param fn The operation; receives the attempt number (1-based).
 * @throws {RetryError} codes `RETRIES_EXHAUSTED`, `ABORTED`, `INVALID_OPTIONS`.
 * @example
 * ```ts
 * import { withRetry } from '@marketplace/retry';
 *
 * const item = await withRetry(() => dynamo.send(new GetItemCommand(input)), {
 *   operation: 'GetItem metrics',
 *   signal: shutdown.signal,
 *   onRetry: ({ attempt, delayMs, error }) => logger.warn({ attempt, delayMs, error }, 'retrying'),
 * });
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T> | T,
  options: RetryOptions = {},
): Promise<T> {
  const resolved = resolveOptions(options);
  const { signal, onRetry } = options;
  let attempts = 0;
  let lastError: unknown;
  let succeeded: { value: T } | undefined;

  try {
    return await pRetry(
      async (attempt) => {
        attempts = attempt;
        try {
          const value = await fn(attempt);
          succeeded = { value };
          return value;
        } catch (error) {
          lastError = error;
          throw new AttemptFailure(error, resolved.isRetryable(error));
        }
      },
      {
        retries: resolved.retries,
        // Delays are ours (full jitter); p-retry only counts attempts.
        minTimeout: 0,
        ...(signal === undefined ? {} : { signal }),
        shouldRetry: async ({ error, retriesConsumed, retriesLeft }) => {
          if (!(error as AttemptFailure).retryable) return false;
          const delayMs = backoffDelay(retriesConsumed, resolved);
          onRetry?.({ attempt: attempts, retriesLeft: retriesLeft - 1, delayMs, error: lastError });
          await sleep(delayMs, signal);
          return true;
        },
      },
    );
  } catch (thrown) {
    // p-retry rejects when the signal aborted during an attempt that then succeeded; the
    // operation did happen (e.g. a write), so its result is returned rather than lost.
    if (succeeded !== undefined) return succeeded.value;
    if (signal?.aborted) {
      throw new RetryError(
        'ABORTED',
        `${resolved.operation} aborted after ${attempts} attempt${attempts === 1 ? '' : 's'}`,
        { attempts, operation: options.operation, cause: signal.reason, lastError },
      );
    }
    if (!(thrown instanceof AttemptFailure)) throw thrown; // from onRetry or isRetryable
    if (!thrown.retryable) throw thrown.original;
    throw new RetryError(
      'RETRIES_EXHAUSTED',
      `${resolved.operation} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${describe(thrown.original)}`,
      { attempts, operation: options.operation, cause: thrown.original, lastError },
    );
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
