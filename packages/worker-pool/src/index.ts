/**
 * `@marketplace/worker-pool`: reduces batches of raw Kafka product events (parse, validate,
 * apply to the latest product states) in worker threads.
 */
export { DEFAULT_REDUCER_POOL_OPTIONS, defaultThreadCount } from './defaults.js';
export {
  InvalidWorkerPoolOptionError,
  WORKER_POOL_ERROR_CODES,
  type WorkerErrorData,
  WorkerPoolError,
  type WorkerPoolErrorCode,
} from './errors.js';
export type { Logger } from './logger.js';
export { type PoolUtilization, ReducerPool, type ReducerPoolOptions } from './ReducerPool.js';
export { reduceBatch } from './reduceBatch.js';
export type {
  InvalidMessage,
  RawHeaderValue,
  RawMessage,
  ReduceCounts,
  ReduceResult,
  ReduceTask,
} from './types.js';
