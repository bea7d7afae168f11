import type { Logger } from '@marketplace/options';
import { isRetryableError, RetryError, type RetryOptions, withRetry } from '@marketplace/retry';
import { DynamoRequestError } from './errors.js';

/** Information given to the `onRetry` metrics hook. */
export interface RetryInfo {
  /** SDK operation, e.g. `PutItem`. */
  operation: string;
  /** Attempt that failed (1-based). */
  attempt: number;
  /** Backoff before the next attempt. */
  delayMs: number;
  /** The transient error. */
  error: unknown;
}

/** Context of one DynamoDB call made through {@link callWithRetry}. */
export interface CallContext {
  tableName: string;
  operation: string;
  key?: { pk: string; sk?: string };
  errorCode: 'WRITE_FAILED' | 'READ_FAILED' | 'TABLE_SETUP_FAILED';
  retry: RetryOptions | undefined;
  logger: Logger;
  onRetry?: ((info: RetryInfo) => void) | undefined;
  /** Called before each attempt (counts requests). */
  onAttempt?: (() => void) | undefined;
}

/**
 * Runs one SDK call through `@marketplace/retry`: throttling, 5xx, timeouts and network errors are
 * retried with backoff (default 10 retries); anything else fails at once. The failure is wrapped
 * in a {@link DynamoRequestError} that keeps the last SDK error as `cause`.
 */
export async function callWithRetry<T>(context: CallContext, call: () => Promise<T>): Promise<T> {
  let attempts = 0;
  const userOnRetry = context.retry?.onRetry;
  try {
    return await withRetry(
      async () => {
        attempts += 1;
        context.onAttempt?.();
        return await call();
      },
      {
        ...context.retry,
        operation: `${context.operation} ${context.tableName}`,
        isRetryable: context.retry?.isRetryable ?? isRetryableError,
        onRetry: (info) => {
          context.logger.warn('dynamodb request failed, retrying', {
            operation: context.operation,
            table: context.tableName,
            ...context.key,
            attempt: info.attempt,
            delayMs: info.delayMs,
            error: info.error instanceof Error ? info.error.name : String(info.error),
          });
          context.onRetry?.({
            operation: context.operation,
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
    throw new DynamoRequestError(context.errorCode, {
      tableName: context.tableName,
      operation: context.operation,
      ...(context.key ? { key: context.key } : {}),
      attempts: Math.max(attempts, 1),
      retryable: isRetryableError(cause),
      cause,
    });
  }
}

/** Whether an SDK error is a failed `ConditionExpression` (a skip, not a failure, for our writes). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}
