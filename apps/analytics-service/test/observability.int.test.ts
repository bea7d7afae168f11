/**
 * The dashboard and the alert rules of `deploy/observability/` against the real service: the
 * built app runs both stages in production mode on the local stack, a generated stream (with
 * duplicates and malformed messages) goes through, and every metric name and label the
 * dashboard and the rules use must exist in its `/metrics` scrape. Only `job` and `instance`,
 * which Prometheus attaches when it scrapes, may be absent.
 */
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { ensureMetricsTable } from '@marketplace/dynamodb-sink';
import { generateMarketplaceStream } from '@marketplace/product-events';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopicsAndWait } from '../../../packages/kafka-processor/src/prepareTopics.js';
import {
  dynamoClient,
  kafkaClient,
  s3Client,
  testStack,
  uniqueName,
} from '../../../packages/local-stack/test/clients.js';
import { type AppProcess, baseEnv, ensureBuilt, eventually, metricValue, startApp } from './app.js';
import { allExpressions, expressionUse, scrapedSeries, TARGET_LABELS } from './observability.js';

const names = {
  app: uniqueName('obs-app'),
  created: uniqueName('obs-created'),
  updated: uniqueName('obs-updated'),
  deleted: uniqueName('obs-deleted'),
  productState: uniqueName('obs-state'),
  metricChanges: uniqueName('obs-changes'),
  deadLetter: uniqueName('obs-dlq'),
  lowStock: uniqueName('obs-lowstock'),
  table: uniqueName('obs-table'),
  bucket: uniqueName('obs-bucket'),
};
const topics = { created: names.created, updated: names.updated, deleted: names.deleted };
const messages = [
  ...generateMarketplaceStream({
    seed: 15,
    events: 1500,
    sellers: 6,
    categories: 4,
    products: 150,
    topics,
    duplicateRate: 0.05,
    reorder: true,
    malformedRate: 0.02,
  }),
];

let kafka: Kafka;
const dynamo = dynamoClient();
const s3 = s3Client();
let app: AppProcess | undefined;

beforeAll(async () => {
  await ensureBuilt();
  kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(
    admin,
    Object.values(topics).map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })),
  );
  await admin.disconnect();
  await ensureMetricsTable(dynamo, { tableName: names.table });
  await s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
}, 600_000);

afterAll(async () => {
  app?.kill();
  const admin = kafka.admin();
  await admin.connect();
  await admin
    .deleteTopics({
      topics: Object.values(names).filter((n) => n !== names.app && n !== names.table && n !== names.bucket),
    })
    .catch(() => {});
  await admin.disconnect();
  await dynamo.send(new DeleteTableCommand({ TableName: names.table })).catch(() => {});
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: names.bucket })).catch(() => undefined);
  const keys = (listed?.Contents ?? []).map((o) => ({ Key: o.Key as string }));
  if (keys.length > 0)
    await s3.send(new DeleteObjectsCommand({ Bucket: names.bucket, Delete: { Objects: keys } }));
  await s3.send(new DeleteBucketCommand({ Bucket: names.bucket })).catch(() => {});
  dynamo.destroy();
  s3.destroy();
});

describe('dashboard and alert rules against a real scrape', () => {
  it('use only metric names and labels the running service exports', async () => {
    const stack = testStack();
    app = startApp(
      baseEnv({
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
        LOG_LEVEL: 'info',
      }),
    );
    const url = await app.url();
    await eventually('the service reports ready', async () =>
      (await fetch(`${url}/readyz`)).status === 200 ? true : undefined,
    );
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let i = 0; i < messages.length; i += 500) {
      await producer.sendBatch({
        topicMessages: messages
          .slice(i, i + 500)
          .map((m) => ({ topic: m.topic, messages: [{ key: m.key, value: m.value, headers: m.headers }] })),
      });
    }
    await producer.disconnect();

    // The demo stream is through both stages and the lag monitor has seen both groups drained.
    const text = await eventually(
      'both stages drained the stream',
      async () => {
        const scrape = await (await fetch(`${url}/metrics`)).text();
        const processed = ['product.created', 'product.updated', 'product.deleted']
          .map((type) => metricValue(scrape, `analytics_events_total{type="${type}"}`) ?? 0)
          .reduce((a, b) => a + b, 0);
        const invalid = [...scrape.matchAll(/^analytics_events_invalid_total\{[^}]*\} (\d+)$/gm)]
          .map((m) => Number(m[1]))
          .reduce((a, b) => a + b, 0);
        const lags = [...scrape.matchAll(/^analytics_consumer_lag\{stage="(\w+)"[^}]*\} (\d+)$/gm)];
        const drained =
          processed + invalid === messages.length &&
          new Set(lags.map((m) => m[1])).size === 2 &&
          lags.every((m) => m[2] === '0') &&
          (metricValue(scrape, 'analytics_s3_objects_written_total') ?? 0) > 0;
        return drained ? scrape : undefined;
      },
      120_000,
    );
    const series = scrapedSeries(text);
    expect(metricValue(text, 'analytics_ready')).toBe(1);

    const problems: string[] = [];
    for (const { where, expr } of allExpressions()) {
      const use = expressionUse(expr);
      for (const metric of use.metrics) {
        if (!series.has(metric)) problems.push(`${where}: metric ${metric} is not in the scrape`);
      }
      for (const [metric, labels] of use.matchers) {
        for (const label of labels) {
          if (!TARGET_LABELS.has(label) && !series.get(metric)?.has(label)) {
            problems.push(`${where}: ${metric} has no label ${label}`);
          }
        }
      }
      for (const label of use.grouping) {
        const known = TARGET_LABELS.has(label) || [...use.metrics].some((m) => series.get(m)?.has(label));
        if (!known) problems.push(`${where}: no metric of the expression has label ${label}`);
      }
    }
    expect(problems).toEqual([]);
    expect((await app.terminate()).code).toBe(0);
  });
});
