/**
 * Misrouted input end to end (issue 19), through the BUILT app in production mode: the three input
 * topics are produced by kcat (librdkafka) with three different partitioner settings on 4
 * partitions, the app is SIGKILLed mid-stream and restarted, and the metrics in DynamoDB (read
 * through MetricsReader and by raw table reads) equal the oracle; the reroute counter is not zero.
 */
import { DeleteTableCommand, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { computeMetrics, type MetricsSnapshot, replayToStates } from '@marketplace/analytics-aggregator';
import { ensureMetricsTable, MetricsReader } from '@marketplace/dynamodb-sink';
import { generateMarketplaceStream, type ProductEvent } from '@marketplace/product-events';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopicsAndWait } from '../../../packages/kafka-processor/src/prepareTopics.js';
import { kcatCanSend, produceWithKcat } from '../../../packages/kafka-processor/test/integration/kcat.js';
import {
  dynamoClient,
  kafkaClient,
  s3Client,
  testStack,
  uniqueName,
} from '../../../packages/local-stack/test/clients.js';
import { type AppProcess, baseEnv, ensureBuilt, eventually, metricValue, startApp } from './app.js';

const PARTITIONS = 4;

const names = {
  app: uniqueName('rr-app'),
  created: uniqueName('rr-created'),
  updated: uniqueName('rr-updated'),
  deleted: uniqueName('rr-deleted'),
  productState: uniqueName('rr-state'),
  metricChanges: uniqueName('rr-changes'),
  deadLetter: uniqueName('rr-dlq'),
  lowStock: uniqueName('rr-lowstock'),
  reroute: uniqueName('rr-reroute'),
  table: uniqueName('rr-table'),
  bucket: uniqueName('rr-bucket'),
};
const topics = { created: names.created, updated: names.updated, deleted: names.deleted };

// kcat reads records as lines: the few malformed ones it cannot carry unchanged are left out.
const messages = [
  ...generateMarketplaceStream({
    seed: 20_261_127,
    events: 4000,
    sellers: 12,
    categories: 6,
    products: 400,
    topics,
    duplicateRate: 0.05,
    reorder: true,
    malformedRate: 0.01,
  }),
].filter(kcatCanSend);
const events: ProductEvent[] = messages.flatMap((m) => (m.event === undefined ? [] : [m.event]));
const oracle: MetricsSnapshot = computeMetrics(replayToStates(events).values());

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
    INPUT_PARTITIONER: 'murmur2',
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: stack.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stack.credentials.secretAccessKey,
    DYNAMODB_ENDPOINT: stack.dynamodbEndpoint,
    S3_ENDPOINT: stack.s3Endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    METRICS_TABLE: names.table,
    ARCHIVE_BUCKET: names.bucket,
    HTTP_PORT: '0',
    WORKER_THREADS: '1',
    KAFKA_MAX_WAIT_TIME_MS: '200',
    // Small fetches: many small batches, so that SIGKILL lands in the middle of the stream.
    KAFKA_MAX_BYTES_PER_PARTITION: '8192',
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

/** Produces with three partitioner settings: crc32 (librdkafka's default), murmur2, fnv1a. */
async function produce(batch: typeof messages): Promise<void> {
  const brokers = testStack().kafkaBrokers;
  const of = (topic: string) => batch.filter((m) => m.topic === topic);
  await produceWithKcat(brokers, of(topics.created)); // consistent_random
  await produceWithKcat(brokers, of(topics.updated), 'murmur2_random');
  await produceWithKcat(brokers, of(topics.deleted), 'fnv1a_random');
}

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

/** The oracle's entities as MetricsReader returns them. */
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

/**
 * The whole table by Scan, summed by hand: per entity the current partial rows (`CUR#G<g>`) of
 * every group, and the low-stock rows that were not removed. Entities whose sums are empty are
 * dropped, as the oracle lists only sellers and categories that hold a product.
 */
async function rawSnapshot() {
  const items: NonNullable<ScanCommandOutput['Items']> = [];
  let start: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: names.table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  type Item = (typeof items)[number];
  type Sums = { counts: Record<string, bigint>; money: Record<string, Record<string, bigint>> };
  const n = (item: Item, name: string) => BigInt(item[name]?.N ?? '0');
  const sellers = new Map<string, Sums>();
  const categories = new Map<string, Sums>();
  const lowStock = new Map<string, { sellerId: string; category: string; quantity: number }>();
  const groups = new Set<string>();
  for (const item of items) {
    const pk = item.pk?.S ?? '';
    const sk = item.sk?.S ?? '';
    if (pk.startsWith('LOWSTOCK#')) {
      if (item.removed?.BOOL) continue;
      lowStock.set(sk, {
        sellerId: item.sellerId?.S ?? '',
        category: item.category?.S ?? '',
        quantity: Number(item.quantity?.N),
      });
      continue;
    }
    if (!sk.startsWith('CUR#G')) continue;
    groups.add(sk);
    const [kind, id] = [pk.slice(0, pk.indexOf('#')), pk.slice(pk.indexOf('#') + 1)];
    const counts =
      kind === 'SELLER'
        ? ['totalProducts', 'activeProducts', 'deletedProducts', 'lowStockCount']
        : ['productCount'];
    // Money and priced counts are map attributes: one number per currency present in the row.
    const maps = kind === 'SELLER' ? ['totalValue'] : ['pricedCount', 'totalValue', 'priceSum'];
    const target = kind === 'SELLER' ? sellers : categories;
    const sum = target.get(id) ?? { counts: {}, money: {} };
    for (const f of counts) sum.counts[f] = (sum.counts[f] ?? 0n) + n(item, f);
    for (const f of maps) {
      const bucket = sum.money[f] ?? {};
      sum.money[f] = bucket;
      for (const [currency, value] of Object.entries(item[f]?.M ?? {}))
        bucket[currency] = (bucket[currency] ?? 0n) + BigInt(value.N ?? '0');
    }
    target.set(id, sum);
  }
  return {
    groups,
    sellers: new Map([...sellers].filter(([, v]) => v.counts.totalProducts! > 0n)),
    categories: new Map([...categories].filter(([, v]) => v.counts.productCount! > 0n)),
    lowStock,
  };
}

const sorted = <V>(map: Map<string, V>): Array<[string, V]> =>
  [...map].sort(([a], [b]) => a.localeCompare(b));

function expectEqualSnapshots(actual: MetricsSnapshot, expected: MetricsSnapshot): void {
  expect(sorted(actual.sellers)).toEqual(sorted(expected.sellers));
  expect(sorted(actual.categories)).toEqual(sorted(expected.categories));
  expect(sorted(actual.lowStock)).toEqual(sorted(expected.lowStock));
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

describe('analytics-service with producers of different partitioners (built app, local stack)', () => {
  it('stores metrics equal to the oracle after a SIGKILL mid-stream, read through MetricsReader and raw', async () => {
    const half = Math.floor(messages.length / 2);
    await produce(messages.slice(0, half));
    const first = await launch();
    await eventually('a first batch is committed', async () => {
      const text = await (await fetch(`${first.url}/metrics`)).text();
      return (metricValue(text, 'analytics_batches_total{stage="aggregate",outcome="ok"}') ?? 0) > 0
        ? true
        : undefined;
    });
    first.app.kill();
    const killed = await first.app.exited;
    expect(killed.signal).toBe('SIGKILL');
    expect(await inputLag(), 'the app was killed before it had consumed everything').toBeGreaterThan(0);

    await produce(messages.slice(half));
    const second = await launch();
    const stored = await eventually(
      'DynamoDB metrics equal the oracle',
      async () => {
        const snapshot = await readBack();
        try {
          expectEqualSnapshots(snapshot, oracle);
          return snapshot;
        } catch {
          return undefined;
        }
      },
      180_000,
    ).catch(async (error: unknown) => {
      expectEqualSnapshots(await readBack(), oracle); // shows the difference
      throw error;
    });
    expectEqualSnapshots(stored, oracle);

    const raw = await rawSnapshot();
    expect([...raw.groups].every((sk) => /^CUR#G[0-3]$/.test(sk))).toBe(true);
    const bigints = (counts: Record<string, number>) =>
      Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, BigInt(v)]));
    expect(sorted(raw.sellers)).toEqual(
      sorted(oracle.sellers).map(([id, v]) => [
        id,
        {
          counts: {
            totalProducts: BigInt(v.totalProducts),
            activeProducts: BigInt(v.activeProducts),
            deletedProducts: BigInt(v.deletedProducts),
            lowStockCount: BigInt(v.lowStockCount),
          },
          money: { totalValue: v.totalValue },
        },
      ]),
    );
    expect(sorted(raw.categories)).toEqual(
      sorted(oracle.categories).map(([id, v]) => [
        id,
        {
          counts: { productCount: BigInt(v.productCount) },
          money: { pricedCount: bigints(v.pricedCount), totalValue: v.totalValue, priceSum: v.priceSum },
        },
      ]),
    );
    expect(sorted(raw.lowStock)).toEqual(
      sorted(oracle.lowStock).map(([id, v]) => [
        id,
        { sellerId: v.sellerId, category: v.category, quantity: v.quantity },
      ]),
    );

    const text = await (await fetch(`${second.url}/metrics`)).text();
    expect(metricValue(text, `analytics_rerouted_records_total{topic="${names.created}"}`)).toBeGreaterThan(
      0,
    );
    expect(metricValue(text, `analytics_rerouted_records_total{topic="${names.updated}"}`)).toBe(0);

    const { code } = await second.app.terminate();
    expect(code, second.app.stderr()).toBe(0);
  }, 400_000);
});
