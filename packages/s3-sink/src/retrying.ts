import type { Logger } from '@marketplace/options';
import { isRetryableError, RetryError, type RetryOptions, withRetry } from '@marketplace/retry';
import { S3RequestError } from './errors.js';

/** Information given to the `onRetry` metrics hook. */
export interface RetryInfo {
  /** Operation, e.g. `PutObject`. */
  operation: string;
  /** Object key or listed prefix. */
  key: string;
  /** Attempt that failed (1-based). */
  attempt: number;
  /** Backoff before the next attempt. */
  delayMs: number;
  /** The transient error. */
  error: unknown;
}

/** Context of one S3 call made through {@link callWithRetry}. */
export interface CallContext {
  bucket: string;
  key: string;
  operation: string;
  errorCode: 'WRITE_FAILED' | 'READ_FAILED';
  retry: RetryOptions | undefined;
  logger: Logger;
  onRetry?: ((info: RetryInfo) => void) | undefined;
}

/**
 * Runs one S3 call through `@marketplace/retry` (throttling, 5xx, timeouts and network errors are
 * retried with backoff; anything else fails at once) and wraps a final failure in an
 * {@link S3RequestError} keeping the last SDK error as `cause`.
 */
export async function callWithRetry<T>(context: CallContext, call: () => Promise<T>): Promise<T> {
  let attempts = 0;
  const userOnRetry = context.retry?.onRetry;
  try {
    return await withRetry(
      async () => {
        attempts += 1;
        return await call();
      },
      {
        ...context.retry,
        operation: `${context.operation} s3://${context.bucket}/${context.key}`,
        isRetryable: context.retry?.isRetryable ?? isRetryableError,
        onRetry: (info) => {
          context.logger.warn('s3 request failed, retrying', {
            operation: context.operation,
            bucket: context.bucket,
            key: context.key,
            attempt: info.attempt,
            delayMs: info.delayMs,
            error: info.error instanceof Error ? info.error.name : String(info.error),
          });
          context.onRetry?.({
            operation: context.operation,
            key: context.key,
            attempt: info.attempt,
            delayMs: info.delayMs,
            error: info.error,
          });
          userOnRetry?.(info);
        },
      },
    );
  } catch (error) {
    const cause = error instanceof RetryError && error.cause !== undefined ? error.cause : error;
    throw new S3RequestError(context.errorCode, {
      bucket: context.bucket,
      key: context.key,
      operation: context.operation,
      attempts: Math.max(attempts, 1),
      retryable: isRetryableError(cause),
      cause,
    });
  }
}
