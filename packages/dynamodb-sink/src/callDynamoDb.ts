import type { Logger } from '@marketplace/options';
import { type RetryOptions, withRetryAndWrap } from '@marketplace/retry';
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

/** Context of one DynamoDB call made through {@link callDynamoDb}. */
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
 * Runs one SDK call through `withRetryAndWrap` of `@marketplace/retry`: throttling, 5xx, timeouts
 * and network errors are retried with backoff (default 10 retries); anything else fails at once.
 * Each retry is logged at warn and reported to `onRetry`; a final failure becomes a
 * {@link DynamoRequestError} that keeps the last SDK error as `cause`.
 */
export function callDynamoDb<T>(context: CallContext, call: () => Promise<T>): Promise<T> {
  return withRetryAndWrap(call, {
    retry: context.retry,
    operation: `${context.operation} ${context.tableName}`,
    onAttempt: context.onAttempt,
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
    },
    wrap: ({ cause, attempts, retryable }) =>
      new DynamoRequestError(context.errorCode, {
        tableName: context.tableName,
        operation: context.operation,
        ...(context.key ? { key: context.key } : {}),
        attempts,
        retryable,
        cause,
      }),
  });
}

/** Whether an SDK error is a failed `ConditionExpression` (a skip, not a failure, for our writes). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}
