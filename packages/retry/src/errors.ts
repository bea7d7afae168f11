/** Every `code` a {@link RetryError} can carry. */
export const RETRY_ERROR_CODES = Object.freeze(['RETRIES_EXHAUSTED', 'ABORTED', 'INVALID_OPTIONS'] as const);

/**
 * Code of a {@link RetryError}:
 * - `RETRIES_EXHAUSTED`: every attempt failed with a retryable error; `cause` is the last one.
 * - `ABORTED`: the `signal` was aborted before or between attempts; `cause` is the abort reason.
 * - `INVALID_OPTIONS`: an option of `withRetry` is invalid (see {@link RetryOptionsError}).
 */
export type RetryErrorCode = (typeof RETRY_ERROR_CODES)[number];

/** Fields of a {@link RetryError}. */
export interface RetryErrorInit {
  /** Attempts made (calls of the retried function). */
  attempts: number;
  /** Name of the operation, from the `operation` option. */
  operation?: string | undefined;
  /** The last error of the operation, or the abort reason. */
  cause?: unknown;
  /** The last error thrown by the operation, when any attempt ran. */
  lastError?: unknown;
}

/**
 * The error `withRetry` throws when it gives up, and the base class of this package's errors.
 *
 * `retryable` is always `false`: the retries are spent (or were cancelled), so an outer
 * `withRetry` reading the cause chain with `isRetryableError` stops instead of multiplying
 * attempts.
 */
export class RetryError extends Error {
  override readonly name: string = 'RetryError';
  /** What went wrong, from {@link RETRY_ERROR_CODES}. */
  readonly code: RetryErrorCode;
  /** Attempts made before giving up (0 when aborted before the first attempt). */
  readonly attempts: number;
  /** The `operation` option, when given. */
  readonly operation: string | undefined;
  /** The last error thrown by the operation (`undefined` when no attempt failed). */
  readonly lastError: unknown;
  /** Always `false` (see the class description). */
  readonly retryable: boolean = false;

  constructor(code: RetryErrorCode, message: string, init: RetryErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.attempts = init.attempts;
    this.operation = init.operation;
    this.lastError = init.lastError;
  }
}

/** An option of `withRetry` is invalid; `withRetry` rejects with it before any attempt. */
export class RetryOptionsError extends RetryError {
  override readonly name: string = 'RetryOptionsError';
  /** Name of the offending option, e.g. `maxDelayMs`. */
  readonly field: string;

  constructor(option: string, message: string) {
    super('INVALID_OPTIONS', `Invalid retry option \`${option}\`: ${message}`, { attempts: 0 });
    this.field = option;
  }
}
