import { availableParallelism } from 'node:os';
import { type Logger, mergeOptions } from '@marketplace/options';
import { DEFAULT_TOPICS, type ProductTopics } from '@marketplace/product-events';
import type { RetryOptions } from '@marketplace/retry';
import type { ReducerPool } from '@marketplace/worker-pool';
import type { Kafka, KafkaConfig } from 'kafkajs';
import { checkOutputCompression, compressionType, type OutputCompression } from './codecs.js';
import {
  DEFAULT_INTERNAL_TOPICS,
  DEFAULT_PROCESSOR_OPTIONS,
  type InternalTopics,
  type ProcessorConsumerOptions,
} from './defaults.js';
import { KafkaProcessorOptionsError } from './errors.js';
import { isPartitionerName, PARTITIONERS, type PartitionerName } from './partitioners.js';
import { DEFAULT_EPOCH_TOPIC } from './pipelineEpoch.js';
import type { RestoreThreadsOptions } from './restoreGroupStates.js';
import type { ProcessorMetricsHooks } from './types.js';
import { check, checkName } from './validateOptions.js';

/** Options of `AggregateProcessor`. */
export interface AggregateProcessorOptions {
  /** A kafkajs client; the processor creates its consumer, producers and admin from it. */
  kafka: Kafka;
  /** Names the deployment: prefixes the consumer group and the transactional ids (`${applicationId}-aggregate-g${i}`). */
  applicationId: string;
  /**
   * Consumer group of the input topics (the offsets are committed in the transactions).
   * @default `${applicationId}-aggregate`
   */
  groupId?: string;
  /**
   * Input topics.
   * @default DEFAULT_TOPICS of `@marketplace/product-events`
   */
  topics?: Partial<ProductTopics>;
  /**
   * Output topics.
   * @default DEFAULT_INTERNAL_TOPICS
   */
  internalTopics?: Partial<InternalTopics>;
  /**
   * Create missing internal topics at start; when false they are only verified.
   * @default true
   */
  createTopics?: boolean;
  /**
   * Replication factor of created internal topics; `-1` uses the broker default.
   * @default -1
   */
  replicationFactor?: number;
  /**
   * Topic holding the current pipeline epoch (one partition, compacted; created with
   * `createTopics`). Every metric change carries the epoch in header `analytics-epoch`; a group
   * entering a new epoch first writes a full snapshot of its partial metrics in it.
   * @default 'analytics.epoch'
   */
  epochTopic?: string;
  /**
   * How often a running processor looks for a new epoch (a cheap offsets request), in ms; on a
   * new one it takes its groups again and writes their snapshots under it.
   * @default 2000
   */
  epochPollMs?: number;
  /** The worker pool that parses, validates and reduces batches. The caller owns (and destroys) it. */
  pool: ReducerPool;
  /**
   * The partitioner that decides which group owns a product: `owner = partitioner(key) mod
   * partitions`. Records that arrived on another partition (their producer uses another
   * partitioner) are not applied there but forwarded, in the same transaction, to the owner's
   * partition of `internalTopics.reroute`, which the owner applies exactly once. Set it to what
   * most producers use, so few records take that detour: `murmur2` for the Java client and
   * kafkajs, `crc32` for librdkafka-based clients (`consistent_random`, its default). Every member
   * must use the same; changing it on a deployment that holds state moves products between groups.
   * @default 'murmur2'
   */
  partitioner?: PartitionerName;
  /**
   * Products with fewer units than this (not deleted) are low on stock.
   * @default 10
   */
  lowStockThreshold?: number;
  /** @default silent */
  logger?: Logger;
  /** @default none */
  metrics?: ProcessorMetricsHooks;
  /**
   * Bound of `AggregateProcessor.stop`, in ms.
   * @default 10000
   */
  shutdownTimeoutMs?: number;
  /**
   * Retries of a failed batch (reduce + transaction); each retry first aborts, drops the group's
   * in-memory state and re-acquires the group (new producer epoch, restore from the changelog).
   * @default DEFAULT_RETRY_OPTIONS of `@marketplace/retry` (10 retries, 100 ms .. 20 s)
   */
  retry?: Omit<RetryOptions, 'signal' | 'isRetryable' | 'onRetry' | 'operation'>;
  /**
   * Batches (topic-partitions) processed concurrently; batches of one group still run one at a time.
   * @default 6
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Bound of one changelog restore, in ms.
   * @default 120000
   */
  restoreTimeoutMs?: number;
  /**
   * Restore the changelog on worker threads: the partitions of the groups being taken are split
   * over up to `threads` threads (default: the machine's `availableParallelism()`), each reading its
   * share with its own kafkajs client built from `kafkaConfig` (the same brokers, TLS and SASL as
   * `kafka`; it must be structured-clonable, so no functions such as a `logCreator`, a
   * `socketFactory` or an OAuth provider), and the states come back as one transferred buffer per
   * group. A thread is started per `minRecordsPerThread` changelog records to read (default
   * 100000): a smaller restore runs on the main thread, where it costs less than starting a thread.
   * Without the option one consumer on the main thread reads every partition.
   * @default none (main thread)
   */
  restoreThreads?: { kafkaConfig: KafkaConfig; threads?: number; minRecordsPerThread?: number };
  /**
   * Transaction timeout of the group producers, in ms (must not exceed the broker's `transaction.max.timeout.ms`).
   * @default 60000
   */
  transactionTimeoutMs?: number;
  /**
   * After this member's producer for a group is fenced, the group's partitions stay paused this
   * long (or until the next rebalance) before it tries to take the group back.
   * @default 5000
   */
  fencedBackoffMs?: number;
  /**
   * Records of one topic are sent in chunks of about this many bytes, below the broker's
   * record-batch limit (`message.max.bytes`, 1 MiB by default).
   * @default 524288
   */
  maxRequestBytes?: number;
  /** Consumer tuning (session timeout, heartbeat interval, fetch sizes). */
  consumer?: ProcessorConsumerOptions;
  /**
   * Compression of every record the processor produces (changelog, metric changes, dead letters,
   * alerts). `zstd` needs Node.js 22.15+ to write (any runtime reads it). Input of any codec is
   * read whatever this says (see `registerKafkaCodecs`).
   * @default 'none'
   */
  compression?: OutputCompression;
  /**
   * Largest dead letter that carries the whole invalid record (approximate encoded size in
   * bytes); a larger one keeps a prefix of key and value plus their size and SHA-256
   * (`dlq-form: truncated`). Keep it below the dead-letter topic's `max.message.bytes`.
   * @default 262144
   */
  maxDeadLetterBytes?: number;
  /**
   * How far an event's `occurredAt` may lie ahead of this host's clock, in ms; later events are
   * dead-lettered with `EVENT_TIME_IN_FUTURE`.
   * @default 86400000 (24 hours)
   */
  maxFutureSkewMs?: number;
  /**
   * Called once when the stage cannot go on by itself: a batch failed with a permanent error (not
   * retryable per `isRetryableError`, e.g. an authorization failure or a changelog record that is
   * not a product state; nothing of it is committed), or the kafkajs consumer crashed and will not
   * restart (`consumer.crash` with `restart: false`). `ready` turns false for good. The processor
   * is left as it is (the failed batch is handed back to kafkajs, which redelivers it); the caller
   * decides, typically `stop()` and exit. Fencing, rebalances and retries spent on transient
   * faults are not fatal.
   *
   * kafkajs restarts a crashed consumer by default: a crash without restart takes a non-retriable
   * kafkajs error or a Kafka client whose `retry.restartOnFailure` resolves false.
   * @default none
   */
  onFatal?: (error: unknown) => void;
}

/** {@link AggregateProcessorOptions} checked, with every default filled in. */
export interface ResolvedOptions {
  applicationId: string;
  groupId: string;
  topics: ProductTopics;
  inputTopics: string[];
  /** The input topics plus the reroute topic: everything the consumer group reads. */
  consumedTopics: string[];
  internalTopics: InternalTopics;
  partitioner: PartitionerName;
  createTopics: boolean;
  replicationFactor: number;
  epochTopic: string;
  epochPollMs: number;
  lowStockThreshold: number;
  shutdownTimeoutMs: number;
  retry: Omit<RetryOptions, 'signal' | 'isRetryable' | 'onRetry' | 'operation'>;
  partitionsConsumedConcurrently: number;
  restoreTimeoutMs: number;
  restoreThreads: RestoreThreadsOptions | undefined;
  transactionTimeoutMs: number;
  fencedBackoffMs: number;
  maxRequestBytes: number;
  consumer: Required<ProcessorConsumerOptions>;
  compression: number;
  maxDeadLetterBytes: number;
  maxFutureSkewMs: number | undefined;
}

/**
 * Checks the options of `AggregateProcessor` once, at construction, and fills in the defaults
 * (`DEFAULT_PROCESSOR_OPTIONS`, `DEFAULT_TOPICS`, `DEFAULT_INTERNAL_TOPICS`).
 * @throws {KafkaProcessorOptionsError} code `INVALID_OPTIONS` naming the invalid field.
 */
export function resolveOptions(options: AggregateProcessorOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new KafkaProcessorOptionsError('options', 'expected an options object');
  }
  check.methods(options.kafka, 'kafka', ['consumer', 'producer', 'admin']);
  check.methods(options.pool, 'pool', ['reduce']);
  const applicationId = checkName(options.applicationId, 'applicationId');
  const groupId = checkName(options.groupId ?? `${applicationId}-aggregate`, 'groupId');
  const topics: ProductTopics = mergeOptions(DEFAULT_TOPICS, options.topics);
  for (const [key, topic] of Object.entries(topics)) checkName(topic, `topics.${key}`);
  const internalTopics: InternalTopics = mergeOptions(DEFAULT_INTERNAL_TOPICS, options.internalTopics);
  for (const [key, topic] of Object.entries(internalTopics)) checkName(topic, `internalTopics.${key}`);
  const inputTopics = [topics.created, topics.updated, topics.deleted];
  const all = [...inputTopics, ...Object.values(internalTopics)];
  if (new Set(all).size !== all.length) {
    throw new KafkaProcessorOptionsError(
      'topics',
      `every input and internal topic must be distinct, got ${all.join(', ')}`,
    );
  }
  const d = DEFAULT_PROCESSOR_OPTIONS;
  const consumer = mergeOptions(d.consumer, options.consumer);
  for (const [key, value] of Object.entries(consumer)) check.integer(value, `consumer.${key}`, 1);
  if (consumer.heartbeatInterval >= consumer.sessionTimeout) {
    throw new KafkaProcessorOptionsError(
      'consumer.heartbeatInterval',
      'must be lower than consumer.sessionTimeout',
    );
  }
  if (options.logger !== undefined)
    check.methods(options.logger, 'logger', ['debug', 'info', 'warn', 'error']);
  if (options.metrics !== undefined && (typeof options.metrics !== 'object' || options.metrics === null)) {
    throw new KafkaProcessorOptionsError('metrics', 'expected an object of hook functions');
  }
  if (options.onFatal !== undefined && typeof options.onFatal !== 'function') {
    throw new KafkaProcessorOptionsError('onFatal', 'expected a function');
  }
  const partitioner = options.partitioner ?? d.partitioner;
  if (!isPartitionerName(partitioner)) {
    throw new KafkaProcessorOptionsError(
      'partitioner',
      `expected one of ${PARTITIONERS.join(', ')}, got ${JSON.stringify(partitioner)}`,
    );
  }
  return {
    applicationId,
    groupId,
    topics,
    inputTopics,
    consumedTopics: [...inputTopics, internalTopics.reroute],
    internalTopics,
    partitioner,
    createTopics: check.boolean(options.createTopics ?? d.createTopics, 'createTopics'),
    replicationFactor: check.integer(
      options.replicationFactor ?? d.replicationFactor,
      'replicationFactor',
      -1,
      32_767,
    ),
    lowStockThreshold: check.integer(
      options.lowStockThreshold ?? d.lowStockThreshold,
      'lowStockThreshold',
      0,
    ),
    shutdownTimeoutMs: check.integer(
      options.shutdownTimeoutMs ?? d.shutdownTimeoutMs,
      'shutdownTimeoutMs',
      1,
    ),
    epochTopic: checkName(options.epochTopic ?? DEFAULT_EPOCH_TOPIC, 'epochTopic'),
    epochPollMs: check.integer(options.epochPollMs ?? 2_000, 'epochPollMs', 10),
    retry: { ...options.retry },
    partitionsConsumedConcurrently: check.integer(
      options.partitionsConsumedConcurrently ?? d.partitionsConsumedConcurrently,
      'partitionsConsumedConcurrently',
      1,
    ),
    restoreTimeoutMs: check.integer(options.restoreTimeoutMs ?? d.restoreTimeoutMs, 'restoreTimeoutMs', 1),
    restoreThreads: resolveRestoreThreads(options.restoreThreads),
    transactionTimeoutMs: check.integer(
      options.transactionTimeoutMs ?? d.transactionTimeoutMs,
      'transactionTimeoutMs',
      1,
    ),
    fencedBackoffMs: check.integer(options.fencedBackoffMs ?? d.fencedBackoffMs, 'fencedBackoffMs', 0),
    maxRequestBytes: check.integer(options.maxRequestBytes ?? d.maxRequestBytes, 'maxRequestBytes', 1024),
    consumer,
    compression: compressionType(checkOutputCompression(options.compression ?? d.compression, 'compression')),
    maxDeadLetterBytes: check.integer(
      options.maxDeadLetterBytes ?? d.maxDeadLetterBytes,
      'maxDeadLetterBytes',
      4096,
    ),
    maxFutureSkewMs:
      options.maxFutureSkewMs === undefined
        ? undefined
        : check.integer(options.maxFutureSkewMs, 'maxFutureSkewMs', 0),
  };
}

/** Default `restoreThreads.minRecordsPerThread`: below it a thread costs more than it saves. */
export const DEFAULT_MIN_RECORDS_PER_RESTORE_THREAD = 100_000;

function resolveRestoreThreads(
  value: AggregateProcessorOptions['restoreThreads'],
): RestoreThreadsOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new KafkaProcessorOptionsError('restoreThreads', 'expected { kafkaConfig, threads? }');
  }
  const { kafkaConfig } = value;
  if (
    typeof kafkaConfig !== 'object' ||
    kafkaConfig === null ||
    !Array.isArray(kafkaConfig.brokers) ||
    kafkaConfig.brokers.length === 0 ||
    !kafkaConfig.brokers.every((b) => typeof b === 'string')
  ) {
    throw new KafkaProcessorOptionsError(
      'restoreThreads.kafkaConfig',
      'expected a kafkajs client config with brokers as a non-empty array of host:port strings',
    );
  }
  try {
    structuredClone(kafkaConfig);
  } catch (cause) {
    throw new KafkaProcessorOptionsError(
      'restoreThreads.kafkaConfig',
      `must be structured-clonable to reach the restore threads (no functions such as logCreator, socketFactory or an OAuth provider): ${(cause as Error).message}`,
    );
  }
  return {
    kafkaConfig,
    threads: check.integer(value.threads ?? availableParallelism(), 'restoreThreads.threads', 1, 64),
    minRecordsPerThread: check.integer(
      value.minRecordsPerThread ?? DEFAULT_MIN_RECORDS_PER_RESTORE_THREAD,
      'restoreThreads.minRecordsPerThread',
      1,
    ),
  };
}
