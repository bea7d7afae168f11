/**
 * `pnpm --filter @marketplace/bench exec node --import tsx src/restoreProfile.ts [--products n]
 * [--versions n] [--partitions n] [--runs n]`: prepares a changelog on the local stack (every
 * product written `versions` times, in committed transactions like stage 1's) and restores every
 * partition with `restoreGroupStates` `runs` times, printing the time of each phase (seen through
 * the restore consumer's instrumentation events). Run Node with `--cpu-prof` to profile the
 * restore; the producing phase is in the profile too, the restore is the last `runs` slices.
 * A tool to see what limits figure 5, not a figure.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { encodeProductState, type ProductState } from '@marketplace/analytics-aggregator';
import { partitionForKey } from '@marketplace/kafka-processor';
import { startLocalStack } from '@marketplace/local-stack';
import { type Consumer, type ConsumerConfig, Kafka, logLevel } from 'kafkajs';
// Not part of the package's public API: the profile calls the restore itself.
import { restoreGroupStates } from '../../packages/kafka-processor/src/restoreGroupStates.js';
import { progress } from './report.js';

const { values } = parseArgs({
  options: {
    products: { type: 'string', default: '100000' },
    versions: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '6' },
    runs: { type: 'string', default: '3' },
  },
});
const products = Number(values.products);
const versions = Number(values.versions);
const partitions = Number(values.partitions);
const runs = Number(values.runs);

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const stack = await startLocalStack({ dynamodb: false, s3: false, onProgress: (m) => progress(m) });
const kafka = new Kafka({
  clientId: 'restore-profile',
  brokers: stack.kafka!.brokers,
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
try {
  await admin.connect();
  const topic = `restore-profile-${Date.now()}`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic, numPartitions: partitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  const producer = kafka.producer({
    transactionalId: `${topic}-writer`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  progress(`writing ${products} products x ${versions} versions to ${partitions} partitions`);
  const written = performance.now();
  let bytes = 0;
  for (let version = 1; version <= versions; version++) {
    for (let start = 0; start < products; start += 5000) {
      const messages: { key: string; value: Buffer; partition: number }[] = [];
      for (let i = start; i < Math.min(products, start + 5000); i++) {
        const productId = `p-${i}`;
        const state: ProductState = {
          productId,
          version,
          sellerId: `seller-${i % 500}`,
          category: `category-${i % 40}`,
          priceCents: 100 + ((i * 7919 + version) % 90_000),
          currency: i % 10 === 0 ? 'EUR' : 'USD',
          quantity: (i + version) % 60,
          status: i % 5 === 0 ? 'inactive' : 'active',
          deleted: i % 50 === version,
          updatedAt: new Date(Date.UTC(2026, 10, 27, 12, 0, 0) + i * 1000 + version).toISOString(),
        };
        const value = encodeProductState(state);
        bytes += value.length;
        messages.push({
          key: productId,
          value,
          partition: partitionForKey('murmur2', Buffer.from(productId), partitions),
        });
      }
      const transaction = await producer.transaction();
      // Stage 1 sends at most 250 records per request.
      for (let i = 0; i < messages.length; i += 250) {
        await transaction.send({ topic, acks: -1, messages: messages.slice(i, i + 250) });
      }
      await transaction.commit();
    }
  }
  await producer.disconnect();
  progress(
    `wrote ${products * versions} records (${Math.round(bytes / (products * versions))} B per value) in ${Math.round(performance.now() - written)} ms`,
  );

  const createConsumer = kafka.consumer.bind(kafka);
  const marks: Record<string, number> = {};
  kafka.consumer = (config: ConsumerConfig): Consumer => {
    const consumer = createConsumer(config);
    const mark = (name: string) => () => {
      marks[name] ??= performance.now();
    };
    consumer.on(consumer.events.CONNECT, mark('connected'));
    consumer.on(consumer.events.GROUP_JOIN, mark('joined'));
    consumer.on(consumer.events.FETCH_START, mark('first fetch'));
    consumer.on(consumer.events.START_BATCH_PROCESS, mark('first batch'));
    return consumer;
  };
  for (let run = 1; run <= runs; run++) {
    for (const key of Object.keys(marks)) delete marks[key];
    const started = performance.now();
    const restored = await restoreGroupStates({
      kafka,
      admin,
      topic,
      groups: Array.from({ length: partitions }, (_, g) => g),
      groupIdPrefix: topic,
      timeoutMs: 600_000,
      logger: silent,
    });
    const ended = performance.now();
    const states = [...restored.values()].reduce((n, r) => n + r.states.size, 0);
    const phases = Object.entries(marks)
      .map(([name, at]) => `${name} +${Math.round(at - started)} ms`)
      .join(', ');
    progress(
      `run ${run}: ${states} products in ${Math.round(ended - started)} ms = ${Math.round(states / ((ended - started) / 1000))} products/s (${phases})`,
    );
  }
} finally {
  await admin.disconnect().catch(() => {});
  await stack.stop();
}
