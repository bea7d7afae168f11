/**
 * `startService` in-process against the local stack: what `/readyz` reports, and that both
 * stages process a small generated stream into DynamoDB equal to the oracle and stop cleanly.
 */

import { createServer, type Socket } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { encodeMetricChange, type MetricChange, metricChangeKey } from '@marketplace/analytics-aggregator';
import { ensureMetricsTable, MetricsReader } from '@marketplace/dynamodb-sink';
import { startLocalStack } from '@marketplace/local-stack';
import { generateMarketplaceStream, type ProductEvent } from '@marketplace/product-events';
import { Kafka, logLevel } from 'kafkajs';
import { type Logger as PinoLogger, pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleMetrics } from '../../../packages/aggregator/test/independentOracle.js';
import { createTopicsAndWait } from '../../../packages/kafka-processor/src/prepareTopics.js';
import {
  dynamoClient,
  kafkaClient,
  s3Client,
  testStack,
  uniqueName,
} from '../../../packages/local-stack/test/clients.js';
import { createDynamoClient, createS3Client } from '../src/clients.js';
import { loadConfig, type ServiceConfig } from '../src/config.js';
import { type RunningService, startService } from '../src/service.js';
import { Telemetry } from '../src/Telemetry.js';
import { eventually } from './app.js';

const names = {
  app: uniqueName('svc-app'),
  created: uniqueName('svc-created'),
  updated: uniqueName('svc-updated'),
  deleted: uniqueName('svc-deleted'),
  table: uniqueName('svc-table'),
  bucket: uniqueName('svc-bucket'),
};
const internal = {
  TOPIC_PRODUCT_STATE: uniqueName('svc-state'),
  TOPIC_METRIC_CHANGES: uniqueName('svc-changes'),
  TOPIC_DEAD_LETTER: uniqueName('svc-dlq'),
  TOPIC_LOW_STOCK_ALERTS: uniqueName('svc-low'),
  TOPIC_REROUTE: uniqueName('svc-reroute'),
};
const admin = dynamoClient();
const s3Admin = s3Client();
const kafka = kafkaClient();
const logger = pino({ level: 'silent' });
const running: RunningService[] = [];

function config(overrides: Record<string, string> = {}): ServiceConfig {
  const stack = testStack();
  return loadConfig({
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    KAFKA_CREATE_TOPICS: 'true',
    KAFKA_MAX_WAIT_TIME_MS: '200',
    APPLICATION_ID: names.app,
    TOPIC_PRODUCT_CREATED: names.created,
    TOPIC_PRODUCT_UPDATED: names.updated,
    TOPIC_PRODUCT_DELETED: names.deleted,
    ...internal,
    AWS_REGION: stack.region,
    DYNAMODB_ENDPOINT: stack.dynamodbEndpoint,
    S3_ENDPOINT: stack.s3Endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    METRICS_TABLE: names.table,
    ARCHIVE_BUCKET: names.bucket,
    WORKER_THREADS: '0',
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...overrides,
  });
}

/** A pino logger that keeps its JSON lines, to check what the service logged. */
function recordingLogger(): { logger: PinoLogger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

async function start(
  cfg: ServiceConfig,
  role: 'all' | 'sink' | 'aggregate',
  onFatal?: (error: unknown) => void,
  telemetry = new Telemetry(),
  options: { logger?: PinoLogger; kafka?: Kafka } = {},
): Promise<RunningService> {
  const { credentials } = testStack();
  const service = await startService({
    ...(onFatal === undefined ? {} : { onFatal }),
    config: cfg,
    role,
    kafka: options.kafka ?? kafka,
    ...(role === 'aggregate'
      ? {}
      : { dynamo: createDynamoClient(cfg, credentials), s3: createS3Client(cfg, credentials) }),
    logger: options.logger ?? logger,
    telemetry,
    lagIntervalMs: 200,
  });
  running.push(service);
  return service;
}

beforeAll(async () => {
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  await createTopicsAndWait(
    kafkaAdmin,
    [names.created, names.updated, names.deleted].map((topic) => ({
      topic,
      numPartitions: 3,
      replicationFactor: 1,
    })),
  );
  await kafkaAdmin.disconnect();
  await ensureMetricsTable(admin, { tableName: names.table });
  await s3Admin.send(new CreateBucketCommand({ Bucket: names.bucket }));
});

afterAll(async () => {
  await Promise.allSettled(running.map((service) => service.stop()));
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  await kafkaAdmin
    .deleteTopics({ topics: [names.created, names.updated, names.deleted, ...Object.values(internal)] })
    .catch(() => {});
  await kafkaAdmin.disconnect();
  await admin.send(new DeleteTableCommand({ TableName: names.table })).catch(() => {});
  const listed = await s3Admin
    .send(new ListObjectsV2Command({ Bucket: names.bucket }))
    .catch(() => undefined);
  const keys = (listed?.Contents ?? []).map((o) => ({ Key: o.Key as string }));
  if (keys.length > 0) {
    await s3Admin.send(new DeleteObjectsCommand({ Bucket: names.bucket, Delete: { Objects: keys } }));
  }
  await s3Admin.send(new DeleteBucketCommand({ Bucket: names.bucket })).catch(() => {});
  admin.destroy();
  s3Admin.destroy();
});

/**
 * Starts role `all` with `overrides`, produces a generated stream to `topics` and waits until
 * DynamoDB (read through `MetricsReader` from `table`) equals the oracle; then stops the service.
 */
async function expectStreamToReachOracle(
  overrides: Record<string, string>,
  topics: { created: string; updated: string; deleted: string },
  table: string,
  beforeStop?: (telemetry: Telemetry) => Promise<void>,
): Promise<RunningService> {
  const telemetry = new Telemetry();
  const service = await start(config(overrides), 'all', undefined, telemetry);
  await eventually('ready', async () => ((await service.readiness()).ready ? true : undefined));
  const messages = [
    ...generateMarketplaceStream({
      seed: 3,
      events: 300,
      products: 60,
      sellers: 5,
      topics,
      duplicateRate: 0.05,
      malformedRate: 0.02,
    }),
  ];
  const events = messages.flatMap((m): ProductEvent[] => (m.event ? [m.event] : []));
  const oracle = oracleMetrics(events);
  const producer = kafka.producer();
  await producer.connect();
  await producer.sendBatch({
    topicMessages: messages.map((m) => ({
      topic: m.topic,
      messages: [{ key: m.key, value: m.value, headers: m.headers }],
    })),
  });
  await producer.disconnect();
  const reader = new MetricsReader({ client: admin, tableName: table });

  const readAll = async () => {
    const sellers = [];
    for (const id of oracle.sellers.keys()) sellers.push([id, await reader.getSellerMetrics(id)]);
    const categories = [];
    for (const id of oracle.categories.keys()) categories.push([id, await reader.getCategoryMetrics(id)]);
    const lowStock = [];
    for (const id of oracle.sellers.keys()) lowStock.push(...(await reader.listLowStock(id)));
    lowStock.sort((a, b) => a.productId.localeCompare(b.productId));
    return { sellers, categories, lowStock };
  };
  const expected = {
    sellers: [...oracle.sellers],
    categories: [...oracle.categories],
    lowStock: [...oracle.lowStock.values()].sort((a, b) => a.productId.localeCompare(b.productId)),
  };
  await eventually(
    'every seller, category and low-stock entry equals the oracle',
    async () => (isDeepStrictEqual(await readAll(), expected) ? true : undefined),
    60_000,
  ).catch(async (error: unknown) => {
    expect(await readAll()).toEqual(expected); // shows the difference
    throw error;
  });
  await eventually('no lag left', () => (service.lag.total() === 0 ? true : undefined));
  await beforeStop?.(telemetry);
  await service.stop();
  return service;
}

describe('startService', () => {
  it('becomes ready, turns a stream into metrics equal to the oracle, and stops cleanly', async () => {
    const service = await expectStreamToReachOracle(
      {},
      { created: names.created, updated: names.updated, deleted: names.deleted },
      names.table,
    );
    expect(await service.readiness()).toEqual({ ready: false, reasons: [{ code: 'SHUTTING_DOWN' }] });
  });

  it('runs stage 1 on two stream threads with STAGE1_THREADS=2, to the same oracle', async () => {
    const t = {
      app: uniqueName('svc-threads'),
      created: uniqueName('svc-threads-created'),
      updated: uniqueName('svc-threads-updated'),
      deleted: uniqueName('svc-threads-deleted'),
      table: uniqueName('svc-threads-table'),
    };
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await createTopicsAndWait(
      kafkaAdmin,
      [t.created, t.updated, t.deleted].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
    );
    await kafkaAdmin.disconnect();
    await ensureMetricsTable(admin, { tableName: t.table });
    const threadInternal = Object.fromEntries(
      Object.keys(internal).map((key) => [key, uniqueName('svc-threads-internal')]),
    );
    try {
      const service = await expectStreamToReachOracle(
        {
          STAGE1_THREADS: '2',
          APPLICATION_ID: t.app,
          TOPIC_PRODUCT_CREATED: t.created,
          TOPIC_PRODUCT_UPDATED: t.updated,
          TOPIC_PRODUCT_DELETED: t.deleted,
          ...threadInternal,
          METRICS_TABLE: t.table,
        },
        t,
        t.table,
        async (telemetry) => {
          // Each stream thread's utilisation and heap are on /metrics (the worker pool is unused).
          const text = await telemetry.registry.metrics();
          for (const thread of ['0', '1']) {
            expect(text).toMatch(
              new RegExp(
                `analytics_stream_thread_utilization_ratio\\{thread="${thread}"\\} (0|1|0\\.\\d+|\\d\\.\\d+e-\\d+)\\n`,
              ),
            );
            const heap = new RegExp(
              `analytics_stream_thread_heap_used_bytes\\{thread="${thread}"\\} (\\d+)`,
            ).exec(text);
            expect(Number(heap?.[1])).toBeGreaterThan(4 * 1024 * 1024);
          }
        },
      );
      expect(await service.readiness()).toEqual({ ready: false, reasons: [{ code: 'SHUTTING_DOWN' }] });
    } finally {
      const cleanup = kafka.admin();
      await cleanup.connect();
      await cleanup
        .deleteTopics({ topics: [t.created, t.updated, t.deleted, ...Object.values(threadInternal)] })
        .catch(() => {});
      await cleanup.disconnect();
      await admin.send(new DeleteTableCommand({ TableName: t.table })).catch(() => {});
    }
  });

  it('is not ready while the archive bucket is missing, and says so', async () => {
    const bucket = uniqueName('missing-bucket');
    const changes = uniqueName('svc-empty-changes');
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await createTopicsAndWait(kafkaAdmin, [{ topic: changes, numPartitions: 1 }]);
    await kafkaAdmin.disconnect();
    const service = await start(
      config({
        ARCHIVE_BUCKET: bucket,
        SINK_GROUP_ID: uniqueName('svc-sink'),
        TOPIC_METRIC_CHANGES: changes,
      }),
      'sink',
    );

    const readiness = await eventually('the sink joined', async () => {
      const r = await service.readiness();
      return r.reasons.some((reason) => reason.code === 'SINK_NOT_JOINED') ? undefined : r;
    });

    expect(readiness.ready).toBe(false);
    // A code and the upstream status only: AWS's own text stays in the log.
    expect(readiness.reasons).toEqual([
      { code: 'S3_BUCKET_UNAVAILABLE', error: expect.any(String), status: 404 },
    ]);
    await service.stop();
  });

  it('reports a permanent fault (missing table) once and on /readyz instead of retrying it forever, committing nothing', async () => {
    const changes = uniqueName('svc-fatal-changes');
    const groupId = uniqueName('svc-fatal-sink');
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await createTopicsAndWait(kafkaAdmin, [{ topic: changes, numPartitions: 1 }]);
    const change: MetricChange = {
      entity: 'seller',
      id: 's-1',
      group: 0,
      eventTime: '2026-11-25T10:00:00.000Z',
      values: {
        totalProducts: 1,
        activeProducts: 1,
        deletedProducts: 0,
        totalValue: { USD: 100n },
        lowStockCount: 0,
      },
    };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: changes,
      messages: [{ key: metricChangeKey(change), value: encodeMetricChange(change), partition: 0 }],
    });
    await producer.disconnect();
    const fatal: unknown[] = [];

    const service = await start(
      config({
        METRICS_TABLE: uniqueName('missing-table'),
        SINK_GROUP_ID: groupId,
        TOPIC_METRIC_CHANGES: changes,
      }),
      'sink',
      (error) => fatal.push(error),
    );
    const error = await eventually('the fault is reported', () => fatal[0]);
    const readiness = await service.readiness();
    await service.stop();
    const committed = await kafkaAdmin.fetchOffsets({ groupId, topics: [changes] });
    await kafkaAdmin.disconnect();

    expect(String(error)).toMatch(/ResourceNotFound|not found|non-existent|does not exist/i);
    expect(fatal).toHaveLength(1);
    expect(readiness.ready).toBe(false);
    const failed = readiness.reasons.find((reason) => reason.code === 'SINK_STAGE_FAILED');
    expect(`${failed?.error} ${failed?.cause}`).toMatch(/ResourceNotFound/);
    expect(readiness.reasons).not.toContainEqual({ code: 'SINK_NOT_JOINED' });
    expect(committed[0]?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '-1' })]);
  });

  it('counts and skips an undecodable record on the metric-change topic, and writes the records around it', async () => {
    const changes = uniqueName('svc-garbage-changes');
    const groupId = uniqueName('svc-garbage-sink');
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await createTopicsAndWait(kafkaAdmin, [{ topic: changes, numPartitions: 1 }]);
    const change = (id: string): MetricChange => ({
      entity: 'seller',
      id,
      group: 0,
      eventTime: '2026-11-25T10:00:00.000Z',
      values: {
        totalProducts: 2,
        activeProducts: 2,
        deletedProducts: 0,
        lowStockCount: 0,
        totalValue: { USD: 300n },
      },
    });
    const before = change(uniqueName('s-before'));
    const after = change(uniqueName('s-after'));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: changes,
      messages: [
        { key: metricChangeKey(before), value: encodeMetricChange(before), partition: 0 },
        { key: 'garbage', value: Buffer.from([0xff, 0x00, 0x7b, 0x22]), partition: 0 },
        { key: metricChangeKey(after), value: encodeMetricChange(after), partition: 0 },
      ],
    });
    await producer.disconnect();
    const telemetry = new Telemetry();

    const service = await start(
      config({ SINK_GROUP_ID: groupId, TOPIC_METRIC_CHANGES: changes }),
      'sink',
      undefined,
      telemetry,
    );
    await eventually('the partition moved past all three records', async () => {
      const offsets = await kafkaAdmin.fetchOffsets({ groupId, topics: [changes] });
      return offsets[0]?.partitions[0]?.offset === '3' ? true : undefined;
    });
    await service.stop();
    await kafkaAdmin.deleteTopics({ topics: [changes] }).catch(() => {});
    await kafkaAdmin.disconnect();
    const reader = new MetricsReader({ client: admin, tableName: names.table });
    const text = await telemetry.registry.metrics();

    expect(text).toContain('analytics_metric_changes_undecodable_total 1');
    expect(text).toContain('analytics_metric_changes_total{stage="sink"} 2');
    expect((await reader.getSellerMetrics(before.id))?.totalProducts).toBe(2);
    expect((await reader.getSellerMetrics(after.id))?.totalProducts).toBe(2);
  });

  it('runs the aggregate stage alone without AWS clients, probing only Kafka, with a fetch bound per partition', async () => {
    const service = await start(
      config({ KAFKA_GROUP_ID: uniqueName('svc-agg'), KAFKA_MAX_BYTES_PER_PARTITION: '65536' }),
      'aggregate',
    );

    const readiness = await eventually('ready', async () => {
      const r = await service.readiness();
      return r.ready ? r : undefined;
    });

    expect(readiness).toEqual({ ready: true, reasons: [] });
    await service.stop();
  });

  it('stops stage 1 for good when another application holds its group (AGGREGATE_STAGE_FAILED): reported once, logged, on /readyz', async () => {
    // A consumer of another application in the group, with kafkajs's default assigner: the
    // broker refuses stage 1's member (no common protocol), a fault retrying cannot fix.
    const groupId = uniqueName('svc-taken');
    const other = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await other.connect();
    await other.subscribe({ topics: [names.created], fromBeginning: true });
    await other.run({ eachMessage: async () => {} });
    const fatal: unknown[] = [];
    const { logger: recording, lines } = recordingLogger();

    try {
      const service = await start(
        config({ KAFKA_GROUP_ID: groupId }),
        'aggregate',
        (error) => fatal.push(error),
        new Telemetry(),
        { logger: recording },
      );
      await eventually('the fault is reported', () => fatal[0]);
      const readiness = await service.readiness();
      await service.stop();

      expect(fatal).toHaveLength(1);
      // kafkajs' error, or on stream threads (STAGE1_THREADS) the thread's error carrying it as cause.
      const reported = fatal[0] as { type?: unknown; cause?: { type?: unknown } };
      expect(String(reported.type ?? reported.cause?.type ?? reported)).toMatch(
        /INCONSISTENT_GROUP_PROTOCOL/,
      );
      expect(readiness.ready).toBe(false);
      expect(readiness.reasons).toContainEqual(expect.objectContaining({ code: 'AGGREGATE_STAGE_FAILED' }));
      // Failed is not "not joined yet": only the failure is named.
      expect(readiness.reasons).not.toContainEqual({ code: 'AGGREGATE_NOT_JOINED' });
      expect(lines.filter((line) => line.msg === 'stage failed: stopping').map((line) => line.stage)).toEqual(
        ['aggregate'],
      );
      // The other application keeps its group.
      const admin = kafka.admin();
      await admin.connect();
      const { groups } = await admin.describeGroups([groupId]);
      await admin.disconnect();
      expect(groups[0]?.members).toHaveLength(1);
    } finally {
      await other.disconnect();
    }
  });

  it('is not ready when the S3 endpoint accepts connections but never answers (S3_BUCKET_UNAVAILABLE, TIMEOUT)', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const changes = uniqueName('svc-silent-changes');
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await createTopicsAndWait(kafkaAdmin, [{ topic: changes, numPartitions: 1 }]);

    try {
      const service = await start(
        config({
          S3_ENDPOINT: `http://127.0.0.1:${port}`,
          SINK_GROUP_ID: uniqueName('svc-silent-sink'),
          TOPIC_METRIC_CHANGES: changes,
        }),
        'sink',
      );
      const readiness = await service.readiness();
      await service.stop();

      expect(readiness.ready).toBe(false);
      expect(readiness.reasons).toEqual([{ code: 'S3_BUCKET_UNAVAILABLE', error: 'TIMEOUT' }]);
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
      await kafkaAdmin.deleteTopics({ topics: [changes] }).catch(() => {});
      await kafkaAdmin.disconnect();
    }
  });

  it('says both stages lost their group while the broker is down, and is ready again once it is back', async () => {
    // Its own single-broker cluster, to stop and start again without disturbing other tests.
    const own = await startLocalStack({ dynamodb: false, s3: false });
    const node = own.kafka!.nodes[0]!;
    // Few retries: a stage notices the broker is gone within seconds (kafkajs restarts it).
    const ownKafka = new Kafka({
      clientId: uniqueName('svc-down'),
      brokers: own.kafka!.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
    });
    let service: RunningService | undefined;
    try {
      const ownAdmin = ownKafka.admin();
      await ownAdmin.connect();
      await createTopicsAndWait(
        ownAdmin,
        [names.created, names.updated, names.deleted].map((topic) => ({ topic, numPartitions: 1 })),
      );
      await ownAdmin.disconnect();
      const cfg = config({ KAFKA_BROKERS: own.kafka!.brokers.join(',') });
      service = await start(cfg, 'all', undefined, new Telemetry(), { kafka: ownKafka });
      const running = service;
      await eventually('ready', async () => ((await running.readiness()).ready ? true : undefined));

      await node.stop();
      const down = await eventually(
        'both stages report that they lost their group, and Kafka does not answer',
        async () => {
          const r = await running.readiness();
          const codes = new Set<string>(r.reasons.map((reason) => reason.code));
          return ['AGGREGATE_NOT_JOINED', 'SINK_NOT_JOINED', 'KAFKA_UNAVAILABLE'].every((code) =>
            codes.has(code),
          )
            ? r
            : undefined;
        },
        120_000,
      );
      await node.start();
      const back = await eventually(
        'ready again',
        async () => {
          const r = await running.readiness();
          return r.ready ? r : undefined;
        },
        120_000,
      );

      expect(down.ready).toBe(false);
      // Lost, not failed: kafkajs restarts the consumers, and nothing stopped the service.
      expect(down.reasons.map((reason) => reason.code)).not.toContain('AGGREGATE_STAGE_FAILED');
      expect(down.reasons.map((reason) => reason.code)).not.toContain('SINK_STAGE_FAILED');
      expect(back).toEqual({ ready: true, reasons: [] });
    } finally {
      await service?.stop().catch(() => {});
      await own.stop();
    }
  }, 400_000);

  it('refuses to start the sink stage without its AWS clients, naming what is missing, and leaves nothing running', async () => {
    const groupId = uniqueName('svc-noaws');
    const cfg = config({ KAFKA_GROUP_ID: groupId, SINK_GROUP_ID: uniqueName('svc-noaws-sink') });

    const failure = await startService({
      config: cfg,
      role: 'all',
      kafka,
      logger,
      telemetry: new Telemetry(),
    }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe(
      'the sink stage needs a DynamoDB client, an S3 client and ARCHIVE_BUCKET',
    );
    // The aggregate stage had started first: it left its group.
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    const { groups } = await kafkaAdmin.describeGroups([groupId]);
    await kafkaAdmin.disconnect();
    expect(groups[0]?.members).toEqual([]);
  });
});
