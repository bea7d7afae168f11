import { createOptionChecks, type Logger, mergeOptions } from '@marketplace/options';
import { Tinypool } from 'tinypool';
import { DEFAULT_REDUCER_POOL_OPTIONS, defaultThreadCount } from './defaults.js';
import { WorkerPoolError, WorkerPoolOptionsError } from './errors.js';
import { reduceBatch } from './reduceBatch.js';
import type { RawMessage, ReduceResult, ReduceTask } from './types.js';
import { workerFileFor } from './workerFile.js';
import { decodeResult, encodeTask, type InjectedFault, type WireResponse } from './workerTaskCodec.js';

/** Options of {@link ReducerPool}. */
export interface ReducerPoolOptions {
  /**
   * Worker threads.
   * @default max(1, os.availableParallelism() - 1)
   */
  threads?: number;
  /**
   * How long an idle thread is kept before it exits, in ms; threads are reused meanwhile.
   * @default 60000
   */
  idleTimeoutMs?: number;
  /**
   * Batches with fewer messages are reduced on the calling thread (posting them to a thread
   * costs more than reducing them). `0` sends every batch to a thread.
   * @default 64
   */
  inlineBelow?: number;
  /**
   * Reduce every batch on the calling thread; no threads are started (benchmarks, tiny setups).
   * @default false
   */
  inline?: boolean;
  /**
   * Batches allowed to wait for a free thread; more reject with `QUEUE_FULL`.
   * @default Infinity
   */
  maxQueue?: number;
  /** Logger (thread crashes are logged at `warn`). @default silent */
  logger?: Logger;
  /**
   * Largest accepted message value in bytes, for every batch that sets no `maxEventBytes` of its
   * own; larger values are invalid (`PAYLOAD_TOO_LARGE`).
   * @default 1048576 (the `maxBytes` default of `parseProductEvent`)
   */
  maxEventBytes?: number;
}

/** Snapshot of a pool's load, for metrics. */
export interface PoolUtilization {
  /** Live worker threads. */
  threads: number;
  /** Batches being reduced on threads. */
  busy: number;
  /** Batches waiting for a free thread. */
  queued: number;
  /** Batches finished (resolved or rejected) since construction, inline ones included. */
  completed: number;
}

/**
 * Test-only fault injection (not exported from the package): `pool[injectFault]('exit')` makes
 * the thread that runs the next threaded batch die, to test crash handling; `'throw'` kills it
 * with an uncaught exception, `'fail'` rejects that batch, `'hang'` never finishes it.
 */
export const injectFault: unique symbol = Symbol('ReducerPool.injectFault');

/**
 * Test-only (not exported from the package): `new ReducerPool({ [workerFileOverride]: url })`
 * runs the threads on another worker module, e.g. one that throws while loading.
 */
export const workerFileOverride: unique symbol = Symbol('ReducerPool.workerFileOverride');

/** Thread handle as `Tinypool#threads` returns it (the pool's wrapper of a `Worker`). */
interface ThreadHandle {
  on(event: 'exit', listener: (code: number) => void): unknown;
  emit(event: 'error', error: Error): unknown;
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The option checks of the pool: `(value, field, ...)`, throwing {@link WorkerPoolOptionsError}. */
const check = createOptionChecks((field, message) => new WorkerPoolOptionsError(field, message));

/** An integer >= 0, or `Infinity` where the option allows "no limit". */
function countOrInfinity(value: unknown, field: string): number {
  return value === Number.POSITIVE_INFINITY ? value : check.integer(value, field, 0);
}

/**
 * Reduces batches of raw Kafka messages ({@link reduceBatch}) in a pool of worker threads
 * (tinypool), so parsing and validation do not block the event loop of the Kafka consumer.
 *
 * Message bytes are copied into one buffer per batch and transferred to the thread; results come
 * back compactly. A thread that dies mid-batch is replaced and that batch rejects with
 * `WORKER_CRASHED` (retryable); the next batch runs on a fresh thread.
 *
 * @throws {WorkerPoolOptionsError} from the constructor, naming the invalid option.
 * @example
 * ```ts
 * const pool = new ReducerPool({ threads: 3 });
 * const result = await pool.reduce({ topic, partition, messages: batch.messages, priorStates });
 * // result.states: changed products, result.invalid: messages for the dead-letter topic
 * await pool.destroy();
 * ```
 */
export class ReducerPool {
  readonly #pool: Tinypool | undefined;
  readonly #inlineBelow: number;
  readonly #logger: Logger;
  readonly #maxEventBytes: number | undefined;
  readonly #watched = new WeakSet<object>();
  /** One controller per batch sent to tinypool, to reject batches no thread will ever take. */
  readonly #sent = new Set<AbortController>();
  #destroyed = false;
  #inFlight = 0;
  #completed = 0;
  #fault: InjectedFault | undefined;

  constructor(options: ReducerPoolOptions = {}) {
    const resolved = mergeOptions(DEFAULT_REDUCER_POOL_OPTIONS, options);
    const inline = check.boolean(resolved.inline, 'inline');
    const threads = check.integer(options.threads ?? defaultThreadCount(), 'threads', 1);
    const idleTimeoutMs = check.integer(resolved.idleTimeoutMs, 'idleTimeoutMs', 0);
    this.#inlineBelow = countOrInfinity(resolved.inlineBelow, 'inlineBelow');
    const maxQueue = countOrInfinity(resolved.maxQueue, 'maxQueue');
    this.#logger = check.logger(options.logger);
    if (options.maxEventBytes !== undefined) check.integer(options.maxEventBytes, 'maxEventBytes', 1);
    this.#maxEventBytes = options.maxEventBytes;
    if (inline) return;
    this.#pool = new Tinypool({
      filename: (
        (options as { [workerFileOverride]?: URL })[workerFileOverride] ?? workerFileFor(import.meta.url)
      ).href,
      // Threads start with the first batch and exit after idleTimeoutMs without work.
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: idleTimeoutMs,
      maxQueue,
    });
    const pool = this.#pool;
    // A thread that fails without a batch (while loading the worker module, or idle) is
    // reported here. tinypool starts no thread for batches already queued, so when no thread
    // is left they would wait forever: reject them.
    pool.on('error', (error: unknown) => {
      this.#logger.warn('reducer thread failed outside a batch', { error: errorMessage(error) });
      if (pool.threads.length > 0) return;
      for (const controller of this.#sent) controller.abort(error);
    });
  }

  /**
   * Reduces a batch: on the calling thread when the pool is inline or the batch is smaller than
   * `inlineBelow`, else on a worker thread. The caller's buffers are never transferred or
   * modified.
   *
   * @throws {WorkerPoolError} `WORKER_CRASHED` (retryable: the thread died; it is replaced),
   *   `TASK_FAILED` (reducing threw), `POOL_DESTROYED`, `QUEUE_FULL` (retryable).
   */
  async reduce(batch: ReduceTask): Promise<ReduceResult> {
    if (this.#destroyed) throw new WorkerPoolError('POOL_DESTROYED', 'ReducerPool was destroyed');
    const task =
      batch.maxEventBytes === undefined && this.#maxEventBytes !== undefined
        ? { ...batch, maxEventBytes: this.#maxEventBytes }
        : batch;
    const pool = this.#pool;
    if (pool === undefined || task.messages.length < this.#inlineBelow) return this.#reduceInline(task);

    let wire: ReturnType<typeof encodeTask>;
    try {
      wire = encodeTask(task);
    } catch (error) {
      this.#completed += 1;
      throw new WorkerPoolError('TASK_FAILED', `cannot encode batch: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (this.#fault !== undefined) {
      wire.wire.fault = this.#fault;
      this.#fault = undefined;
    }
    this.#inFlight += 1;
    const controller = new AbortController();
    this.#sent.add(controller);
    try {
      const running = pool.run(wire.wire, {
        transferList: wire.transferList,
        signal: controller.signal,
      }) as Promise<WireResponse>;
      this.#watchThreads(pool);
      const response = await running;
      if (!response.ok) {
        throw new WorkerPoolError(
          'TASK_FAILED',
          `reducing the batch failed in a worker: ${response.error.message}`,
          {
            workerError: response.error,
          },
        );
      }
      return decodeResult(response.result, (index) => (task.messages[index] as RawMessage).offset);
    } catch (error) {
      throw this.#toPoolError(controller.signal.aborted ? controller.signal.reason : error, task);
    } finally {
      this.#sent.delete(controller);
      this.#inFlight -= 1;
      this.#completed += 1;
    }
  }

  /** Current load, for metrics (e.g. gauges of busy threads and queued batches). */
  utilization(): PoolUtilization {
    const pool = this.#pool;
    if (pool === undefined) return { threads: 0, busy: 0, queued: 0, completed: this.#completed };
    const queued = pool.queueSize;
    return {
      threads: pool.threads.length,
      busy: Math.max(0, this.#inFlight - queued),
      queued,
      completed: this.#completed,
    };
  }

  /**
   * Stops the threads. Batches still queued or running reject with `POOL_DESTROYED`, and so does
   * every later `reduce`. Idempotent.
   */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await this.#pool?.destroy();
  }

  /** Test-only: see {@link injectFault}. */
  [injectFault](fault: InjectedFault): void {
    this.#fault = fault;
  }

  #reduceInline(task: ReduceTask): Promise<ReduceResult> {
    try {
      return Promise.resolve(reduceBatch(task));
    } catch (error) {
      return Promise.reject(
        new WorkerPoolError('TASK_FAILED', `reducing the batch failed: ${(error as Error).message}`, {
          cause: error,
        }),
      );
    } finally {
      this.#completed += 1;
    }
  }

  /**
   * tinypool handles a thread that throws (its `error` event) but not one that calls
   * `process.exit`: the thread only emits `exit`, and its batch would never settle. So every
   * thread is watched, and an exit of a thread the pool still counts as live (tinypool removes a
   * thread from `threads` before it terminates one) is reported to tinypool as an error, which
   * rejects the thread's batch and replaces the thread.
   */
  #watchThreads(pool: Tinypool): void {
    for (const thread of pool.threads as unknown as ThreadHandle[]) {
      if (this.#watched.has(thread)) continue;
      this.#watched.add(thread);
      thread.on('exit', (code) => {
        if (!(pool.threads as unknown[]).includes(thread)) return;
        this.#logger.warn('reducer thread exited unexpectedly', { exitCode: code });
        thread.emit('error', new Error(`worker thread exited unexpectedly with code ${code}`));
      });
    }
  }

  #toPoolError(error: unknown, task: ReduceTask): WorkerPoolError {
    if (error instanceof WorkerPoolError) return error;
    const where = `${task.topic}[${task.partition}] (${task.messages.length} messages)`;
    if (this.#destroyed) {
      return new WorkerPoolError('POOL_DESTROYED', `ReducerPool was destroyed while reducing ${where}`, {
        cause: error,
      });
    }
    const message = errorMessage(error);
    if (message === 'Task queue is at limit') {
      return new WorkerPoolError('QUEUE_FULL', `too many batches waiting; rejected ${where}`, {
        cause: error,
      });
    }
    if (error instanceof Error && error.name === 'DataCloneError') {
      return new WorkerPoolError('TASK_FAILED', `cannot send ${where} to a worker: ${message}`, {
        cause: error,
      });
    }
    this.#logger.warn('reducer thread crashed', { error: message, batch: where });
    return new WorkerPoolError(
      'WORKER_CRASHED',
      `worker thread crashed while reducing ${where}: ${message}`,
      {
        cause: error,
      },
    );
  }
}
