import type { Logger } from '@marketplace/options';
import { type RetryOptions, withRetryAndWrap } from '@marketplace/retry';
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

/** Context of one S3 call made through {@link callS3}. */
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
 * Runs one S3 call through `withRetryAndWrap` of `@marketplace/retry` (throttling, 5xx, timeouts
 * and network errors are retried with backoff; anything else fails at once). Each retry is logged
 * at warn and reported to `onRetry`; a final failure becomes an {@link S3RequestError} keeping the
 * last SDK error as `cause`.
 */
export function callS3<T>(context: CallContext, call: () => Promise<T>): Promise<T> {
  return withRetryAndWrap(call, {
    retry: context.retry,
    operation: `${context.operation} s3://${context.bucket}/${context.key}`,
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
    },
    wrap: ({ cause, attempts, retryable }) =>
      new S3RequestError(context.errorCode, {
        bucket: context.bucket,
        key: context.key,
        operation: context.operation,
        attempts,
        retryable,
        cause,
      }),
  });
}
