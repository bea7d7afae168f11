import { performance } from 'node:perf_hooks';
import {
  encodeMetricChange,
  encodeProductState,
  isLowStock,
  type MetricChange,
  metricChangeKey,
  PartialAggregates,
  type ProductState,
} from '@marketplace/analytics-aggregator';
import { type Logger, mergeOptions, SILENT_LOGGER } from '@marketplace/options';
import { DEFAULT_TOPICS, type ProductTopics } from '@marketplace/product-events';
import { isRetryableError, type RetryOptions, withRetry } from '@marketplace/retry';
import type { ReduceResult, ReducerPool } from '@marketplace/worker-pool';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { chunkBySize } from './chunkBySize.js';
import {
  checkOutputCompression,
  compressionType,
  ensureKafkaCodecs,
  type OutputCompression,
} from './codecs.js';
import { createCoPartitionedAssigner } from './coPartitionedAssigner.js';
import {
  deadLettersOf,
  invalidRecordDeadLetter,
  referenceDeadLetter,
  splitUndecodable,
} from './deadLetters.js';
import {
  DEFAULT_INTERNAL_TOPICS,
  DEFAULT_PROCESSOR_OPTIONS,
  type InternalTopics,
  type ProcessorConsumerOptions,
} from './defaults.js';
import {
  InternalTopicError,
  KafkaProcessorOptionsError,
  ProcessorError,
  ProducerFencedError,
  ShutdownTimeoutError,
  TransactionError,
} from './errors.js';
import {
  isConcurrentTransactionsError,
  isMessageTooLargeError,
  isPermanentError,
  isProducerFencedError,
  isRebalanceError,
} from './kafkaErrors.js';
import { lowStockAlertMessage } from './lowStockAlertMessage.js';
import { PartitionerSampler } from './PartitionerSampler.js';
import { isPartitionerName, PARTITIONERS, type PartitionerName } from './partitioners.js';
import {
  DEFAULT_EPOCH_TOPIC,
  EPOCH_HEADER,
  encodeGroupEpochMarker,
  ensureEpochTopic,
  GROUP_EPOCH_KEY,
  readPipelineEpoch,
} from './pipelineEpoch.js';
import { prepareTopics } from './prepareTopics.js';
import { REROUTE_NOT_OWNER, readRerouteSource, rerouteMessage } from './rerouteMessage.js';
import { restoreGroupStates } from './restoreGroupStates.js';
import { routeRecords } from './routeRecords.js';
import { snapshotChanges } from './snapshotChanges.js';
import { toRawMessage } from './toRawMessage.js';
import type { BatchMetrics, ProcessorMetricsHooks } from './types.js';
import { check, checkName } from './validateOptions.js';

/** Options of {@link AggregateProcessor}. */
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
   * Bound of {@link AggregateProcessor.stop}, in ms.
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

interface ResolvedOptions {
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
  transactionTimeoutMs: number;
  fencedBackoffMs: number;
  maxRequestBytes: number;
  consumer: Required<ProcessorConsumerOptions>;
  compression: number;
  maxDeadLetterBytes: number;
  maxFutureSkewMs: number | undefined;
}

/** A group this member holds: its transactional producer and its restored, live state. */
interface OwnedGroup {
  readonly producer: Producer;
  readonly states: Map<string, ProductState>;
  readonly aggregates: PartialAggregates;
  /** Highest `updatedAt` of the group's states: the event time of its metric changes. */
  watermark: string;
  /** Next offset to process per input topic (partition = group); below it was committed already. */
  readonly positions: Map<string, bigint>;
  /** Pipeline epoch the group's metric changes are written in. */
  readonly epoch: number;
}

/** Bookkeeping of one assigned group. */
interface GroupContext {
  readonly group: number;
  readonly transactionalId: string;
  /** Tail of the group's promise chain: batches of one group run one at a time. */
  tail: Promise<void>;
  owned: OwnedGroup | undefined;
  acquiring: Promise<void> | undefined;
  revoked: boolean;
  /** Set while the group is paused after this member's producer was fenced. */
  fencedTimer: NodeJS.Timeout | undefined;
}

type ProcessorState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

function resolveOptions(options: AggregateProcessorOptions): ResolvedOptions {
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

/**
 * Records of one topic per `sendBatch`: kafkajs 2.2.4 groups a topic's messages by partition
 * copying the partition's array for every message (quadratic in the records per call, and much
 * garbage), so a large batch is sent in several smaller requests of the same transaction.
 * Measured on the bench's 300k-event stream: processing phase ~7% shorter than one request per
 * 512 KiB (5.2 s -> 4.8 s at 1 MiB per partition).
 */
const MAX_RECORDS_PER_SEND = 250;

/** Backoff while the previous transaction of the same producer completes (typically a few ms). */
const CONCURRENT_TRANSACTIONS_RETRY = Object.freeze({ retries: 10, minDelayMs: 20, maxDelayMs: 500 });

/** The reduce result of a batch with no record to apply here. */
const NOTHING_REDUCED: ReduceResult = Object.freeze({
  states: [],
  invalid: [],
  counts: {
    applied: 0,
    duplicate: 0,
    stale: 0,
    invalid: 0,
    byType: { 'product.created': 0, 'product.updated': 0, 'product.deleted': 0 },
  },
  maxOccurredAt: null,
});

/** Fails a pending operation when the processor is stopping (not retried). */
class StoppingError extends ProcessorError {
  constructor() {
    super('INVALID_STATE', 'the processor is stopping');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Stage 1 of the pipeline (docs/architecture.md#stage-1-aggregate-exactly-once): consumes the three
 * co-partitioned product topics and, exactly once per input record, maintains the latest state per
 * product and the partial aggregates of each group (= input partition index), producing per batch
 * in ONE Kafka transaction the changed states (changelog), the changed partial metrics (absolute
 * values), dead letters, low-stock alerts and the consumed offsets.
 *
 * How: a co-partitioned assigner gives partition *i* of the three topics to one member; on
 * assignment the member initialises the group's transactional producer
 * (`${applicationId}-aggregate-g${i}`, which fences any previous owner), restores the group's
 * states from partition *i* of the changelog (read_committed, up to the high watermark) and reads
 * the committed input offsets; batches of a group run one at a time. A failed batch is aborted,
 * the group's in-memory state dropped and re-acquired, and the batch retried with backoff. A
 * fenced producer means another member owns the group: its state is dropped and its partitions
 * paused until the rebalance settles.
 *
 * @example
 * ```ts
 * import { Kafka } from 'kafkajs';
 * import { ReducerPool } from '@marketplace/worker-pool';
 * import { AggregateProcessor } from '@marketplace/kafka-processor';
 *
 * const pool = new ReducerPool();
 * const processor = new AggregateProcessor({
 *   kafka: new Kafka({ clientId: 'analytics', brokers: ['127.0.0.1:9092'] }),
 *   applicationId: 'analytics',
 *   pool,
 *   logger,
 * });
 * await processor.start();
 * process.once('SIGTERM', async () => {
 *   await processor.stop();
 *   await pool.destroy();
 * });
 * ```
 */
export class AggregateProcessor {
  readonly #kafka: Kafka;
  readonly #pool: ReducerPool;
  readonly #options: ResolvedOptions;
  readonly #logger: Logger;
  readonly #metrics: ProcessorMetricsHooks;
  readonly #onFatal: ((error: unknown) => void) | undefined;
  readonly #groups = new Map<number, GroupContext>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #abort = new AbortController();
  #state: ProcessorState = 'created';
  #ready = false;
  #failed = false;
  #admin: Admin | undefined;
  #consumer: Consumer | undefined;
  #groupCount = 0;
  #sampler: PartitionerSampler;
  /** Current pipeline epoch (read at start, then polled). */
  #epoch = 0;
  /** High watermark of the epoch topic when it was last read. */
  #epochEnd = '';
  #epochTimer: NodeJS.Timeout | undefined;

  /**
   * @throws {KafkaProcessorOptionsError} code `INVALID_OPTIONS` naming the invalid field.
   */
  constructor(options: AggregateProcessorOptions) {
    this.#options = resolveOptions(options);
    ensureKafkaCodecs();
    this.#kafka = options.kafka;
    this.#pool = options.pool;
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.#metrics = options.metrics ?? {};
    this.#onFatal = options.onFatal;
    this.#sampler = new PartitionerSampler(this.#options.partitioner);
  }

  /**
   * True once the consumer joined its group, until `stop()`, a consumer crash (until kafkajs
   * rejoined) or a fatal failure (for good, see `onFatal`).
   */
  get ready(): boolean {
    return this.#ready;
  }

  /** Groups (input partition indexes) this member owns now, ascending. */
  get assignedGroups(): number[] {
    return [...this.#groups.keys()].sort((a, b) => a - b);
  }

  /** Number of groups, i.e. the input partition count (known after `start()`). */
  get groupCount(): number {
    return this.#groupCount;
  }

  /**
   * Checks and prepares the topics, then starts the consumer. Joining the group, restoring the
   * assigned groups' states and consuming continue in the background: `ready` turns true once
   * the member has joined (batches of a group wait for its restore).
   * @throws {TopicMismatchError} code `TOPIC_MISMATCH` when the input topics are missing or differ in partition count.
   * @throws {InternalTopicError} code `INTERNAL_TOPIC_INVALID` when an internal topic is missing (with `createTopics: false`) or misconfigured.
   * @throws {ProcessorError} code `INVALID_STATE` when called twice.
   */
  async start(): Promise<void> {
    if (this.#state !== 'created')
      throw new ProcessorError('INVALID_STATE', `start() called when ${this.#state}`);
    this.#state = 'starting';
    const o = this.#options;
    try {
      this.#admin = this.#kafka.admin();
      await this.#admin.connect();
      // First: an unfinished rescale or reset explains a wrong partition count better.
      await this.#readEpoch();
      this.#groupCount = await prepareTopics(this.#admin, {
        inputTopics: o.inputTopics,
        internalTopics: o.internalTopics,
        createTopics: o.createTopics,
        replicationFactor: o.replicationFactor,
        logger: this.#logger,
      });
      if (o.createTopics) await ensureEpochTopic(this.#admin, o.epochTopic, o.replicationFactor);
      const consumer = this.#kafka.consumer({
        groupId: o.groupId,
        partitionAssigners: [createCoPartitionedAssigner({ ownedGroups: () => [...this.#groups.keys()] })],
        readUncommitted: false,
        allowAutoTopicCreation: false,
        ...o.consumer,
      });
      this.#consumer = consumer;
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.#onGroupJoin(payload.memberAssignment));
      consumer.on(consumer.events.CRASH, ({ payload }) => this.#onCrash(payload.error, payload.restart));
      await consumer.connect();
      await consumer.subscribe({ topics: o.consumedTopics, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
      this.#state = 'running';
      this.#epochTimer = setInterval(() => this.#track(this.#pollEpoch()), o.epochPollMs);
      this.#epochTimer.unref();
      this.#logger.info('aggregate processor started', {
        groupId: o.groupId,
        groups: this.#groupCount,
        epoch: this.#epoch,
      });
    } catch (error) {
      this.#state = 'running';
      await this.stop().catch(() => {});
      throw error;
    }
  }

  /**
   * Stops fetching, lets the batch in flight finish (or aborts it when it is waiting to retry),
   * then disconnects the consumer, the group producers and the admin client. Bounded by
   * `shutdownTimeoutMs`; idempotent. Does not destroy the pool (the caller owns it).
   * @throws {ShutdownTimeoutError} code `SHUTDOWN_TIMEOUT` when the bound was hit (clients were closed forcibly).
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return;
    if (this.#state === 'created') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopping';
    this.#ready = false;
    clearInterval(this.#epochTimer);
    this.#abort.abort(new StoppingError());
    const closeClients = async (): Promise<void> => {
      for (const ctx of [...this.#groups.values()]) this.#revoke(ctx);
      await Promise.allSettled([
        this.#consumer?.disconnect(),
        this.#admin?.disconnect(),
        ...[...this.#background].map((p) => p.catch(() => {})),
      ]);
    };
    const graceful = (async () => {
      await this.#consumer?.stop();
      await Promise.allSettled([...this.#background]);
      for (const ctx of this.#groups.values()) await ctx.tail;
      await closeClients();
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      graceful.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#options.shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.#state = 'stopped';
    if (timedOut) {
      // A batch is stuck (e.g. a reduce that never returns): close what can be closed without
      // waiting for it. Its transaction, if any, is aborted by the broker or fenced by the next owner.
      this.#logger.error('graceful shutdown timed out; closing clients forcibly', {
        timeoutMs: this.#options.shutdownTimeoutMs,
      });
      void closeClients();
    } else {
      this.#logger.info('aggregate processor stopped');
    }
    if (timedOut) throw new ShutdownTimeoutError(this.#options.shutdownTimeoutMs);
  }

  #onCrash(error: unknown, restart: boolean): void {
    if (this.#isStopping()) return;
    this.#ready = false;
    if (restart) {
      this.#logger.warn('aggregate consumer crashed; kafkajs restarts it', { error });
      return;
    }
    this.#fail(error, 'aggregate consumer crashed and will not restart');
  }

  /** Reports a failure the stage cannot get past: once, and only while running. */
  #fail(error: unknown, message: string): void {
    if (this.#failed || this.#isStopping()) return;
    this.#failed = true;
    this.#ready = false;
    this.#logger.error(message, { groupId: this.#options.groupId, error });
    this.#onFatal?.(error);
  }

  /** Not narrowed by TypeScript across awaits, unlike a direct comparison of `#state`. */
  #isStopping(): boolean {
    return this.#state === 'stopping' || this.#state === 'stopped';
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#background.add(promise);
    const remove = (): void => {
      this.#background.delete(promise);
    };
    promise.then(remove, remove);
    return promise;
  }

  #onGroupJoin(memberAssignment: Record<string, number[]>): void {
    const assigned = new Set<number>();
    const inputs = new Set(this.#options.consumedTopics);
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      if (inputs.has(topic)) for (const p of partitions) assigned.add(p);
    }
    for (const ctx of [...this.#groups.values()]) if (!assigned.has(ctx.group)) this.#revoke(ctx);
    const fresh: GroupContext[] = [];
    for (const group of [...assigned].sort((a, b) => a - b)) {
      const existing = this.#groups.get(group);
      if (existing) {
        if (existing.fencedTimer) this.#resumeAfterFence(existing);
        continue;
      }
      const ctx = this.#newContext(group);
      this.#groups.set(group, ctx);
      fresh.push(ctx);
    }
    this.#ready = !this.#isStopping() && !this.#failed;
    const groups = this.assignedGroups;
    this.#logger.info('assignment changed', { groups, acquiring: fresh.map((c) => c.group) });
    this.#metrics.onAssignment?.({ groups });
    if (fresh.length > 0) this.#startAcquire(fresh);
  }

  #newContext(group: number): GroupContext {
    return {
      group,
      transactionalId: `${this.#options.applicationId}-aggregate-g${group}`,
      tail: Promise.resolve(),
      owned: undefined,
      acquiring: undefined,
      revoked: false,
      fencedTimer: undefined,
    };
  }

  /** Drops a group's state and closes its producer (revocation, shutdown). */
  #revoke(ctx: GroupContext): void {
    ctx.revoked = true;
    clearTimeout(ctx.fencedTimer);
    ctx.fencedTimer = undefined;
    this.#groups.delete(ctx.group);
    this.#release(ctx);
  }

  /** Drops the in-memory state of a group and closes its producer; it is re-acquired on next use. */
  #release(ctx: GroupContext): void {
    const owned = ctx.owned;
    ctx.owned = undefined;
    if (owned) this.#closeProducer(owned.producer);
  }

  #closeProducer(producer: Producer): void {
    this.#track(producer.disconnect().catch(() => {}));
  }

  #startAcquire(ctxs: GroupContext[]): void {
    const done: Promise<void> = this.#acquire(ctxs)
      .then((acquired) => {
        for (const ctx of ctxs) {
          const owned = acquired.get(ctx.group)!;
          if (this.#groups.get(ctx.group) === ctx && !ctx.revoked && !this.#isStopping()) ctx.owned = owned;
          else this.#closeProducer(owned.producer);
        }
      })
      .finally(() => {
        // No other acquisition of these groups can start while this one is pending.
        for (const ctx of ctxs) ctx.acquiring = undefined;
      });
    done.catch((error: unknown) =>
      this.#logger.warn('acquiring groups failed; the next batch retries', {
        groups: ctxs.map((c) => c.group),
        error,
      }),
    );
    for (const ctx of ctxs) ctx.acquiring = done;
    this.#track(done.catch(() => {}));
  }

  /**
   * Takes ownership of groups: initialises each group's transactional producer (fencing any
   * previous owner and completing its open transaction), then restores the groups' states from
   * the changelog and reads the committed input offsets, both now stable.
   */
  async #acquire(ctxs: readonly GroupContext[]): Promise<Map<number, OwnedGroup>> {
    const o = this.#options;
    const started = performance.now();
    const producers = new Map<number, Producer>();
    try {
      await Promise.all(
        ctxs.map(async (ctx) => {
          const producer = this.#kafka.producer({
            transactionalId: ctx.transactionalId,
            idempotent: true,
            maxInFlightRequests: 1,
            transactionTimeout: o.transactionTimeoutMs,
            allowAutoTopicCreation: false,
          });
          producers.set(ctx.group, producer);
          await producer.connect();
          // The first transaction() initialises the producer id for this transactional id
          // (InitProducerId): it bumps the epoch, fencing the previous owner, and waits until
          // that owner's open transaction is completed. Nothing was sent, so abort is local.
          const init = await producer.transaction();
          await init.abort();
        }),
      );
      const groups = ctxs.map((c) => c.group);
      const restored = await restoreGroupStates({
        kafka: this.#kafka,
        admin: this.#admin!,
        topic: o.internalTopics.productState,
        groups,
        groupIdPrefix: o.groupId,
        timeoutMs: o.restoreTimeoutMs,
        logger: this.#logger,
      });
      const committed = await this.#admin!.fetchOffsets({ groupId: o.groupId, topics: o.consumedTopics });
      const acquired = new Map<number, OwnedGroup>();
      let stateCount = 0;
      let records = 0;
      for (const ctx of ctxs) {
        const { states, records: read } = restored.get(ctx.group)!;
        let watermark = '';
        for (const state of states.values()) if (state.updatedAt > watermark) watermark = state.updatedAt;
        const positions = new Map<string, bigint>();
        for (const { topic, partitions } of committed) {
          const offset = partitions.find((p) => p.partition === ctx.group)?.offset;
          if (offset !== undefined && BigInt(offset) >= 0n) positions.set(topic, BigInt(offset));
        }
        const epoch = this.#epoch;
        const owned: OwnedGroup = {
          producer: producers.get(ctx.group)!,
          states,
          aggregates: PartialAggregates.fromStates(states.values(), {
            lowStockThreshold: o.lowStockThreshold,
          }),
          watermark,
          positions,
          epoch,
        };
        if (restored.get(ctx.group)!.epoch < epoch) await this.#writeSnapshot(ctx, owned);
        acquired.set(ctx.group, owned);
        stateCount += states.size;
        records += read;
      }
      const durationMs = performance.now() - started;
      this.#logger.info('groups restored', {
        groups,
        states: stateCount,
        records,
        durationMs: Math.round(durationMs),
      });
      this.#metrics.onRestore?.({ groups, states: stateCount, records, durationMs });
      return acquired;
    } catch (error) {
      for (const producer of producers.values()) this.#closeProducer(producer);
      throw error;
    }
  }

  async #ensureOwned(ctx: GroupContext, payload: EachBatchPayload): Promise<OwnedGroup> {
    while (ctx.owned === undefined) {
      if (this.#isStopping() || !payload.isRunning()) throw new StoppingError();
      if (ctx.acquiring === undefined) this.#startAcquire([ctx]);
      const acquiring = ctx.acquiring!;
      // kafkajs has no background heartbeat: keep the membership alive while the restore runs.
      let settled = false;
      acquiring.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
      while (!settled) {
        await Promise.race([acquiring.catch(() => {}), delay(this.#options.consumer.heartbeatInterval)]);
        if (settled) break;
        if (this.#isStopping() || !payload.isRunning()) throw new StoppingError();
        await payload.heartbeat();
      }
      await acquiring;
    }
    return ctx.owned;
  }

  #eachBatch(payload: EachBatchPayload): Promise<void> {
    const group = payload.batch.partition;
    let ctx = this.#groups.get(group);
    if (!ctx) {
      // GROUP_JOIN is emitted before fetching starts, so this is only a safety net.
      ctx = this.#newContext(group);
      this.#groups.set(group, ctx);
    }
    const run = ctx.tail.then(() => this.#processBatch(ctx, payload));
    ctx.tail = run.catch(() => {});
    return run;
  }

  #skip(
    ctx: GroupContext,
    payload: EachBatchPayload,
    reason: 'not-running' | 'stale' | 'already-committed' | 'fenced',
    messages: number,
  ): void {
    const { topic, partition } = payload.batch;
    this.#logger.debug('batch skipped', { group: ctx.group, topic, partition, reason, messages });
    this.#metrics.onSkippedBatch?.({ group: ctx.group, topic, partition, reason, messages });
  }

  async #processBatch(ctx: GroupContext, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (!payload.isRunning() || this.#isStopping()) {
      this.#skip(ctx, payload, 'not-running', batch.messages.length);
      return;
    }
    if (payload.isStale()) {
      this.#skip(ctx, payload, 'stale', batch.messages.length);
      return;
    }
    if (ctx.fencedTimer !== undefined || ctx.revoked) {
      // Paused after this member was fenced (or already given away): leave it to the new owner.
      this.#skip(ctx, payload, 'fenced', batch.messages.length);
      return;
    }
    const started = performance.now();
    let attempts = 0;
    // Once the broker refused this batch's output as too large, its dead letters go by reference.
    let deadLettersByReference = false;
    let switchedToReference = false;
    try {
      const outcome = await withRetry(
        async (attempt) => {
          attempts = attempt;
          switchedToReference = false;
          try {
            return await this.#attempt(ctx, payload, deadLettersByReference);
          } catch (error) {
            // Whatever failed, the in-memory state may be ahead of what is committed: drop it;
            // the next attempt re-acquires the group (new epoch, restore, committed offsets).
            this.#release(ctx);
            if (!deadLettersByReference && isMessageTooLargeError(error)) {
              deadLettersByReference = true;
              switchedToReference = true;
              this.#logger.warn('output refused as too large; retrying with dead letters by reference', {
                group: ctx.group,
                topic: batch.topic,
                error,
              });
            }
            throw error;
          }
        },
        {
          ...this.#options.retry,
          operation: `aggregate batch g${ctx.group} ${batch.topic}`,
          signal: this.#abort.signal,
          isRetryable: (error) =>
            switchedToReference ||
            (!(error instanceof StoppingError) &&
              !isProducerFencedError(error) &&
              !isRebalanceError(error) &&
              isRetryableError(error)),
          onRetry: ({ attempt, error, delayMs }) => {
            this.#logger.warn('batch failed; retrying', {
              group: ctx.group,
              topic: batch.topic,
              attempt,
              delayMs,
              error,
            });
            this.#metrics.onTransactionRetry?.({ group: ctx.group, attempt, error });
          },
        },
      );
      if (outcome.kind === 'skipped') {
        payload.resolveOffset(batch.lastOffset());
        this.#skip(ctx, payload, 'already-committed', batch.messages.length);
      } else {
        payload.resolveOffset(batch.lastOffset());
        this.#metrics.onBatch?.({ ...outcome.metrics, durationMs: performance.now() - started, attempts });
      }
    } catch (error) {
      if (isProducerFencedError(error)) {
        this.#onFenced(ctx, error);
        return;
      }
      if (error instanceof StoppingError || this.#isStopping()) {
        this.#logger.info('batch abandoned: stopping', { group: ctx.group, topic: batch.topic });
        return;
      }
      if (isRebalanceError(error)) {
        // Leave eachBatch at once so kafkajs can rejoin; the batch is fetched again afterwards.
        this.#logger.info('batch interrupted by a rebalance', { group: ctx.group, topic: batch.topic });
        throw error;
      }
      const permanent = isPermanentError(error, isRetryableError);
      this.#metrics.onBatchFailed?.({
        group: ctx.group,
        topic: batch.topic,
        partition: batch.partition,
        attempts,
        durationMs: performance.now() - started,
        permanent,
        error,
      });
      if (permanent) {
        // Redelivering the batch would fail the same way: nothing is committed, the caller stops.
        this.#fail(error, `batch of group ${ctx.group} (${batch.topic}) failed with a permanent error`);
        throw error;
      }
      this.#logger.error('batch failed after retries; it will be redelivered', {
        group: ctx.group,
        topic: batch.topic,
        attempts,
        error,
      });
      throw error;
    }
    await payload.heartbeat();
  }

  #onFenced(ctx: GroupContext, error: unknown): void {
    this.#release(ctx);
    this.#logger.warn(
      'producer fenced: another member owns the group; pausing it until the rebalance settles',
      {
        group: ctx.group,
        transactionalId: ctx.transactionalId,
        error,
      },
    );
    this.#metrics.onFenced?.({ group: ctx.group, transactionalId: ctx.transactionalId });
    if (ctx.fencedTimer !== undefined || ctx.revoked) return;
    const partitions = this.#options.consumedTopics.map((topic) => ({ topic, partitions: [ctx.group] }));
    this.#consumer?.pause(partitions);
    ctx.fencedTimer = setTimeout(() => this.#resumeAfterFence(ctx), this.#options.fencedBackoffMs);
  }

  #resumeAfterFence(ctx: GroupContext): void {
    clearTimeout(ctx.fencedTimer);
    ctx.fencedTimer = undefined;
    if (ctx.revoked || this.#state !== 'running') return;
    this.#consumer?.resume(this.#options.consumedTopics.map((topic) => ({ topic, partitions: [ctx.group] })));
  }

  async #attempt(
    ctx: GroupContext,
    payload: EachBatchPayload,
    deadLettersByReference: boolean,
  ): Promise<
    { kind: 'skipped' } | { kind: 'committed'; metrics: Omit<BatchMetrics, 'durationMs' | 'attempts'> }
  > {
    const { batch } = payload;
    const o = this.#options;
    const owned = await this.#ensureOwned(ctx, payload);
    const group = ctx.group;
    const position = owned.positions.get(batch.topic);
    const messages =
      position === undefined ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= position);
    if (messages.length === 0) return { kind: 'skipped' };

    // Records standing for batches kafkajs could not decompress are dead-lettered by reference
    // (split first: their placeholder record has no key to route by).
    const { decodable, undecodable } = splitUndecodable(messages);
    // The owner of a product is a function of its key (docs/architecture.md, misrouted input):
    // records of another group are forwarded to it in this transaction instead of applied here.
    const fromReroute = batch.topic === o.internalTopics.reroute;
    if (!fromReroute) this.#samplePartitioner(batch.topic, batch.partition, decodable);
    const routed = routeRecords(decodable, group, this.#groupCount, o.partitioner);
    const forwards: Message[] = [];
    const notOwned: Message[] = [];
    for (const { message, owner } of routed.misrouted) {
      if (!fromReroute) forwards.push(rerouteMessage(batch, message, owner));
      else notOwned.push(this.#notOwnedDeadLetter(batch, message, owner, group));
    }

    const priorStates = new Map<string, ProductState>();
    for (const message of routed.local) {
      const key = message.key?.toString('utf8');
      const prior = key === undefined ? undefined : owned.states.get(key);
      if (prior) priorStates.set(prior.productId, prior);
    }
    // A batch that is all forwards has nothing to reduce: skip the round trip to the pool.
    const result =
      routed.local.length === 0
        ? NOTHING_REDUCED
        : await this.#pool.reduce({
            topic: batch.topic,
            partition: batch.partition,
            messages: routed.local.map(toRawMessage),
            priorStates,
            ...(o.maxFutureSkewMs === undefined ? {} : { maxFutureSkewMs: o.maxFutureSkewMs }),
          });

    const stateRecords: Message[] = [];
    const alerts: Message[] = [];
    let watermark = owned.watermark;
    for (const next of result.states) {
      const previous = owned.states.get(next.productId);
      owned.aggregates.replace(previous, next);
      owned.states.set(next.productId, next);
      if (next.updatedAt > watermark) watermark = next.updatedAt;
      stateRecords.push({ key: next.productId, value: encodeProductState(next), partition: group });
      const wasLow = previous !== undefined && isLowStock(previous, o.lowStockThreshold);
      if (!wasLow && isLowStock(next, o.lowStockThreshold)) {
        alerts.push(lowStockAlertMessage(next, o.lowStockThreshold, group));
      }
    }
    owned.watermark = watermark;
    const changes = watermark === '' ? [] : owned.aggregates.takeChanges(group, watermark);
    const changeRecords = this.#changeRecords(changes, group, owned.epoch);
    const { deadLetters: bounded, invalidByCode } = deadLettersOf(
      batch,
      routed.local,
      result.invalid,
      undecodable,
      {
        partition: group,
        maxBytes: o.maxDeadLetterBytes,
        // A rerouted record's dead letter names the input position it was first consumed at.
        ...(fromReroute ? { sourceOf: readRerouteSource } : {}),
      },
    );
    if (notOwned.length > 0) invalidByCode[REROUTE_NOT_OWNER] = notOwned.length;
    const all = notOwned.length === 0 ? bounded : [...bounded, ...notOwned];
    const deadLetters = deadLettersByReference ? all.map(referenceDeadLetter) : all;

    const nextOffset = (BigInt(batch.lastOffset()) + 1n).toString();
    await this.#transact(
      ctx,
      owned,
      batch.topic,
      batch.lastOffset(),
      [
        [o.internalTopics.productState, stateRecords],
        [o.internalTopics.metricChanges, changeRecords],
        [o.internalTopics.deadLetter, deadLetters],
        [o.internalTopics.lowStockAlerts, alerts],
        [o.internalTopics.reroute, forwards],
      ],
      { topic: batch.topic, partition: batch.partition, offset: nextOffset },
    );
    owned.positions.set(batch.topic, BigInt(nextOffset));
    if (forwards.length > 0) {
      this.#metrics.onRerouted?.({
        group,
        topic: batch.topic,
        partition: batch.partition,
        records: forwards.length,
      });
    }

    const counts = result.counts;
    return {
      kind: 'committed',
      metrics: {
        group,
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: messages[0]!.offset,
        lastOffset: batch.lastOffset(),
        messages: messages.length,
        eventsByType: { ...counts.byType },
        applied: counts.applied,
        duplicate: counts.duplicate,
        stale: counts.stale,
        invalid: counts.invalid + undecodable.length + notOwned.length,
        invalidByCode,
        changedStates: stateRecords.length,
        metricChanges: changeRecords.length,
        alerts: alerts.length,
        lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(nextOffset))),
      },
    };
  }

  /** Logs, once per input topic, which partitioner its records follow (judged on a sample). */
  #samplePartitioner(topic: string, partition: number, messages: readonly KafkaMessage[]): void {
    const verdict = this.#sampler.observe(topic, partition, this.#groupCount, messages);
    if (verdict === undefined) return;
    const fields: Record<string, unknown> = { ...verdict };
    if (verdict.follows === verdict.configured) {
      this.#logger.info(
        `input topic "${topic}" follows the configured partitioner ${verdict.configured}`,
        fields,
      );
      return;
    }
    const follows =
      verdict.follows === 'neither'
        ? `neither murmur2 (${verdict.matches.murmur2} of ${verdict.sampled} sampled records) nor crc32 (${verdict.matches.crc32}): its producers are mixed or use another partitioner`
        : `${verdict.follows}, not the configured ${verdict.configured} (${verdict.matches[verdict.follows]} of ${verdict.sampled} sampled records)`;
    this.#logger.warn(
      `input topic "${topic}" follows ${follows}; its misrouted records take the reroute detour (see "Configuring producers to avoid the reroute detour" in docs/operations.md)`,
      fields,
    );
  }

  /**
   * A record of the reroute topic whose key this group does not own either: only possible when
   * members disagree on the partitioner (or the partition count changed under them). Applying it
   * here would put the product in two groups, forwarding it again could loop: it is dead-lettered.
   */
  #notOwnedDeadLetter(
    batch: { topic: string; partition: number },
    message: KafkaMessage,
    owner: number,
    group: number,
  ): Message {
    const o = this.#options;
    const source = readRerouteSource(message);
    const reason = `rerouted to group ${group}, but ${o.partitioner} over ${this.#groupCount} partitions puts its key in group ${owner}`;
    this.#logger.error('rerouted record not owned by its group; dead-lettered', {
      group,
      owner,
      partitioner: o.partitioner,
      offset: message.offset,
    });
    const invalid = { code: REROUTE_NOT_OWNER, path: '', message: reason } as const;
    return source
      ? invalidRecordDeadLetter(source, source.message, invalid, group, o.maxDeadLetterBytes)
      : invalidRecordDeadLetter(batch, message, invalid, group, o.maxDeadLetterBytes);
  }

  #changeRecords(changes: readonly MetricChange[], group: number, epoch: number): Message[] {
    const headers = { [EPOCH_HEADER]: String(epoch) };
    return changes.map((change) => ({
      key: metricChangeKey(change),
      value: encodeMetricChange(change),
      partition: group,
      headers,
    }));
  }

  /**
   * A group entering a new epoch: one transaction with every partial metric row of the group
   * (absolute values, stamped with the new epoch) and the group's epoch marker in the changelog,
   * so the snapshot is written once per epoch, whichever member takes the group.
   */
  async #writeSnapshot(ctx: GroupContext, owned: OwnedGroup): Promise<void> {
    const o = this.#options;
    const changes =
      owned.watermark === '' ? [] : snapshotChanges(owned.aggregates.snapshot(), ctx.group, owned.watermark);
    const records = this.#changeRecords(changes, ctx.group, owned.epoch);
    const marker: Message = {
      key: GROUP_EPOCH_KEY,
      value: encodeGroupEpochMarker(owned.epoch),
      partition: ctx.group,
    };
    const chunks = chunkBySize(records, o.maxRequestBytes, MAX_RECORDS_PER_SEND);
    const transaction = await owned.producer.transaction();
    try {
      for (const chunk of chunks) {
        await transaction.sendBatch({
          topicMessages: [{ topic: o.internalTopics.metricChanges, messages: chunk }],
          acks: -1,
          compression: o.compression,
        });
      }
      await transaction.sendBatch({
        topicMessages: [{ topic: o.internalTopics.productState, messages: [marker] }],
        acks: -1,
        compression: o.compression,
      });
      await transaction.commit();
    } catch (error) {
      if (transaction.isActive()) await transaction.abort().catch(() => {});
      if (isProducerFencedError(error)) throw new ProducerFencedError(ctx.group, ctx.transactionalId, error);
      throw error;
    }
    this.#logger.info('group snapshot written for a new epoch', {
      group: ctx.group,
      epoch: owned.epoch,
      changes: changes.length,
    });
  }

  /** Reads the current epoch and the epoch topic's end (the topic may not exist: epoch 0). */
  async #readEpoch(): Promise<number> {
    const o = this.#options;
    const end = (await this.#admin!.listTopics()).includes(o.epochTopic)
      ? ((await this.#admin!.fetchTopicOffsets(o.epochTopic))[0]?.high ?? '0')
      : '0';
    if (end !== this.#epochEnd) {
      const current = await readPipelineEpoch({
        kafka: this.#kafka,
        topic: o.epochTopic,
        groupIdPrefix: o.groupId,
      });
      if (current?.phase === 'staged') {
        throw new InternalTopicError(
          o.epochTopic,
          `a ${current.reason} to epoch ${current.epoch} has not finished: run it again (\`analytics-service ${current.reason} --yes\`) before starting the service`,
        );
      }
      this.#epochEnd = end;
      if ((current?.epoch ?? 0) > this.#epoch) this.#epoch = current!.epoch;
    }
    return this.#epoch;
  }

  /**
   * Polled while running: on a new epoch, every owned group is taken again after its batch in
   * flight (restore, then its snapshot under the new epoch) instead of writing on in the old one.
   */
  async #pollEpoch(): Promise<void> {
    if (this.#state !== 'running') return;
    const before = this.#epoch;
    try {
      await this.#readEpoch();
    } catch (error) {
      this.#logger.warn('reading the pipeline epoch failed; trying again later', { error });
      return;
    }
    if (this.#epoch === before) return;
    this.#logger.info('new pipeline epoch: taking the groups again', {
      epoch: this.#epoch,
      previous: before,
    });
    for (const ctx of this.#groups.values()) {
      const retake = ctx.tail.then(() => {
        if (ctx.revoked || this.#isStopping() || (ctx.owned !== undefined && ctx.owned.epoch >= this.#epoch))
          return;
        if (ctx.owned !== undefined) this.#release(ctx);
        if (ctx.acquiring === undefined) this.#startAcquire([ctx]);
      });
      ctx.tail = retake.catch(() => {});
    }
  }

  /** One transaction: every output record of the batch plus the consumed offset, or nothing. */
  async #transact(
    ctx: GroupContext,
    owned: OwnedGroup,
    sourceTopic: string,
    lastOffset: string,
    outputs: [string, Message[]][],
    offset: { topic: string; partition: number; offset: string },
  ): Promise<void> {
    const chunked = outputs.map(
      ([topic, messages]) =>
        [topic, chunkBySize(messages, this.#options.maxRequestBytes, MAX_RECORDS_PER_SEND)] as const,
    );
    const rounds = Math.max(0, ...chunked.map(([, chunks]) => chunks.length));
    let transaction: Awaited<ReturnType<Producer['transaction']>> | undefined;
    try {
      transaction = await owned.producer.transaction();
      for (let round = 0; round < rounds; round++) {
        const topicMessages = chunked
          .filter(([, chunks]) => chunks[round] !== undefined)
          .map(([topic, chunks]) => ({ topic, messages: chunks[round]! }));
        await transaction.sendBatch({ topicMessages, acks: -1, compression: this.#options.compression });
      }
      const active = transaction;
      // kafkajs sends AddOffsetsToTxn outside its retrier, and the broker answers
      // CONCURRENT_TRANSACTIONS while the markers of this producer's previous transaction are
      // still being written (a batch with no output records gets there first): wait for it.
      await withRetry(
        () =>
          active.sendOffsets({
            consumerGroupId: this.#options.groupId,
            topics: [
              { topic: offset.topic, partitions: [{ partition: offset.partition, offset: offset.offset }] },
            ],
          }),
        {
          ...CONCURRENT_TRANSACTIONS_RETRY,
          isRetryable: isConcurrentTransactionsError,
          operation: `AddOffsetsToTxn ${ctx.transactionalId}`,
        },
      );
      await transaction.commit();
    } catch (error) {
      if (transaction?.isActive()) await transaction.abort().catch(() => {});
      if (isProducerFencedError(error)) throw new ProducerFencedError(ctx.group, ctx.transactionalId, error);
      throw new TransactionError(ctx.group, sourceTopic, lastOffset, error);
    }
  }
}
