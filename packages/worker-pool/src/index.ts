/**
 * `@marketplace/worker-pool`: reduces batches of raw Kafka product events (parse, validate,
 * apply to the latest product states) in worker threads.
 */

export type { Logger } from '@marketplace/options';
export { DEFAULT_REDUCER_POOL_OPTIONS, defaultThreadCount } from './defaults.js';
export {
  WORKER_POOL_ERROR_CODES,
  type WorkerErrorData,
  WorkerPoolError,
  type WorkerPoolErrorCode,
  WorkerPoolOptionsError,
} from './errors.js';
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
export type { InjectedFault } from './workerTaskCodec.js';
