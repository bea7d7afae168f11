import { type Logger, SILENT_LOGGER } from '@marketplace/options';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import {
  type AggregateProcessorOptions,
  type ResolvedOptions,
  resolveOptions,
} from './aggregateProcessorOptions.js';
import { ensureKafkaCodecs } from './codecs.js';
import { createCoPartitionedAssigner } from './coPartitionedAssigner.js';
import { ProcessorError, ShutdownTimeoutError, StoppingError } from './errors.js';
import { GroupBatchRunner } from './GroupBatchRunner.js';
import { GroupOwnership } from './GroupOwnership.js';
import { PartitionerSampler } from './PartitionerSampler.js';
import { ensureEpochTopic } from './pipelineEpoch.js';
import { prepareTopics } from './prepareTopics.js';
import type { ProcessorMetricsHooks } from './types.js';

export type { AggregateProcessorOptions } from './aggregateProcessorOptions.js';

type ProcessorState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

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
  readonly #options: ResolvedOptions;
  readonly #logger: Logger;
  readonly #metrics: ProcessorMetricsHooks;
  readonly #onFatal: ((error: unknown) => void) | undefined;
  readonly #background = new Set<Promise<unknown>>();
  readonly #abort = new AbortController();
  readonly #ownership: GroupOwnership;
  readonly #runner: GroupBatchRunner;
  #state: ProcessorState = 'created';
  #ready = false;
  #failed = false;
  #admin: Admin | undefined;
  #consumer: Consumer | undefined;
  #groupCount = 0;
  #epochTimer: NodeJS.Timeout | undefined;

  /**
   * @throws {KafkaProcessorOptionsError} code `INVALID_OPTIONS` naming the invalid field.
   */
  constructor(options: AggregateProcessorOptions) {
    this.#options = resolveOptions(options);
    ensureKafkaCodecs();
    this.#kafka = options.kafka;
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.#metrics = options.metrics ?? {};
    this.#onFatal = options.onFatal;
    const common = { options: this.#options, logger: this.#logger, metrics: this.#metrics };
    this.#ownership = new GroupOwnership({
      ...common,
      kafka: this.#kafka,
      host: {
        isStopping: () => this.#isStopping(),
        isRunning: () => this.#state === 'running',
        track: (promise) => this.#track(promise),
        consumer: () => this.#consumer,
        admin: () => this.#admin!,
      },
    });
    this.#runner = new GroupBatchRunner({
      ...common,
      pool: options.pool,
      ownership: this.#ownership,
      sampler: new PartitionerSampler(this.#options.partitioner),
      signal: this.#abort.signal,
      host: {
        isStopping: () => this.#isStopping(),
        groupCount: () => this.#groupCount,
        fail: (error, message) => this.#fail(error, message),
      },
    });
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
    return this.#ownership.groups;
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
      await this.#ownership.readEpoch();
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
        partitionAssigners: [createCoPartitionedAssigner({ ownedGroups: () => this.#ownership.groups })],
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
      this.#epochTimer = setInterval(() => this.#track(this.#ownership.pollEpoch()), o.epochPollMs);
      this.#epochTimer.unref();
      this.#logger.info('aggregate processor started', {
        groupId: o.groupId,
        groups: this.#groupCount,
        epoch: this.#ownership.epoch,
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
      this.#ownership.revokeAll();
      await Promise.allSettled([
        this.#consumer?.disconnect(),
        this.#admin?.disconnect(),
        ...[...this.#background].map((p) => p.catch(() => {})),
      ]);
    };
    const graceful = (async () => {
      await this.#consumer?.stop();
      await Promise.allSettled([...this.#background]);
      await this.#ownership.settled();
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
    const fresh = this.#ownership.assign(memberAssignment);
    this.#ready = !this.#isStopping() && !this.#failed;
    const groups = this.assignedGroups;
    this.#logger.info('assignment changed', { groups, acquiring: fresh.map((c) => c.group) });
    this.#metrics.onAssignment?.({ groups });
    if (fresh.length > 0) this.#ownership.acquire(fresh);
  }

  #eachBatch(payload: EachBatchPayload): Promise<void> {
    // GROUP_JOIN is emitted before fetching starts, so a group without context is only a safety net.
    const ctx = this.#ownership.contextOf(payload.batch.partition);
    const run = ctx.tail.then(() => this.#runner.run(ctx, payload));
    ctx.tail = run.catch(() => {});
    return run;
  }
}
