/**
 * The program (`runMain`) in this process against the shared local stack, so that coverage sees
 * main.ts, metricsCommand.ts, dlqMain.ts and demo.ts; the other app tests run the built program
 * in child processes. The process is not ended: `exit` is recorded, and the shutdown signal is
 * SIGUSR2 emitted on this process (no real signal is sent).
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { computeMetrics, replayToStates } from '@marketplace/analytics-aggregator';
import { ensureMetricsTable } from '@marketplace/dynamodb-sink';
import { generateMarketplaceStream, type ProductEvent } from '@marketplace/product-events';
import type { Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTopicsAndWait } from '../../../packages/kafka-processor/src/prepareTopics.js';
import {
  dynamoClient,
  kafkaClient,
  s3Client,
  testStack,
  uniqueName,
} from '../../../packages/local-stack/test/clients.js';
import { DEMO_STREAM } from '../src/Demo.js';
import { type MainIo, runMain } from '../src/main.js';
import { baseEnv, eventually } from './app.js';

const names = {
  app: uniqueName('main-app'),
  created: uniqueName('main-created'),
  updated: uniqueName('main-updated'),
  deleted: uniqueName('main-deleted'),
  productState: uniqueName('main-state'),
  metricChanges: uniqueName('main-changes'),
  deadLetter: uniqueName('main-dlq'),
  lowStock: uniqueName('main-lowstock'),
  reroute: uniqueName('main-reroute'),
  table: uniqueName('main-table'),
  bucket: uniqueName('main-bucket'),
};
const topics = { created: names.created, updated: names.updated, deleted: names.deleted };
const messages = [
  ...generateMarketplaceStream({
    seed: 17,
    events: 600,
    sellers: 4,
    categories: 3,
    products: 60,
    topics,
    duplicateRate: 0.02,
    reorder: true,
    malformedRate: 0.02,
  }),
];
const events: ProductEvent[] = messages.flatMap((m) => (m.event === undefined ? [] : [m.event]));
const oracle = computeMetrics(replayToStates(events).values());

/** An in-memory `MainIo`: what the program wrote and the exit codes it asked for. */
function memoryIo(env: NodeJS.ProcessEnv): MainIo & { out(): string; err(): string; exits: number[] } {
  const chunks = { out: '', err: '' };
  const writer = (key: 'out' | 'err') =>
    ({
      write: (text: string | Uint8Array) => {
        chunks[key] += String(text);
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  const exits: number[] = [];
  return {
    stdout: writer('out'),
    stderr: writer('err'),
    env: { ...env },
    exit: (code) => void exits.push(code),
    signals: ['SIGUSR2'],
    out: () => chunks.out,
    err: () => chunks.err,
    exits,
  };
}

function serviceEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
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
    HTTP_PORT: '0',
    WORKER_THREADS: '1',
    KAFKA_MAX_WAIT_TIME_MS: '200',
    LOG_LEVEL: 'warn',
    ...extra,
  });
}

let kafka: Kafka | undefined;
const dynamo = dynamoClient();
const s3 = s3Client();

beforeAll(async () => {
  kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(
    admin,
    Object.values(topics).map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })),
  );
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (const m of messages) {
    await producer.send({ topic: m.topic, messages: [{ key: m.key, value: m.value }] });
  }
  await producer.disconnect();
  await ensureMetricsTable(dynamo, { tableName: names.table });
  await s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
}, 300_000);

afterAll(async () => {
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

describe('runMain (the program, in process)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('prints the usage for --help with exit code 0', async () => {
    const io = memoryIo(baseEnv({}));

    expect(await runMain(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage:\n {2}analytics-service \[--role aggregate\|sink\|all\] \[--once\]/);
  });

  it('refuses unknown arguments and bad configuration with exit code 2, naming them', async () => {
    const args = memoryIo(baseEnv({}));
    const config = memoryIo(baseEnv({ KAFKA_BROKERS: '127.0.0.1:1', WORKER_THREADS: 'many' }));

    expect(await runMain(['--role', 'everything'], args)).toBe(2);
    expect(await runMain([], config)).toBe(2);
    expect(args.err()).toContain('Usage:');
    expect(config.err()).toContain('WORKER_THREADS');
  });

  it('refuses dlq without KAFKA_BROKERS with exit code 2', async () => {
    const io = memoryIo(baseEnv({}));

    expect(await runMain(['dlq', 'stats'], io)).toBe(2);
    expect(io.err()).toBe(
      'analytics-service: dlq needs KAFKA_BROKERS (the cluster whose dead letters to read)\n',
    );
  });

  it.each([
    [['new-epoch'], 'analytics-service: new-epoch needs KAFKA_BROKERS\n'],
    [['rescale'], 'analytics-service: rescale needs KAFKA_BROKERS\n'],
    [['reset', '--yes'], 'analytics-service: reset needs KAFKA_BROKERS\n'],
  ])('refuses %j without KAFKA_BROKERS with exit code 2', async (argv, message) => {
    const io = memoryIo(baseEnv({}));

    expect(await runMain(argv, io)).toBe(2);
    expect(io.err()).toBe(message);
    expect(io.out()).toBe('');
  });

  it('exits 1 when the service cannot start (HTTP port taken), leaving nothing running', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    // Without `signals`: the program's own SIGTERM and SIGINT handlers, removed again on failure.
    const { signals: _ownSignal, ...io } = memoryIo(
      serviceEnv({ HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' }),
    );
    const listeners = () => [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const before = listeners();

    try {
      expect(await runMain(['--role', 'aggregate'], io)).toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
    expect(io.exits).toEqual([1]);
    expect(listeners()).toEqual(before);
  });

  it('runs both stages until the signal, stores metrics equal to the oracle, and answers metrics and dlq commands', async () => {
    // The AWS SDK takes credentials from the process environment (its default provider chain),
    // which a child process of the app gets from its env: give this process the same.
    const stack = testStack();
    vi.stubEnv('AWS_ACCESS_KEY_ID', stack.credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', stack.credentials.secretAccessKey);
    const io = memoryIo(serviceEnv());
    expect(await runMain([], io)).toBeUndefined();

    const [sellerId, seller] = [...oracle.sellers].sort(([a], [b]) => a.localeCompare(b))[0]!;
    const [category, categoryValues] = [...oracle.categories].sort(([a], [b]) => a.localeCompare(b))[0]!;
    const query = async (...argv: string[]) => {
      const q = memoryIo(serviceEnv());
      return { code: await runMain(['metrics', ...argv], q), out: q.out(), err: q.err() };
    };
    // The seller's and the category's rows come from different groups: wait for both.
    const stored = await eventually(
      'the seller and category metrics equal the oracle',
      async () => {
        const [result, categoryResult] = [await query('seller', sellerId), await query('category', category)];
        if (result.code !== 0 || categoryResult.code !== 0) return undefined;
        const { metrics } = JSON.parse(result.out) as { metrics: Record<string, unknown> };
        const categoryMetrics = (JSON.parse(categoryResult.out) as { metrics: Record<string, unknown> })
          .metrics;
        return Number(metrics.totalProducts) === seller.totalProducts &&
          Number(metrics.activeProducts) === seller.activeProducts &&
          Number(categoryMetrics.productCount) === categoryValues.productCount
          ? { seller: JSON.parse(result.out), category: JSON.parse(categoryResult.out) }
          : undefined;
      },
      180_000,
    );
    expect(stored.seller.seller).toBe(sellerId);
    expect(stored.category.category).toBe(category);
    const lowStock = await query('low-stock', sellerId);
    expect(lowStock.code).toBe(0);
    expect(JSON.parse(lowStock.out)).toMatchObject({ sellerId, metrics: expect.any(Array) });
    const missing = await query('category', 'no-such-category');
    expect(missing).toEqual({
      code: 1,
      out: '',
      err: 'analytics-service: no metrics for category "no-such-category"\n',
    });
    const dlq = memoryIo(serviceEnv());
    expect(await runMain(['dlq', 'stats', '--json'], dlq)).toBe(0);
    expect(JSON.parse(dlq.out())).toBeTypeOf('object');

    process.emit('SIGUSR2', 'SIGUSR2');
    await eventually(
      'the service has shut down',
      () => (io.exits.length > 0 ? io.exits : undefined),
      120_000,
    );

    expect(io.exits).toEqual([0]);
  }, 300_000);

  it('runs the demo with --once: starts its own stack, prints the report with every category, exits 0', async () => {
    // 2500 events of seed 42 hold deletes without a category (producers may omit it), and end
    // with a chunk shorter than the 1000 sent at a time.
    const demoStream = { seed: 42, events: 2500, topics, ...DEMO_STREAM };
    const demoEvents = [...generateMarketplaceStream(demoStream)].flatMap((m) => (m.event ? [m.event] : []));
    const categories = new Set(
      demoEvents.flatMap((e) => (e.data.category === undefined ? [] : [e.data.category])),
    );
    expect(demoEvents.some((e) => e.data.category === undefined)).toBe(true);
    const io = memoryIo(
      baseEnv({ DEMO_EVENTS: '2500', DEMO_SEED: '42', DEMO_RATE: '0', DEMO_PARTITIONS: '2', HTTP_PORT: '0' }),
    );

    expect(await runMain(['--once'], io)).toBeUndefined();

    expect(io.exits).toEqual([0]);
    expect(io.out()).toContain('Demo mode (KAFKA_BROKERS is not set)');
    expect(io.out()).toContain('Starting the local stack');
    expect(io.out()).toContain('Both stages are running.');
    expect(io.out()).toContain(`Categories (${categories.size}), money per currency:`);
    for (const category of categories) expect(io.out()).toMatch(new RegExp(`^ {2}${category} `, 'm'));
    expect(io.out()).not.toContain('undefined');
  }, 300_000);

  it('exits 1 when the demo cannot start its local stack (no Java), leaving nothing running', async () => {
    vi.stubEnv('JAVA_HOME', join(tmpdir(), uniqueName('no-such-jdk')));
    const { signals: _ownSignal, ...io } = memoryIo(
      baseEnv({ DEMO_EVENTS: '300', DEMO_RATE: '0', DEMO_PARTITIONS: '2', HTTP_PORT: '0' }),
    );
    const listeners = () => [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const before = listeners();

    expect(await runMain([], io)).toBeUndefined();

    expect(io.exits).toEqual([1]);
    expect(io.out()).toContain('Starting the local stack');
    // Nothing was started, so there is nothing to stop.
    expect(io.out()).not.toContain('Stopping the local stack');
    expect(listeners()).toEqual(before);
  });

  it('runs stage 1 alone and, when an error escapes, shuts down gracefully and exits 1', async () => {
    const own = {
      APPLICATION_ID: uniqueName('main-fault'),
      TOPIC_PRODUCT_STATE: uniqueName('main-fault-state'),
      TOPIC_METRIC_CHANGES: uniqueName('main-fault-changes'),
      TOPIC_DEAD_LETTER: uniqueName('main-fault-dlq'),
      TOPIC_LOW_STOCK_ALERTS: uniqueName('main-fault-lowstock'),
      TOPIC_REROUTE: uniqueName('main-fault-reroute'),
      TOPIC_EPOCH: uniqueName('main-fault-epoch'),
    };
    const faults = new EventEmitter();
    const io = { ...memoryIo(serviceEnv(own)), faultTarget: faults };

    try {
      expect(await runMain(['--role', 'aggregate'], io)).toBeUndefined();
      expect(io.exits).toEqual([]);
      faults.emit('uncaughtException', new Error('escaped from a callback'), 'uncaughtException');
      await eventually(
        'the service has shut down',
        () => (io.exits.length > 0 ? io.exits : undefined),
        120_000,
      );

      expect(io.exits).toEqual([1]);
    } finally {
      const admin = kafka!.admin();
      await admin.connect();
      await admin
        .deleteTopics({
          topics: Object.entries(own).flatMap(([key, topic]) => (key.startsWith('TOPIC_') ? [topic] : [])),
        })
        .catch(() => {});
      await admin.disconnect();
    }
  }, 300_000);

  it('keeps serving the demo after its report until the signal, producing at the configured rate', async () => {
    const io = memoryIo(
      baseEnv({ DEMO_EVENTS: '300', DEMO_RATE: '1000', DEMO_PARTITIONS: '2', HTTP_PORT: '0' }),
    );

    expect(await runMain([], io)).toBeUndefined();
    expect(io.exits).toEqual([]);
    expect(io.out()).toContain('Producing 300 events (seed');
    expect(io.out()).toContain('1000 events/s');
    expect(io.out()).toMatch(
      /Serving http:\/\/127\.0\.0\.1:\d+\/metrics and \/readyz; press Ctrl-C to stop\./,
    );

    process.emit('SIGUSR2', 'SIGUSR2');
    await eventually('the demo has shut down', () => (io.exits.length > 0 ? io.exits : undefined), 120_000);

    expect(io.exits).toEqual([0]);
    expect(io.out()).toContain('Stopping the local stack');
  }, 300_000);

  it('stops the demo cleanly when the signal comes while the local stack is starting', async () => {
    // The stop waits for the stack to finish starting (it cannot be cut short), which can take
    // longer than the default 15 s shutdown bound on a loaded machine.
    const io = memoryIo(
      baseEnv({
        DEMO_EVENTS: '300',
        DEMO_RATE: '0',
        DEMO_PARTITIONS: '2',
        HTTP_PORT: '0',
        SHUTDOWN_TIMEOUT_MS: '240000',
      }),
    );

    const started = runMain([], io);
    await eventually('the demo is starting the local stack', () =>
      io.out().includes('Starting the local stack') ? true : undefined,
    );
    process.emit('SIGUSR2', 'SIGUSR2');

    expect(await started).toBeUndefined();
    await eventually('the demo has shut down', () => (io.exits.length > 0 ? io.exits : undefined), 120_000);
    expect(io.exits).toEqual([0]);
    expect(io.out()).not.toContain('Both stages are running.');
    expect(io.out()).toContain('Stopping the local stack');
  }, 300_000);
});
