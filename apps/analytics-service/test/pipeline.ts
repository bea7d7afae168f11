/**
 * Helpers of the end-to-end tests of pipeline epochs (recreated metric-change topic, rescale,
 * reset): one deployment's names and environment, an independent producer, read-back through
 * MetricsReader and raw table scans, comparison with the independent oracle. Not a test file.
 */
import { type AttributeValue, DeleteTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import type { MetricsSnapshot } from '@marketplace/analytics-aggregator';
import { ensureMetricsTable, MetricsReader } from '@marketplace/dynamodb-sink';
import type { GeneratedMessage, ProductEvent } from '@marketplace/product-events';
import type { Kafka } from 'kafkajs';
import { expect } from 'vitest';
import { oracleMetrics } from '../../../packages/aggregator/test/independentOracle.js';
import { createTopicsAndWait } from '../../../packages/kafka-processor/src/prepareTopics.js';
import {
  dynamoClient,
  kafkaClient,
  s3Client,
  testStack,
  uniqueName,
} from '../../../packages/local-stack/test/clients.js';
import { type AppProcess, baseEnv, eventually, runInProcess, startApp } from './app.js';

/** One deployment of the service under test, with unique names. */
export class Deployment {
  readonly names: Record<string, string>;
  readonly topics: { created: string; updated: string; deleted: string };
  readonly kafka: Kafka = kafkaClient();
  readonly dynamo = dynamoClient();
  readonly s3 = s3Client();
  readonly reader: MetricsReader;
  readonly apps: AppProcess[] = [];

  constructor(prefix: string) {
    const name = (what: string) => uniqueName(`${prefix}-${what}`);
    this.names = {
      app: name('app'),
      created: name('created'),
      updated: name('updated'),
      deleted: name('deleted'),
      productState: name('state'),
      metricChanges: name('changes'),
      deadLetter: name('dlq'),
      lowStock: name('lowstock'),
      reroute: name('reroute'),
      epoch: name('epoch'),
      table: name('table'),
      bucket: name('bucket'),
    };
    this.topics = {
      created: this.names.created!,
      updated: this.names.updated!,
      deleted: this.names.deleted!,
    };
    this.reader = new MetricsReader({
      client: this.dynamo,
      tableName: this.names.table!,
      consistentRead: true,
    });
  }

  /** Creates the input topics with `partitions` partitions, the table and the bucket. */
  async setUp(partitions: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    await createTopicsAndWait(
      admin,
      Object.values(this.topics).map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    );
    await admin.disconnect();
    await ensureMetricsTable(this.dynamo, { tableName: this.names.table! });
    await this.s3.send(new CreateBucketCommand({ Bucket: this.names.bucket }));
  }

  /** Environment of the app for this deployment. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const stack = testStack();
    const n = this.names;
    return baseEnv({
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      KAFKA_CREATE_TOPICS: 'true',
      APPLICATION_ID: n.app!,
      TOPIC_PRODUCT_CREATED: n.created!,
      TOPIC_PRODUCT_UPDATED: n.updated!,
      TOPIC_PRODUCT_DELETED: n.deleted!,
      TOPIC_PRODUCT_STATE: n.productState!,
      TOPIC_METRIC_CHANGES: n.metricChanges!,
      TOPIC_DEAD_LETTER: n.deadLetter!,
      TOPIC_LOW_STOCK_ALERTS: n.lowStock!,
      TOPIC_REROUTE: n.reroute!,
      TOPIC_EPOCH: n.epoch!,
      AWS_REGION: stack.region,
      AWS_ACCESS_KEY_ID: stack.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: stack.credentials.secretAccessKey,
      DYNAMODB_ENDPOINT: stack.dynamodbEndpoint,
      S3_ENDPOINT: stack.s3Endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      METRICS_TABLE: n.table!,
      ARCHIVE_BUCKET: n.bucket!,
      HTTP_PORT: '0',
      WORKER_THREADS: '1',
      KAFKA_MAX_WAIT_TIME_MS: '200',
      KAFKA_MAX_BYTES_PER_PARTITION: '16384',
      SHUTDOWN_TIMEOUT_MS: '15000',
      LOG_LEVEL: 'info',
      ...extra,
    });
  }

  /** Starts the service and waits until it is ready. */
  async launch(): Promise<AppProcess> {
    const app = startApp(this.env());
    this.apps.push(app);
    const url = await app.url();
    await eventually('the app reports ready', async () =>
      (await fetch(`${url}/readyz`)).status === 200 ? true : undefined,
    );
    return app;
  }

  /**
   * Runs a one-shot command (`new-epoch`, `rescale`, `reset`, `dlq`, `metrics`) through `runMain`
   * in this process, so that coverage sees it; resolves with its exit code and what it wrote. The
   * built program runs the same commands in child processes where a test kills them
   * ({@link startApp}).
   */
  async command(
    args: string[],
    extra: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return runInProcess(this.env(extra), args);
  }

  /** Produces messages with an independent kafkajs producer (its default partitioner, murmur2). */
  async produce(batch: readonly GeneratedMessage[]): Promise<void> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
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

  /** Everything stored for the oracle's entities, read through MetricsReader. */
  async readBack(oracle: MetricsSnapshot): Promise<MetricsSnapshot> {
    const sellers = new Map();
    const categories = new Map();
    const lowStock = new Map();
    for (const id of oracle.sellers.keys()) {
      const values = await this.reader.getSellerMetrics(id);
      if (values !== undefined) sellers.set(id, values);
      for (const entry of await this.reader.listLowStock(id)) lowStock.set(entry.productId, entry);
    }
    for (const id of oracle.categories.keys()) {
      const values = await this.reader.getCategoryMetrics(id);
      if (values !== undefined) categories.set(id, values);
    }
    return { sellers, categories, lowStock };
  }

  /** Waits until the metrics read back equal the oracle of `events`; shows the difference on timeout. */
  async converged(events: readonly ProductEvent[], timeoutMs = 180_000): Promise<void> {
    const oracle = oracleMetrics(events);
    await eventually(
      'DynamoDB metrics equal the oracle',
      async () => (equalSnapshots(await this.readBack(oracle), oracle) ? true : undefined),
      timeoutMs,
    ).catch(async (error: unknown) => {
      expectEqualSnapshots(await this.readBack(oracle), oracle);
      throw error;
    });
  }

  /** Every item of the table (raw Scan, not MetricsReader). */
  async scan(): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamo.send(
        new ScanCommand({ TableName: this.names.table, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  /**
   * The raw table summed like a naive reader that knows epochs: per seller and category, the
   * current rows of the entity's newest epoch; compared on product counts with the oracle.
   */
  async rawCounts(): Promise<{ sellers: Map<string, number>; categories: Map<string, number> }> {
    const newest = new Map<string, number>();
    const rows: { pk: string; epoch: number; count: number }[] = [];
    for (const item of await this.scan()) {
      const pk = item.pk?.S ?? '';
      if (!(item.sk?.S ?? '').startsWith('CUR#')) continue;
      const epoch = Number(item.epoch?.N ?? '0');
      const count = Number(item.totalProducts?.N ?? item.productCount?.N ?? '0');
      rows.push({ pk, epoch, count });
      newest.set(pk, Math.max(newest.get(pk) ?? 0, epoch));
    }
    const sellers = new Map<string, number>();
    const categories = new Map<string, number>();
    for (const { pk, epoch, count } of rows) {
      if (epoch !== newest.get(pk)) continue;
      const [target, id] = pk.startsWith('SELLER#') ? [sellers, pk.slice(7)] : [categories, pk.slice(9)];
      target.set(id, (target.get(id) ?? 0) + count);
    }
    const live = (map: Map<string, number>) => new Map([...map].filter(([, count]) => count > 0));
    return { sellers: live(sellers), categories: live(categories) };
  }

  /** Stops every app, deletes the topics, the table and the bucket. */
  async tearDown(): Promise<void> {
    for (const app of this.apps) app.kill();
    const admin = this.kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const n = this.names;
    const topics = [
      n.created,
      n.updated,
      n.deleted,
      n.productState,
      n.metricChanges,
      n.deadLetter,
      n.lowStock,
      n.reroute,
      n.epoch,
    ].filter((t): t is string => t !== undefined && existing.has(t));
    await admin.deleteTopics({ topics }).catch(() => {});
    await admin.disconnect();
    await this.dynamo.send(new DeleteTableCommand({ TableName: n.table })).catch(() => {});
    const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: n.bucket })).catch(() => undefined);
    const keys = (listed?.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (keys.length > 0) {
      await this.s3
        .send(new DeleteObjectsCommand({ Bucket: n.bucket, Delete: { Objects: keys } }))
        .catch(() => {});
    }
    await this.s3.send(new DeleteBucketCommand({ Bucket: n.bucket })).catch(() => {});
    this.dynamo.destroy();
    this.s3.destroy();
  }
}

/** Product counts of the oracle of `events` (sellers: totalProducts, categories: productCount), non-zero only. */
export function oracleCounts(events: readonly ProductEvent[]): {
  sellers: Map<string, number>;
  categories: Map<string, number>;
} {
  const oracle = oracleMetrics(events);
  return {
    sellers: new Map(
      [...oracle.sellers]
        .map(([id, v]) => [id, v.totalProducts] as [string, number])
        .filter(([, c]) => c > 0),
    ),
    categories: new Map(
      [...oracle.categories]
        .map(([id, v]) => [id, v.productCount] as [string, number])
        .filter(([, c]) => c > 0),
    ),
  };
}

function sorted<V>(map: Map<string, V>): Array<[string, V]> {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}

/** Asserts two snapshots are equal (sellers, categories, low stock). */
export function expectEqualSnapshots(actual: MetricsSnapshot, expected: MetricsSnapshot): void {
  expect(sorted(actual.sellers)).toEqual(sorted(expected.sellers));
  expect(sorted(actual.categories)).toEqual(sorted(expected.categories));
  expect(sorted(actual.lowStock)).toEqual(sorted(expected.lowStock));
}

function equalSnapshots(actual: MetricsSnapshot, expected: MetricsSnapshot): boolean {
  try {
    expectEqualSnapshots(actual, expected);
    return true;
  } catch {
    return false;
  }
}
