/**
 * End to end through the BUILT app (`dist/main.js`) as a child process in production mode
 * against the local stack: the test produces a generated stream (duplicates, reordering,
 * malformed messages) itself and checks DynamoDB and S3 against the naive oracle.
 */

import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import {
  type CategoryMetrics,
  foldMetricChanges,
  type MetricsSnapshot,
  type SellerMetricValues,
} from '@marketplace/analytics-aggregator';
import { ensureMetricsTable, MetricsReader } from '@marketplace/dynamodb-sink';
import {
  type GeneratedMessage,
  generateMarketplaceStream,
  type ProductEvent,
} from '@marketplace/product-events';
import { parseArchiveKey, readArchive } from '@marketplace/s3-sink';
import type { Kafka } from 'kafkajs';
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
import {
  type AppProcess,
  baseEnv,
  ensureBuilt,
  eventually,
  metricValue,
  scanLiveEntities,
  startApp,
} from './app.js';

const SHUTDOWN_TIMEOUT_MS = 15_000;
const PARTITIONS = 3;
const PREFIX = 'metrics';

const names = {
  app: uniqueName('e2e-app'),
  created: uniqueName('e2e-created'),
  updated: uniqueName('e2e-updated'),
  deleted: uniqueName('e2e-deleted'),
  productState: uniqueName('e2e-state'),
  metricChanges: uniqueName('e2e-changes'),
  deadLetter: uniqueName('e2e-dlq'),
  lowStock: uniqueName('e2e-lowstock'),
  reroute: uniqueName('e2e-reroute'),
  table: uniqueName('e2e-table'),
  bucket: uniqueName('e2e-bucket'),
};
const topics = { created: names.created, updated: names.updated, deleted: names.deleted };

const messages: GeneratedMessage[] = [
  ...generateMarketplaceStream({
    seed: 20_261_125,
    events: 4000,
    sellers: 12,
    categories: 6,
    products: 400,
    topics,
    duplicateRate: 0.05,
    reorder: true,
    malformedRate: 0.01,
    // Money per currency end to end: no minor digits (JPY), three (KWD), an unknown but
    // well-formed code (XTS), and products that change currency.
    currencyMix: { USD: 6, EUR: 2, JPY: 2, KWD: 1, XTS: 1 },
    currencyChangeRate: 0.2,
  }),
];
const events: ProductEvent[] = messages.flatMap((m) => (m.event === undefined ? [] : [m.event]));
/** The independent oracle (shares no code with the aggregator). */
const oracle: MetricsSnapshot = oracleMetrics(events);
const occurred = events.map((e) => Date.parse(e.occurredAt));
const firstEventMs = Math.min(...occurred);
const lastEventMs = Math.max(...occurred);

let kafka: Kafka | undefined;
const dynamo = dynamoClient();
const s3 = s3Client();
const reader = new MetricsReader({ client: dynamo, tableName: names.table });
const apps: AppProcess[] = [];

function appEnv(): NodeJS.ProcessEnv {
  const stack = testStack();
  return baseEnv({
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    KAFKA_CREATE_TOPICS: 'true',
    APPLICATION_ID: names.app,
    TOPIC_PRODUCT_CREATED: names.created,
    TOPIC_PRODUCT_UPDATED: names.updated,
    TOPIC_PRODUCT_DELETED: names.deleted,
    TOPIC_PRODUCT_STATE: names.productState,
    TOPIC_METRIC_CHANGES: names.metricChanges,
    TOPIC_DEAD_LETTER: names.deadLetter,
    TOPIC_LOW_STOCK_ALERTS: names.lowStock,
    TOPIC_REROUTE: names.reroute,
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: stack.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stack.credentials.secretAccessKey,
    DYNAMODB_ENDPOINT: stack.dynamodbEndpoint,
    S3_ENDPOINT: stack.s3Endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    METRICS_TABLE: names.table,
    ARCHIVE_BUCKET: names.bucket,
    ARCHIVE_PREFIX: PREFIX,
    HTTP_PORT: '0',
    WORKER_THREADS: '2',
    KAFKA_MAX_WAIT_TIME_MS: '200',
    // Small fetches: many small batches, so that SIGTERM lands in the middle of the stream.
    KAFKA_MAX_BYTES_PER_PARTITION: '8192',
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    LOG_LEVEL: 'info',
  });
}

async function launch(): Promise<{ app: AppProcess; url: string }> {
  const app = startApp(appEnv());
  apps.push(app);
  const url = await app.url();
  await eventually('the app reports ready', async () =>
    (await fetch(`${url}/readyz`)).status === 200 ? true : undefined,
  );
  return { app, url };
}

async function produce(batch: readonly GeneratedMessage[]): Promise<void> {
  if (kafka === undefined) throw new Error('beforeAll did not run');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < batch.length; i += 500) {
      await producer.sendBatch({
        topicMessages: batch.slice(i, i + 500).map((m) => ({
          topic: m.topic,
          messages: [{ key: m.key, value: m.value, headers: m.headers }],
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

let produced = 0;

/** Produces the stream up to `end` (each message once, whichever test gets there first). */
async function produceUpTo(end: number): Promise<void> {
  if (end <= produced) return;
  const from = produced;
  produced = end;
  await produce(messages.slice(from, end));
}

let serving: Promise<{ app: AppProcess; url: string }> | undefined;

/** The app that runs after the mid-stream stop (launched once, by whichever test needs it first). */
function servingApp(): Promise<{ app: AppProcess; url: string }> {
  serving ??= launch();
  return serving;
}

let convergence: Promise<MetricsSnapshot> | undefined;

/**
 * The whole stream produced and consumed, DynamoDB equal to the oracle: the state the later tests
 * start from. Memoised, so each test can run alone (`-t`) or in any order.
 */
function converged(): Promise<MetricsSnapshot> {
  convergence ??= (async () => {
    await servingApp();
    await produceUpTo(messages.length);
    return eventually(
      'DynamoDB metrics equal the oracle',
      async () => {
        const snapshot = await readBack();
        return equalSnapshots(snapshot, oracle) ? snapshot : undefined;
      },
      120_000,
    ).catch(async (error: unknown) => {
      expectEqualSnapshots(await readBack(), oracle); // shows the difference
      throw error;
    });
  })();
  return convergence;
}

/** Input messages the aggregate group has not committed yet. */
async function inputLag(): Promise<number> {
  if (kafka === undefined) throw new Error('beforeAll did not run');
  const admin = kafka.admin();
  await admin.connect();
  try {
    let lag = 0;
    const committed = await admin.fetchOffsets({ groupId: names.app, topics: Object.values(topics) });
    for (const { topic, partitions } of committed) {
      for (const end of await admin.fetchTopicOffsets(topic)) {
        const offset = partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        lag += Number(end.high) - (offset === '-1' ? Number(end.low) : Number(offset));
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

/** Everything the service stores in DynamoDB for the oracle's entities, read through MetricsReader. */
async function readBack(): Promise<MetricsSnapshot> {
  const sellers = new Map();
  const categories = new Map();
  const lowStock = new Map();
  for (const id of oracle.sellers.keys()) {
    const values = await reader.getSellerMetrics(id);
    if (values !== undefined) sellers.set(id, values);
    for (const entry of await reader.listLowStock(id)) lowStock.set(entry.productId, entry);
  }
  for (const id of oracle.categories.keys()) {
    const values = await reader.getCategoryMetrics(id);
    if (values !== undefined) categories.set(id, values);
  }
  return { sellers, categories, lowStock };
}

/** Values as the CLI prints them: bigints as decimal strings. */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

function sorted<V>(map: Map<string, V>): Array<[string, V]> {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}

function expectEqualSnapshots(actual: MetricsSnapshot, expected: MetricsSnapshot): void {
  expect(sorted(actual.sellers)).toEqual(sorted(expected.sellers));
  expect(sorted(actual.categories)).toEqual(sorted(expected.categories));
  expect(sorted(actual.lowStock)).toEqual(sorted(expected.lowStock));
}

/** The oracle lists only sellers owning a product and categories holding one; folds also keep emptied rows. */
function withoutEmptyRows(snapshot: MetricsSnapshot): MetricsSnapshot {
  return {
    sellers: new Map([...snapshot.sellers].filter(([, v]) => v.totalProducts > 0)),
    categories: new Map([...snapshot.categories].filter(([, v]) => v.productCount > 0)),
    lowStock: snapshot.lowStock,
  };
}

function equalSnapshots(actual: MetricsSnapshot, expected: MetricsSnapshot): boolean {
  try {
    expectEqualSnapshots(actual, expected);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  await ensureBuilt();
  kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(
    admin,
    Object.values(topics).map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
  );
  await admin.disconnect();
  await ensureMetricsTable(dynamo, { tableName: names.table });
  await s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
}, 600_000);

afterAll(async () => {
  for (const app of apps) app.kill();
  if (kafka !== undefined) {
    const admin = kafka.admin();
    await admin.connect();
    await admin
      .deleteTopics({
        topics: [
          ...Object.values(topics),
          names.productState,
          names.metricChanges,
          names.deadLetter,
          names.lowStock,
          names.reroute,
        ],
      })
      .catch(() => {});
    await admin.disconnect();
  }
  await dynamo.send(new DeleteTableCommand({ TableName: names.table })).catch(() => {});
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: names.bucket })).catch(() => undefined);
  const keys = (listed?.Contents ?? []).map((o) => ({ Key: o.Key as string }));
  if (keys.length > 0)
    await s3.send(new DeleteObjectsCommand({ Bucket: names.bucket, Delete: { Objects: keys } }));
  await s3.send(new DeleteBucketCommand({ Bucket: names.bucket })).catch(() => {});
  dynamo.destroy();
  s3.destroy();
});

describe('analytics-service (built app, production mode, local stack)', () => {
  it('stops cleanly on SIGTERM mid-stream within the shutdown bound', async () => {
    const { app, url } = await launch();
    await produceUpTo((messages.length * 3) / 4);
    await eventually('a first batch is committed', async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return (metricValue(text, 'analytics_batches_total{stage="aggregate",outcome="ok"}') ?? 0) > 0
        ? true
        : undefined;
    });

    const { code, ms } = await app.terminate();
    const lagAtStop = await inputLag();

    expect(code, app.stderr()).toBe(0);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(lagAtStop, 'the app was stopped before it had consumed everything').toBeGreaterThan(0);
  });

  it('runs a stream priced in five currencies, with currency changes', () => {
    const currencies = new Set([...oracle.categories.values()].flatMap((c) => Object.keys(c.totalValue)));
    expect([...currencies].sort()).toEqual(['EUR', 'JPY', 'KWD', 'USD', 'XTS']);
    const seen = new Map<string, string>();
    let changes = 0;
    for (const event of events) {
      if (event.type === 'product.deleted') continue;
      const before = seen.get(event.productId);
      if (before !== undefined && before !== event.data.currency) changes += 1;
      seen.set(event.productId, event.data.currency);
    }
    expect(changes).toBeGreaterThan(0);
  });

  it('after a restart, DynamoDB metrics equal the oracle and /readyz and /metrics answer', async () => {
    const stored = await converged();
    const { url } = await servingApp();

    expectEqualSnapshots(stored, oracle);
    // Nothing beyond the oracle's entities is stored.
    expect(await scanLiveEntities(dynamo, names.table)).toEqual({
      sellers: [...oracle.sellers.keys()].sort(),
      categories: [...oracle.categories.keys()].sort(),
      lowStock: [...oracle.lowStock.keys()].sort(),
    });

    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('analytics_events_total{type="product.created"}');
    expect(metricValue(metrics, 'analytics_dynamodb_rows_written_total')).toBeGreaterThan(0);
    expect(metricValue(metrics, 'analytics_s3_objects_written_total')).toBeGreaterThan(0);
    expect(metrics).toContain(`analytics_consumer_lag{stage="aggregate",group="${names.app}"`);
    // Stage 1 runs on stream threads by default: each reports its utilisation and heap.
    expect(metrics).toMatch(/analytics_stream_thread_utilization_ratio\{thread="0"\} /);
    expect(metricValue(metrics, 'analytics_stream_thread_heap_used_bytes{thread="0"}')).toBeGreaterThan(
      4 * 1024 * 1024,
    );
    expect(metrics).toContain('process_resident_memory_bytes');
  });

  it('archives every change to S3 under the dates of the events, and the archive folds to the oracle', async () => {
    await converged();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: names.bucket, Prefix: `${PREFIX}/` }));
    const parts = (listed.Contents ?? []).map((o) => parseArchiveKey(PREFIX, o.Key as string));
    const hourOf = (ms: number) => new Date(ms).toISOString().slice(0, 13);

    expect(parts.length).toBeGreaterThan(0);
    for (const part of parts) {
      expect(part, `an archive key outside the layout`).not.toBeUndefined();
      expect(part?.topic).toBe(names.metricChanges);
      const hour = `${part?.day}T${part?.hour}`;
      expect(hour >= hourOf(firstEventMs) && hour <= hourOf(lastEventMs), hour).toBe(true);
    }

    const records = [];
    for await (const record of readArchive({
      client: s3,
      bucket: names.bucket,
      prefix: PREFIX,
      from: new Date(firstEventMs - 3_600_000),
      to: new Date(lastEventMs + 3_600_000),
    })) {
      records.push(record);
    }
    expectEqualSnapshots(withoutEmptyRows(foldMetricChanges(records)), oracle);
  });

  it('prints a seller, a category and a low-stock list as JSON with the metrics subcommand', async () => {
    await converged();
    const [sellerId, seller] = sorted(oracle.sellers)[0] as [string, SellerMetricValues];
    const [category, categoryValues] = sorted(oracle.categories)[0] as [string, CategoryMetrics];
    const env = appEnv();

    const sellerRun = startApp(env, ['metrics', 'seller', sellerId]);
    const categoryRun = startApp(env, ['metrics', 'category', category]);
    const lowStockRun = startApp(env, ['metrics', 'low-stock', sellerId]);
    const missingRun = startApp(env, ['metrics', 'seller', 'no-such-seller']);
    const codes = await Promise.all(
      [sellerRun, categoryRun, lowStockRun, missingRun].map((run) => run.exited),
    );

    expect(codes.map((c) => c.code)).toEqual([0, 0, 0, 1]);
    expect(JSON.parse(sellerRun.stdout())).toEqual({ seller: sellerId, metrics: asJson(seller) });
    expect(JSON.parse(categoryRun.stdout())).toEqual({ category, metrics: asJson(categoryValues) });
    expect(JSON.parse(lowStockRun.stdout()).metrics).toHaveLength(
      [...oracle.lowStock.values()].filter((entry) => entry.sellerId === sellerId).length,
    );
    expect(missingRun.stderr()).toContain('no metrics for seller "no-such-seller"');
  });

  it('exits 0 on SIGTERM when idle', async () => {
    await converged();
    const { app } = await servingApp();

    const { code, ms } = await app.terminate();

    expect(code, app.stderr()).toBe(0);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
  });

  it('stops with exit code 1 and a clear log line on a permanent fault (missing table)', async () => {
    const app = startApp(
      {
        ...appEnv(),
        METRICS_TABLE: uniqueName('missing-table'),
        SINK_GROUP_ID: uniqueName('e2e-fatal-sink'),
      },
      ['--role', 'sink'],
    );
    apps.push(app);

    const { code } = await app.exited;

    expect(code).toBe(1);
    expect(app.stdout()).toMatch(/"msg":"stage failed: stopping"/);
  });
});
