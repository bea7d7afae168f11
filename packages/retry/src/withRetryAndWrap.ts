import { RetryError } from './errors.js';
import { isRetryableError } from './isRetryableError.js';
import { type RetryInfo, type RetryOptions, withRetry } from './withRetry.js';

/** What {@link withRetryAndWrap} hands to `wrap` when it gives up. */
export interface RetryFailure {
  /** The last error of the operation (unwrapped from the `RetryError`), or the abort reason. */
  cause: unknown;
  /** Attempts made, at least 1. */
  attempts: number;
  /** `isRetryableError(cause)`: whether a later call might succeed. */
  retryable: boolean;
}

/** Options of {@link withRetryAndWrap}. */
export interface RetryAndWrapOptions {
  /** The caller's retry options (its `onRetry` is still called, after `onRetry` below). */
  retry?: RetryOptions | undefined;
  /** Name of the operation for `withRetry` (e.g. `PutItem metrics`). */
  operation: string;
  /** The package's own hook before each retry (log, count); called before `retry.onRetry`. */
  onRetry?: ((info: RetryInfo) => void) | undefined;
  /** Called before each attempt (e.g. to count requests). */
  onAttempt?: (() => void) | undefined;
  /** Makes the package's error for a call that failed for good; it keeps `failure.cause` as `cause`. */
  wrap: (failure: RetryFailure) => Error;
}

/**
 * Runs `call` through {@link withRetry} and, when it fails for good, throws the caller's own error
 * made by `wrap` from the last error (not the `RetryError` around it) and the attempt count:
 * the one retry-and-wrap step of every client package (the sinks' SDK calls).
 * @throws whatever `wrap` returns.
 * @example
 * await withRetryAndWrap(() => client.send(command), {
 *   retry: options.retry,
 *   operation: `PutObject s3://${bucket}/${key}`,
 *   onRetry: (info) => logger.warn('s3 request failed, retrying', { attempt: info.attempt }),
 *   wrap: ({ cause, attempts, retryable }) => new S3RequestError('WRITE_FAILED', { bucket, key, attempts, retryable, cause }),
 * });
 */
export async function withRetryAndWrap<T>(call: () => Promise<T>, options: RetryAndWrapOptions): Promise<T> {
  let attempts = 0;
  const callerOnRetry = options.retry?.onRetry;
  try {
    return await withRetry(
      async () => {
        attempts += 1;
        options.onAttempt?.();
        return await call();
      },
      {
        ...options.retry,
        operation: options.operation,
        isRetryable: options.retry?.isRetryable ?? isRetryableError,
        onRetry: (info) => {
          options.onRetry?.(info);
          callerOnRetry?.(info);
        },
      },
    );
  } catch (error) {
    const cause = error instanceof RetryError && error.cause !== undefined ? error.cause : error;
    throw options.wrap({ cause, attempts: Math.max(attempts, 1), retryable: isRetryableError(cause) });
  }
}
