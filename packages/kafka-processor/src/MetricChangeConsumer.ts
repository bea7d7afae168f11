import { performance } from 'node:perf_hooks';
import { decodeMetricChange, type MetricChangeRecord } from '@marketplace/analytics-aggregator';
import { type Logger, mergeOptions, SILENT_LOGGER } from '@marketplace/options';
import { isRetryableError, type RetryOptions, withRetry } from '@marketplace/retry';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { ensureKafkaCodecs } from './codecs.js';
import { undecodableBatchOf } from './deadLetters.js';
import {
  DEFAULT_INTERNAL_TOPICS,
  DEFAULT_METRIC_CHANGE_CONSUMER_OPTIONS,
  type ProcessorConsumerOptions,
} from './defaults.js';
import { KafkaProcessorOptionsError, ProcessorError, ShutdownTimeoutError } from './errors.js';
import { isPermanentError, isRebalanceError } from './kafkaErrors.js';
import { epochOfHeaders } from './pipelineEpoch.js';
import type { MetricChangeConsumerMetricsHooks } from './types.js';
import { check, checkName } from './validateOptions.js';

/** Options of {@link MetricChangeConsumer}. */
export interface MetricChangeConsumerOptions {
  /** A kafkajs client. */
  kafka: Kafka;
  /** Consumer group of the sink stage. */
  groupId: string;
  /**
   * The metric-change topic.
   * @default 'analytics.metric-changes'
   */
  topic?: string;
  /**
   * Writes one batch (records of one partition in offset order) to the sinks. Must be idempotent
   * per record (the sinks use the source offset as a condition): a batch is redelivered after a
   * crash or rebalance before its offsets were committed.
   */
  handleBatch: (records: MetricChangeRecord[]) => Promise<void>;
  /**
   * Retries of a failing `handleBatch` before the batch is given back to kafkajs (redelivered).
   * @default DEFAULT_RETRY_OPTIONS of `@marketplace/retry`
   */
  retry?: Omit<RetryOptions, 'signal' | 'onRetry' | 'operation'>;
  /**
   * Partitions handled concurrently.
   * @default 3
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Bound of {@link MetricChangeConsumer.stop}, in ms.
   * @default 10000
   */
  shutdownTimeoutMs?: number;
  /** Consumer tuning. */
  consumer?: ProcessorConsumerOptions;
  /** @default silent */
  logger?: Logger;
  /** @default none */
  metrics?: MetricChangeConsumerMetricsHooks;
  /**
   * Called once when the stage cannot go on by itself: `handleBatch` failed with a permanent error
   * (not retryable per `retry.isRetryable`, default `isRetryableError`; the batch is not
   * committed), or the kafkajs consumer crashed and will not restart (`consumer.crash` with
   * `restart: false`). `ready` turns false for good. The consumer is left as it is (a permanent
   * error is handed back to kafkajs, which redelivers the batch); the caller decides, typically
   * `stop()` and exit.
   *
   * kafkajs restarts a crashed consumer by default: a crash without restart takes a non-retriable
   * kafkajs error (e.g. an authorization failure) or a Kafka client whose
   * `retry.restartOnFailure` resolves false.
   * @default none
   */
  onFatal?: (error: unknown) => void;
}

/**
 * Stage 2's consumer loop: reads `analytics.metric-changes` read_committed (only committed stage-1
 * transactions), decodes each batch to {@link MetricChangeRecord}s carrying their source position,
 * calls `handleBatch` (retried with backoff), then commits the batch's offsets. At least once;
 * effectively once because the sinks write conditionally on the source offset.
 *
 * A record that cannot be decoded is logged at warn (topic, partition, offset, size, error),
 * reported to `metrics.onInvalidRecord` and skipped (the topic is written only by stage 1, so this
 * means a bug or a foreign producer, and blocking the partition would stop every metric behind it).
 *
 * @example
 * ```ts
 * const loop = new MetricChangeConsumer({
 *   kafka,
 *   groupId: 'analytics-sink',
 *   handleBatch: async (records) => {
 *     await dynamoSink.write(records);
 *     await s3Archive.write(records);
 *   },
 * });
 * await loop.start();
 * // ...
 * await loop.stop();
 * ```
 */
export class MetricChangeConsumer {
  readonly #kafka: Kafka;
  readonly #groupId: string;
  readonly #topic: string;
  readonly #handleBatch: (records: MetricChangeRecord[]) => Promise<void>;
  readonly #retry: Omit<RetryOptions, 'signal' | 'onRetry' | 'operation'>;
  readonly #concurrency: number;
  readonly #shutdownTimeoutMs: number;
  readonly #consumerOptions: Required<ProcessorConsumerOptions>;
  readonly #logger: Logger;
  readonly #metrics: MetricChangeConsumerMetricsHooks;
  readonly #onFatal: ((error: unknown) => void) | undefined;
  readonly #abort = new AbortController();
  #consumer: Consumer | undefined;
  #state: 'created' | 'running' | 'stopped' = 'created';
  #ready = false;
  #failed = false;

  /**
   * @throws {KafkaProcessorOptionsError} code `INVALID_OPTIONS` naming the invalid field.
   */
  constructor(options: MetricChangeConsumerOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new KafkaProcessorOptionsError('options', 'expected an options object');
    }
    const d = DEFAULT_METRIC_CHANGE_CONSUMER_OPTIONS;
    this.#kafka = check.methods(options.kafka, 'kafka', ['consumer']);
    this.#groupId = checkName(options.groupId, 'groupId');
    this.#topic = checkName(options.topic ?? DEFAULT_INTERNAL_TOPICS.metricChanges, 'topic');
    if (typeof options.handleBatch !== 'function') {
      throw new KafkaProcessorOptionsError('handleBatch', 'expected a function');
    }
    this.#handleBatch = options.handleBatch;
    ensureKafkaCodecs();
    this.#retry = { ...options.retry };
    this.#concurrency = check.integer(
      options.partitionsConsumedConcurrently ?? d.partitionsConsumedConcurrently,
      'partitionsConsumedConcurrently',
      1,
    );
    this.#shutdownTimeoutMs = check.integer(
      options.shutdownTimeoutMs ?? d.shutdownTimeoutMs,
      'shutdownTimeoutMs',
      1,
    );
    this.#consumerOptions = mergeOptions(d.consumer, options.consumer);
    for (const [key, value] of Object.entries(this.#consumerOptions))
      check.integer(value, `consumer.${key}`, 1);
    if (options.logger !== undefined)
      check.methods(options.logger, 'logger', ['debug', 'info', 'warn', 'error']);
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.#metrics = options.metrics ?? {};
    if (options.onFatal !== undefined && typeof options.onFatal !== 'function') {
      throw new KafkaProcessorOptionsError('onFatal', 'expected a function');
    }
    this.#onFatal = options.onFatal;
  }

  /**
   * True once the consumer joined its group, until `stop()`, a consumer crash (until kafkajs
   * rejoined) or a fatal failure (for good, see `onFatal`).
   */
  get ready(): boolean {
    return this.#ready;
  }

  /**
   * Joins the group and starts consuming from the committed offsets (from the beginning for a new group).
   * @throws {ProcessorError} code `INVALID_STATE` when called twice.
   */
  async start(): Promise<void> {
    if (this.#state !== 'created')
      throw new ProcessorError('INVALID_STATE', `start() called when ${this.#state}`);
    this.#state = 'running';
    const consumer = this.#kafka.consumer({
      groupId: this.#groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      ...this.#consumerOptions,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.#ready = this.#state === 'running' && !this.#failed;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#state !== 'running') return;
      this.#ready = false;
      if (payload.restart) {
        this.#logger.warn('metric-change consumer crashed; kafkajs restarts it', { error: payload.error });
        return;
      }
      this.#fail(payload.error, 'metric-change consumer crashed and will not restart');
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.#topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.#concurrency,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
    } catch (error) {
      await this.stop().catch(() => {});
      throw error;
    }
  }

  /**
   * Stops fetching, lets the batch in flight finish (a retry wait is cut short; that batch is not
   * committed and will be redelivered), then disconnects. Bounded by `shutdownTimeoutMs`; idempotent.
   * @throws {ShutdownTimeoutError} code `SHUTDOWN_TIMEOUT` when the bound was hit.
   */
  async stop(): Promise<void> {
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopped';
    this.#ready = false;
    this.#abort.abort(new ProcessorError('INVALID_STATE', 'the consumer is stopping'));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      (async () => {
        await this.#consumer?.stop();
        return false;
      })(),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      // handleBatch is stuck: disconnecting would wait for it, so do not wait for that either.
      void this.#consumer?.disconnect().catch(() => {});
      throw new ShutdownTimeoutError(this.#shutdownTimeoutMs);
    }
    await this.#consumer?.disconnect().catch(() => {});
  }

  /** Reports a failure the stage cannot get past: once, and only while running. */
  #fail(error: unknown, message: string): void {
    if (this.#failed || this.#state !== 'running') return;
    this.#failed = true;
    this.#ready = false;
    this.#logger.error(message, { groupId: this.#groupId, topic: this.#topic, error });
    this.#onFatal?.(error);
  }

  #decode(payload: EachBatchPayload): MetricChangeRecord[] {
    const { topic, partition } = payload.batch;
    const records: MetricChangeRecord[] = [];
    for (const message of payload.batch.messages) {
      try {
        const undecodable = undecodableBatchOf(message);
        if (undecodable !== undefined) {
          // A whole record batch kafkajs could not decompress (offsets firstOffset..lastOffset).
          throw new Error(
            `the record batch at offsets ${undecodable.firstOffset}..${undecodable.lastOffset} could not be decompressed`,
            { cause: undecodable.error },
          );
        }
        if (message.value === null) throw new Error('the record has no value');
        records.push({
          ...decodeMetricChange(message.value),
          source: { topic, partition, offset: message.offset, epoch: epochOfHeaders(message.headers) },
        });
      } catch (error) {
        this.#logger.warn('skipping a metric change that cannot be decoded', {
          topic,
          partition,
          offset: message.offset,
          valueBytes: message.value?.length ?? null,
          error,
        });
        this.#metrics.onInvalidRecord?.({ topic, partition, offset: message.offset, error });
      }
    }
    return records;
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (!payload.isRunning() || payload.isStale()) return;
    const started = performance.now();
    const records = this.#decode(payload);
    let handled = false;
    try {
      if (records.length > 0) {
        await withRetry(() => this.#handleBatch(records), {
          ...this.#retry,
          signal: this.#abort.signal,
          operation: `handle metric changes ${batch.topic}/${batch.partition}`,
          onRetry: ({ attempt, error, delayMs }) => {
            this.#logger.warn('handleBatch failed; retrying', {
              topic: batch.topic,
              partition: batch.partition,
              attempt,
              delayMs,
              error,
            });
            this.#metrics.onRetry?.({ topic: batch.topic, partition: batch.partition, attempt, error });
          },
        });
      }
      handled = true;
      const next = (BigInt(batch.lastOffset()) + 1n).toString();
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
      });
      payload.resolveOffset(batch.lastOffset());
      this.#metrics.onBatch?.({
        topic: batch.topic,
        partition: batch.partition,
        records: records.length,
        durationMs: performance.now() - started,
        lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next))),
      });
    } catch (error) {
      if (this.#state !== 'running') {
        this.#logger.info('batch abandoned: stopping', { topic: batch.topic, partition: batch.partition });
        return;
      }
      if (isRebalanceError(error)) throw error;
      if (!handled && isPermanentError(error, this.#retry.isRetryable ?? isRetryableError)) {
        // Redelivering the batch would fail the same way: nothing is committed, the caller stops.
        this.#fail(error, 'metric-change batch failed with a permanent error');
      } else {
        this.#logger.error('metric-change batch failed; it will be redelivered', {
          topic: batch.topic,
          partition: batch.partition,
          error,
        });
      }
      throw error;
    }
    await payload.heartbeat();
  }
}
