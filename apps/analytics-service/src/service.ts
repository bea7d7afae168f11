import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDbMetricsSink } from '@marketplace/dynamodb-sink';
import {
  AggregateProcessor,
  AggregateStreamThreads,
  kafkajsPatchGaps,
  LagMonitor,
  MetricChangeConsumer,
  registerKafkaCodecs,
  writeInOrder,
} from '@marketplace/kafka-processor';
import type { Logger } from '@marketplace/options';
import type { RetryOptions } from '@marketplace/retry';
import { S3MetricsArchive } from '@marketplace/s3-sink';
import { ReducerPool } from '@marketplace/worker-pool';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger as PinoLogger } from 'pino';
import { assertKafkajsPatched } from './assertKafkajsPatched.js';
import { cachedSingleFlight } from './cachedSingleFlight.js';
import { kafkaClientConfig } from './clients.js';
import type { Role, ServiceConfig } from './config.js';
import { describeError } from './describeError.js';
import {
  consumerLagHook,
  dynamoHooks,
  metricChangeConsumerHooks,
  processorHooks,
  type StageGroup,
  s3Hooks,
  sinkWriterHooks,
} from './hooks.js';
import type { Readiness, ReadinessCode, ReadinessReason } from './http.js';
import { libraryLogger } from './logger.js';
import { ProgressWatchdog } from './ProgressWatchdog.js';
import { stopInOrder } from './stopInOrder.js';
import { summarizeError } from './summarizeError.js';
import type { Telemetry } from './Telemetry.js';

/** What {@link startService} wires together. */
export interface ServiceDeps {
  config: ServiceConfig;
  role: Role;
  kafka: Kafka;
  /** Required for roles `sink` and `all`. */
  dynamo?: DynamoDBClient;
  /** Required for roles `sink` and `all`. */
  s3?: S3Client;
  logger: PinoLogger;
  telemetry: Telemetry;
  /**
   * Called once a stage cannot go on (its `onFatal`): a batch failed with a permanent fault (not
   * retryable per `isRetryableError`, e.g. the table or bucket is missing or access is denied; the
   * batch is not committed), or its Kafka consumer crashed and will not restart. The service has
   * logged `stage failed: stopping` and `/readyz` names the stage; `main` stops the process
   * gracefully with exit code 1.
   */
  onFatal?: (error: unknown) => void;
  /** Interval of the consumer-lag poll. @default 5000 */
  lagIntervalMs?: number;
}

/** The running stages of this process. */
export interface RunningService {
  /** Consumer lag of both groups (also on `/metrics`). */
  readonly lag: LagMonitor<StageGroup>;
  /**
   * Ready when every stage of the role has joined its group, Kafka/DynamoDB/S3 answer, and no
   * group with lag has gone `readinessStallMs` without committing (see `ProgressWatchdog`).
   */
  readiness(): Promise<Readiness>;
  /** Stops the stages gracefully (finishing the batch in flight), destroys the pool, closes clients. */
  stop(): Promise<void>;
}

const PROBE_TIMEOUT_MS = 2000;
/** Probe results are shared by concurrent `/readyz` requests and reused this long. */
const PROBE_CACHE_MS = 5000;

/** Runs one readiness probe; a failure becomes a coded reason, its details go to the log. */
async function probe(
  code: ReadinessCode,
  what: string,
  check: () => Promise<unknown>,
  log: Logger,
): Promise<ReadinessReason | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(Object.assign(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`), { code: 'TIMEOUT' })),
          PROBE_TIMEOUT_MS,
        );
      }),
    ]);
    return undefined;
  } catch (error) {
    log.warn('readiness check failed', { check: what, code, error: describeError(error) });
    return { code, ...summarizeError(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the stages of `role`: stage 1 (aggregate: `AggregateProcessor` reducing on a
 * `ReducerPool`) first, because it creates the internal topics stage 2 reads; then stage 2
 * (sink: `MetricChangeConsumer` writing each batch to DynamoDB, then to S3, then committing).
 * @throws whatever the stages throw at start (e.g. input topics with different partition counts).
 */
export async function startService(deps: ServiceDeps): Promise<RunningService> {
  const { config, role, kafka, telemetry } = deps;
  const log = libraryLogger(deps.logger, 'service');
  const runAggregate = role !== 'sink';
  const runSink = role !== 'aggregate';
  // Aborted first thing on stop: a sink request waiting out a retry backoff gives up at once
  // (its batch is not committed and comes back), so the stages stop within the bound.
  const abort = new AbortController();
  const retry: RetryOptions = { retries: config.retries };
  const sinkRetry: RetryOptions = { retries: config.retries, signal: abort.signal };
  // Leave part of the bound for closing clients after the stages stopped.
  const stageTimeoutMs = Math.max(100, Math.floor(config.shutdownTimeoutMs * 0.6));
  const consumer = {
    // Unset: each stage's own default (stage 1 fetches more per partition than stage 2).
    ...(config.kafka.maxBytesPerPartition === undefined
      ? {}
      : { maxBytesPerPartition: config.kafka.maxBytesPerPartition }),
    maxWaitTimeInMs: config.kafka.maxWaitTimeMs,
  };

  // Exactly-once depends on the workspace's kafkajs patch: a build that lost it must not start.
  assertKafkajsPatched(kafkajsPatchGaps());
  // Codecs of every Kafka client in the process (kafkajs keeps one table), with the bound.
  registerKafkaCodecs({ maxDecompressedBytes: config.kafka.maxDecompressedBytes });
  const admin: Admin = kafka.admin();
  await admin.connect();

  let pool: ReducerPool | undefined;
  let processor: AggregateProcessor | AggregateStreamThreads | undefined;
  let sinkConsumer: MetricChangeConsumer | undefined;
  const groups: StageGroup[] = [];
  /** Stages that failed for good (their `onFatal`), with what went wrong, for `/readyz`. */
  const failures = new Map<'aggregate' | 'sink', ReadinessReason>();
  const stageFailed =
    (stage: 'aggregate' | 'sink') =>
    (error: unknown): void => {
      // Each stage reports once and only while running (its onFatal): stopAll aborts the sink
      // retries and stops the stages in the same synchronous step, so a retry cut short by
      // stopping is never reported here.
      failures.set(stage, {
        code: stage === 'aggregate' ? 'AGGREGATE_STAGE_FAILED' : 'SINK_STAGE_FAILED',
        ...summarizeError(error),
      });
      log.error('stage failed: stopping', {
        stage,
        error: describeError(error),
        code: (error as { code?: unknown } | undefined)?.code,
      });
      deps.onFatal?.(error);
    };
  // Measures the groups pushed below as the stages start; the watchdog sees each group's progress.
  const watchdog = new ProgressWatchdog(config.readinessStallMs);
  const recordLag = consumerLagHook(telemetry);
  const lag = new LagMonitor({
    admin,
    groups,
    onLag: (group, lags) => {
      recordLag(group, lags);
      watchdog.observe(
        group.groupId,
        lags.reduce((sum, entry) => sum + entry.lag, 0),
        lags.reduce((sum, entry) => sum + entry.position, 0n),
      );
    },
  });
  const stopAll = async (): Promise<void> => {
    abort.abort();
    try {
      await stopInOrder(
        [
          [
            { what: 'stop the sink stage', run: () => sinkConsumer?.stop() },
            { what: 'stop the aggregate stage', run: () => processor?.stop() },
          ],
          { what: 'destroy the worker pool', run: () => pool?.destroy() },
          { what: 'stop the lag monitor', run: () => lag.stop() },
          { what: 'disconnect the Kafka admin', run: () => admin.disconnect() },
        ],
        log,
      );
    } finally {
      telemetry.setPoolSource(undefined);
      telemetry.setStreamThreadSource(undefined);
      deps.dynamo?.destroy();
      deps.s3?.destroy();
    }
  };

  try {
    if (runAggregate) {
      const processorOptions = {
        applicationId: config.applicationId,
        groupId: config.aggregateGroupId,
        topics: config.topics,
        internalTopics: config.internalTopics,
        epochTopic: config.epochTopic,
        partitioner: config.inputPartitioner,
        createTopics: config.kafka.createTopics,
        lowStockThreshold: config.lowStockThreshold,
        shutdownTimeoutMs: stageTimeoutMs,
        retry,
        consumer,
        compression: config.kafka.outputCompression,
        maxDeadLetterBytes: config.deadLetterMaxBytes,
        maxFutureSkewMs: config.maxFutureSkewMs,
      };
      if (config.stage1Threads > 0) {
        // Stream threads: each thread a member of the group with its own client, producers and
        // states (docs/architecture.md#stream-threads); the client configuration crosses the
        // thread boundary without its log creator (the threads log through the stage's logger).
        const { logCreator: _logCreator, ...kafkaConfig } = kafkaClientConfig(
          config,
          config.kafka.brokers,
          deps.logger,
        );
        processor = new AggregateStreamThreads({
          threads: config.stage1Threads,
          kafka: kafkaConfig,
          processor: processorOptions,
          codecs: { maxDecompressedBytes: config.kafka.maxDecompressedBytes },
          maxEventBytes: config.maxEventBytes,
          logger: libraryLogger(deps.logger, 'aggregate'),
          metrics: processorHooks(telemetry),
          stopTimeoutMs: stageTimeoutMs,
          onFatal: stageFailed('aggregate'),
        });
        const threaded = processor;
        telemetry.setStreamThreadSource(() => threaded.threadStats());
      } else {
        pool = new ReducerPool({
          ...(config.workerThreads === 0 ? { inline: true } : { threads: config.workerThreads }),
          maxEventBytes: config.maxEventBytes,
        });
        const activePool = pool;
        telemetry.setPoolSource(() => activePool.utilization());
        processor = new AggregateProcessor({
          ...processorOptions,
          kafka,
          pool,
          logger: libraryLogger(deps.logger, 'aggregate'),
          metrics: processorHooks(telemetry),
          onFatal: stageFailed('aggregate'),
        });
      }
      groups.push({
        stage: 'aggregate',
        groupId: config.aggregateGroupId,
        topics: [config.topics.created, config.topics.updated, config.topics.deleted],
      });
      telemetry.declareInputTopics([config.topics.created, config.topics.updated, config.topics.deleted]);
      await processor.start();
      log.info('aggregate stage started', { groupId: config.aggregateGroupId });
    }

    if (runSink) {
      if (deps.dynamo === undefined || deps.s3 === undefined || config.archiveBucket === undefined) {
        throw new Error('the sink stage needs a DynamoDB client, an S3 client and ARCHIVE_BUCKET');
      }
      const sink = new DynamoDbMetricsSink({
        client: deps.dynamo,
        tableName: config.metricsTable,
        historyTtlDays: config.historyTtlDays,
        retry: sinkRetry,
        logger: libraryLogger(deps.logger, 'dynamodb-sink'),
        metrics: dynamoHooks(telemetry),
      });
      const archive = new S3MetricsArchive({
        client: deps.s3,
        bucket: config.archiveBucket,
        prefix: config.archivePrefix,
        retry: sinkRetry,
        logger: libraryLogger(deps.logger, 's3-sink'),
        metrics: s3Hooks(telemetry),
      });
      sinkConsumer = new MetricChangeConsumer({
        kafka,
        groupId: config.sinkGroupId,
        topic: config.internalTopics.metricChanges,
        logger: libraryLogger(deps.logger, 'sink'),
        metrics: metricChangeConsumerHooks(telemetry),
        shutdownTimeoutMs: stageTimeoutMs,
        consumer,
        // One retry layer: the sinks retry each request (RETRIES); a batch that still fails is
        // handed back to kafkajs and redelivered rather than retried again here. A permanent
        // fault (access denied, missing table or bucket) would fail forever: the consumer reports
        // it through onFatal and the service stops (§6).
        retry: { retries: 0 },
        onFatal: stageFailed('sink'),
        // DynamoDB first (current values), then the archive; offsets are committed after both.
        handleBatch: writeInOrder(
          [
            { name: 'dynamodb', writer: sink },
            { name: 's3', writer: archive },
          ],
          sinkWriterHooks(telemetry),
        ),
      });
      groups.push({
        stage: 'sink',
        groupId: config.sinkGroupId,
        topics: [config.internalTopics.metricChanges],
      });
      await sinkConsumer.start();
      log.info('sink stage started', { groupId: config.sinkGroupId });
    }
  } catch (error) {
    await stopAll().catch(() => {});
    throw error;
  }

  lag.start(deps.lagIntervalMs ?? 5000);

  const probes = cachedSingleFlight(
    async (): Promise<ReadinessReason[]> => {
      const checks: Array<Promise<ReadinessReason | undefined>> = [
        probe('KAFKA_UNAVAILABLE', 'Kafka cluster', () => admin.describeCluster(), log),
      ];
      if (runSink) {
        checks.push(
          probe(
            'DYNAMODB_TABLE_UNAVAILABLE',
            `DynamoDB table ${config.metricsTable}`,
            () => deps.dynamo!.send(new DescribeTableCommand({ TableName: config.metricsTable })),
            log,
          ),
          probe(
            'S3_BUCKET_UNAVAILABLE',
            `S3 bucket ${config.archiveBucket}`,
            () => deps.s3!.send(new HeadBucketCommand({ Bucket: config.archiveBucket })),
            log,
          ),
        );
      }
      return (await Promise.all(checks)).filter((r): r is ReadinessReason => r !== undefined);
    },
    { ttlMs: PROBE_CACHE_MS },
  );

  let stopping: Promise<void> | undefined;
  return {
    lag,
    async readiness() {
      if (stopping !== undefined) return { ready: false, reasons: [{ code: 'SHUTTING_DOWN' }] };
      const reasons: ReadinessReason[] = [...failures.values()];
      if (processor !== undefined && !processor.ready && !failures.has('aggregate'))
        reasons.push({ code: 'AGGREGATE_NOT_JOINED' });
      if (sinkConsumer !== undefined && !sinkConsumer.ready && !failures.has('sink'))
        reasons.push({ code: 'SINK_NOT_JOINED' });
      reasons.push(...watchdog.reasons());
      reasons.push(...(await probes()));
      return { ready: reasons.length === 0, reasons };
    },
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };
}
