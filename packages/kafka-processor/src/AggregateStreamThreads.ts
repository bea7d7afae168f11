import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@marketplace/options';
import type { KafkaConfig } from 'kafkajs';
import type { KafkaCodecOptions } from './codecs.js';
import { KafkaProcessorOptionsError, ProcessorError, StreamThreadError } from './errors.js';
import {
  type ClonedError,
  type StreamThreadData,
  type StreamThreadMessage,
  type StreamThreadProcessorOptions,
  toCloneable,
} from './streamThread.js';
import type { ProcessorMetricsHooks } from './types.js';
import { check } from './validateOptions.js';

/** Options of {@link AggregateStreamThreads}. */
export interface AggregateStreamThreadsOptions {
  /**
   * Stream threads, each a member of the consumer group with its own kafkajs client, its groups'
   * producers and states, reducing on its own thread.
   * @default os.availableParallelism()
   */
  threads?: number;
  /**
   * kafkajs client configuration of every thread. It crosses a thread boundary, so it holds no
   * functions: no `logCreator` (the threads' kafkajs logs reach `logger` with `client:
   * 'kafkajs'`), `socketFactory` or SASL `oauthBearerProvider`.
   */
  kafka: KafkaConfig;
  /** The `AggregateProcessor` options of every thread (no client, pool, logger or hooks). */
  processor: StreamThreadProcessorOptions;
  /**
   * `registerKafkaCodecs` options of every thread: kafkajs keeps its codec table per thread, so
   * each thread registers its own (the caller's registration does not reach them).
   * @default the defaults of `registerKafkaCodecs`
   */
  codecs?: KafkaCodecOptions;
  /**
   * Largest event each thread's reducer accepts (`ReducerPool` option `maxEventBytes`).
   * @default the pool's default
   */
  maxEventBytes?: number;
  /** Receives every thread's log lines, with field `thread` (its index). @default silent */
  logger?: Logger;
  /**
   * The processor hooks, called on this thread. Errors in their arguments arrive as plain
   * objects (`type`, `message`, `code`, `retryable`, `stack`, `cause`). `onAssignment` reports the
   * groups of every thread together.
   * @default none
   */
  metrics?: ProcessorMetricsHooks;
  /**
   * Called once when a thread cannot go on (its processor's `onFatal`, or the thread itself
   * died): the caller decides, typically `stop()` and exit.
   * @default none
   */
  onFatal?: (error: StreamThreadError) => void;
  /**
   * Bound of `stop()` per thread, in ms; a thread that has not stopped by then is terminated.
   * @default 15000
   */
  stopTimeoutMs?: number;
}

/**
 * Test-only fault injection (not exported from the package):
 * `stage[injectThreadFault](index, 'exit')` ends thread `index` at once, as a crash would;
 * `'ignore-stop'` makes it ignore the next stop, as a hung thread would.
 */
export const injectThreadFault: unique symbol = Symbol('AggregateStreamThreads.injectThreadFault');

/**
 * Test-only (not exported from the package): `new AggregateStreamThreads({ ..., [streamThreadFileOverride]: url })`
 * runs the threads on another module, e.g. one that throws while loading.
 */
export const streamThreadFileOverride: unique symbol = Symbol(
  'AggregateStreamThreads.streamThreadFileOverride',
);

interface ThreadSlot {
  readonly index: number;
  readonly worker: Worker;
  ready: boolean;
  groups: number[];
  groupCount: number;
  started: boolean;
  /** Its processor did not start: `start()` rejects with that, so its exit is no death. */
  startFailed: boolean;
  stats: StreamThreadStats | undefined;
  stopped: Promise<void>;
}

/** What a stream thread last reported about itself (about once per second). */
export interface StreamThreadStats {
  /** Index of the thread (0-based). */
  readonly thread: number;
  /** Share of the last interval its event loop was busy (0..1): its saturation. */
  readonly utilization: number;
  /** Its V8 heap in use (its product states live there). */
  readonly heapUsedBytes: number;
}

/**
 * Stage 1 on several threads, the way Kafka Streams runs stream threads: each thread runs an
 * `AggregateProcessor` that is its own member of the consumer group, so each group's consumer
 * fetches, state, reduce, producer and transactions stay on one thread, and the main thread is left
 * to the HTTP endpoints and orchestration (docs/architecture.md#stream-threads). Exactly-once is
 * the processor's: one transaction per batch and group, fencing between members, restore from
 * the changelog after a failure or a rebalance.
 * @throws {KafkaProcessorOptionsError} from the constructor, naming an invalid option.
 * @example
 * ```ts
 * const stage = new AggregateStreamThreads({
 *   threads: 2,
 *   kafka: { clientId: 'analytics', brokers: ['127.0.0.1:9092'] },
 *   processor: { applicationId: 'analytics' },
 *   onFatal: () => void stage.stop(),
 * });
 * await stage.start();
 * ```
 */
export class AggregateStreamThreads {
  readonly #threads: number;
  readonly #kafka: KafkaConfig;
  readonly #processor: StreamThreadProcessorOptions;
  readonly #logger: Logger;
  readonly #metrics: ProcessorMetricsHooks | undefined;
  readonly #onFatal: ((error: StreamThreadError) => void) | undefined;
  readonly #stopTimeoutMs: number;
  readonly #codecs: KafkaCodecOptions;
  readonly #maxEventBytes: number | undefined;
  readonly #file: URL;
  #slots: ThreadSlot[] = [];
  #fatal = false;
  #stopping: Promise<void> | undefined;
  #lastAssignment = '';

  constructor(options: AggregateStreamThreadsOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new KafkaProcessorOptionsError('options', 'expected an options object');
    }
    this.#threads = check.integer(options.threads ?? availableParallelism(), 'threads', 1);
    if (typeof options.kafka !== 'object' || options.kafka === null) {
      throw new KafkaProcessorOptionsError('kafka', 'expected a kafkajs client configuration');
    }
    for (const field of ['logCreator', 'socketFactory'] as const) {
      if (options.kafka[field] !== undefined) {
        throw new KafkaProcessorOptionsError(
          `kafka.${field}`,
          'cannot cross a thread boundary; the threads log to `logger` and use the default socket factory',
        );
      }
    }
    if (typeof options.processor !== 'object' || options.processor === null) {
      throw new KafkaProcessorOptionsError('processor', 'expected AggregateProcessor options');
    }
    this.#kafka = options.kafka;
    this.#processor = options.processor;
    this.#logger = check.logger(options.logger);
    this.#metrics = options.metrics;
    this.#onFatal = options.onFatal;
    this.#stopTimeoutMs = check.integer(options.stopTimeoutMs ?? 15_000, 'stopTimeoutMs', 0);
    this.#codecs = { ...options.codecs };
    this.#file =
      (options as { [streamThreadFileOverride]?: URL })[streamThreadFileOverride] ??
      streamThreadFileFor(import.meta.url);
    this.#maxEventBytes =
      options.maxEventBytes === undefined
        ? undefined
        : check.integer(options.maxEventBytes, 'maxEventBytes', 1);
  }

  /** Number of stream threads. */
  get threads(): number {
    return this.#threads;
  }

  /** True while every thread's processor is ready (joined, not failed, not stopping). */
  get ready(): boolean {
    return (
      !this.#fatal &&
      this.#stopping === undefined &&
      this.#slots.length === this.#threads &&
      this.#slots.every((s) => s.ready)
    );
  }

  /**
   * The last utilisation and heap each running thread reported (about once per second; a thread
   * appears after its first report), for metrics.
   */
  threadStats(): StreamThreadStats[] {
    return this.#slots.flatMap((s) => (s.stats === undefined ? [] : [s.stats]));
  }

  /** Groups the threads own now, ascending. */
  get assignedGroups(): number[] {
    return this.#slots.flatMap((s) => s.groups).sort((a, b) => a - b);
  }

  /** Number of groups (the input partition count), known once a thread has started. */
  get groupCount(): number {
    return Math.max(0, ...this.#slots.map((s) => s.groupCount));
  }

  /**
   * Starts the threads and resolves once every thread's processor started (topics checked, the
   * consumer started); joining and restoring go on in the background, as with
   * `AggregateProcessor.start()`.
   * @throws {StreamThreadError} code `STREAM_THREAD_START_FAILED` naming the thread and its
   *   processor's error, or `STREAM_THREAD_DIED` when a thread could not run (the other threads are
   *   stopped).
   * @throws {ProcessorError} code `INVALID_STATE` when called a second time.
   */
  async start(): Promise<void> {
    if (this.#slots.length > 0)
      throw new ProcessorError('INVALID_STATE', 'AggregateStreamThreads can be started once');
    const started = Array.from({ length: this.#threads }, (_, index) => this.#spawn(index));
    const results = await Promise.allSettled(started);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await this.stop();
      throw failed.reason;
    }
    this.#logger.info('stream threads started', { threads: this.#threads });
  }

  #spawn(index: number): Promise<void> {
    const data: StreamThreadData = {
      index,
      kafka: this.#kafka,
      processor: this.#processor,
      metrics: this.#metrics !== undefined,
      codecs: this.#codecs,
      maxEventBytes: this.#maxEventBytes,
      statePollMs: 100,
    };
    const worker = new Worker(this.#file, {
      workerData: data,
      name: `stage1-${index}`,
      // Without the parent's loader hooks (`--import tsx` under the bench): they would resolve
      // every module the thread loads (the restore threads measured ~20 % of their CPU there).
      execArgv: [],
    });
    let settleStart: { resolve: () => void; reject: (error: unknown) => void } | undefined;
    const startedPromise = new Promise<void>((resolve, reject) => {
      settleStart = { resolve, reject };
    });
    const stopped = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const slot: ThreadSlot = {
      index,
      worker,
      ready: false,
      groups: [],
      groupCount: 0,
      started: false,
      startFailed: false,
      stats: undefined,
      stopped,
    };
    this.#slots.push(slot);
    worker.on('message', (message: StreamThreadMessage) => {
      switch (message.type) {
        case 'started':
          slot.started = true;
          settleStart?.resolve();
          return;
        case 'start-failed':
          slot.startFailed = true;
          settleStart?.reject(
            new StreamThreadError(
              'STREAM_THREAD_START_FAILED',
              index,
              'its processor did not start',
              message.error,
            ),
          );
          return;
        case 'log':
          this.#logger[message.level](message.message, message.fields);
          return;
        case 'metric':
          this.#forwardMetric(message.hook, message.info);
          return;
        case 'state':
          slot.ready = message.ready;
          slot.groups = message.groups;
          slot.groupCount = message.groupCount;
          this.#reportAssignment();
          return;
        case 'stats':
          slot.stats = {
            thread: index,
            utilization: message.utilization,
            heapUsedBytes: message.heapUsedBytes,
          };
          return;
        case 'fatal':
          this.#fail(
            new StreamThreadError('STREAM_THREAD_FATAL', index, 'its processor failed', message.error),
          );
          return;
        case 'stopped':
          return;
      }
    });
    worker.on('error', (error) => {
      const failure = new StreamThreadError(
        'STREAM_THREAD_DIED',
        index,
        'the thread threw',
        toCloneable(error instanceof Error ? error : new Error(String(error))) as ClonedError,
      );
      settleStart?.reject(failure);
      this.#fail(failure);
    });
    worker.once('exit', (code) => {
      slot.ready = false;
      slot.stats = undefined;
      this.#logger.debug('stream thread exited', { thread: index, code });
      // After a start failure the thread stops itself; `start()` reports that failure once.
      if (this.#stopping !== undefined || slot.startFailed) return;
      const failure = new StreamThreadError(
        'STREAM_THREAD_DIED',
        index,
        `the thread exited with code ${code}`,
      );
      settleStart?.reject(failure);
      this.#fail(failure);
    });
    return startedPromise;
  }

  #forwardMetric(hook: keyof ProcessorMetricsHooks, info: unknown): void {
    // onAssignment is reported for all threads together (#reportAssignment).
    if (hook === 'onAssignment') return;
    try {
      (this.#metrics?.[hook] as ((info: unknown) => void) | undefined)?.(info);
    } catch (error) {
      this.#logger.warn('a metrics hook threw', { hook, error });
    }
  }

  #reportAssignment(): void {
    const groups = this.assignedGroups;
    const key = groups.join(',');
    if (key === this.#lastAssignment) return;
    this.#lastAssignment = key;
    try {
      this.#metrics?.onAssignment?.({ groups });
    } catch (error) {
      this.#logger.warn('a metrics hook threw', { hook: 'onAssignment', error });
    }
  }

  #fail(error: StreamThreadError): void {
    if (this.#fatal || this.#stopping !== undefined) return;
    this.#fatal = true;
    this.#logger.error('stream thread failed', { thread: error.thread, code: error.code, error });
    this.#onFatal?.(error);
  }

  /** Test-only: see {@link injectThreadFault}. */
  [injectThreadFault](index: number, fault: 'exit' | 'ignore-stop'): void {
    this.#slots[index]?.worker.postMessage({ type: 'fault', fault });
  }

  /**
   * Stops every thread (each stops its processor: the batch in flight finishes or is abandoned,
   * the member leaves the group) and resolves once all have exited; a thread still running after
   * `stopTimeoutMs` is terminated. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all(
        this.#slots.map(async (slot) => {
          slot.worker.postMessage({ type: 'stop' });
          let timer: NodeJS.Timeout | undefined;
          const timedOut = new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), this.#stopTimeoutMs);
          });
          const outcome = await Promise.race([slot.stopped, timedOut]);
          clearTimeout(timer);
          if (outcome === 'timeout') {
            this.#logger.warn('stream thread did not stop in time; terminating it', {
              thread: slot.index,
              stopTimeoutMs: this.#stopTimeoutMs,
            });
            await slot.worker.terminate();
          }
        }),
      );
      this.#logger.info('stream threads stopped', { threads: this.#slots.length });
    })();
    return this.#stopping;
  }
}

/**
 * The stream-thread entry next to the running module: `streamThread.js` from the ESM build,
 * `streamThread.cjs` from the CJS build, and the tsx shim when running from the sources (tests).
 */
export function streamThreadFileFor(moduleUrl: string): URL {
  const path = new URL(moduleUrl).pathname;
  if (path.endsWith('.ts')) return new URL('./streamThread-shim.mjs', moduleUrl);
  if (path.endsWith('.cjs')) return new URL('./streamThread.cjs', moduleUrl);
  return new URL('./streamThread.js', moduleUrl);
}
