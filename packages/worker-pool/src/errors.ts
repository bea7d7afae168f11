/** Every `code` a {@link WorkerPoolError} can carry. */
export const WORKER_POOL_ERROR_CODES = Object.freeze([
  'WORKER_CRASHED',
  'TASK_FAILED',
  'POOL_DESTROYED',
  'QUEUE_FULL',
  'INVALID_OPTIONS',
] as const);

/**
 * Code of a {@link WorkerPoolError}:
 * - `WORKER_CRASHED`: the worker thread running the batch died (exit, uncaught exception, out of
 *   memory). The pool replaces the thread; the batch can be retried (`retryable: true`).
 * - `TASK_FAILED`: reducing the batch threw (a bug, or a batch that cannot be encoded); the same
 *   batch fails the same way again (`retryable: false`).
 * - `POOL_DESTROYED`: `reduce` was called after (or was pending during) `destroy()`.
 * - `QUEUE_FULL`: more batches are waiting than `maxQueue` allows (`retryable: true`).
 * - `INVALID_OPTIONS`: an option of `ReducerPool` is invalid ({@link WorkerPoolOptionsError}).
 */
export type WorkerPoolErrorCode = (typeof WORKER_POOL_ERROR_CODES)[number];

const RETRYABLE_CODES: ReadonlySet<WorkerPoolErrorCode> = new Set(['WORKER_CRASHED', 'QUEUE_FULL']);

/**
 * An error as it crosses the worker-thread boundary: plain data (an `Error` would lose its
 * class in the structured clone).
 */
export interface WorkerErrorData {
  code: WorkerPoolErrorCode;
  message: string;
  /** Name of the original error, e.g. `TypeError`. */
  name?: string;
  /** Stack of the original error, inside the worker. */
  stack?: string;
}

/**
 * Base class of every error of this package. `retryable` (read by `@marketplace/retry` through
 * the cause chain) is true for `WORKER_CRASHED` and `QUEUE_FULL`.
 */
export class WorkerPoolError extends Error {
  override readonly name: string = 'WorkerPoolError';
  /** What went wrong, from {@link WORKER_POOL_ERROR_CODES}. */
  readonly code: WorkerPoolErrorCode;
  /** Whether the same batch may succeed when tried again. */
  readonly retryable: boolean;
  /** For `TASK_FAILED` from a worker: the error as the worker reported it. */
  readonly workerError: WorkerErrorData | undefined;

  constructor(
    code: WorkerPoolErrorCode,
    message: string,
    options: { cause?: unknown; workerError?: WorkerErrorData } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = RETRYABLE_CODES.has(code);
    this.workerError = options.workerError;
  }
}

/** An option of `ReducerPool` is invalid (code `INVALID_OPTIONS`); thrown by the constructor. */
export class WorkerPoolOptionsError extends WorkerPoolError {
  override readonly name: string = 'WorkerPoolOptionsError';
  /** Name of the offending option, e.g. `threads`. */
  readonly field: string;

  constructor(option: string, message: string) {
    super('INVALID_OPTIONS', `Invalid ReducerPool option \`${option}\`: ${message}`);
    this.field = option;
  }
}
