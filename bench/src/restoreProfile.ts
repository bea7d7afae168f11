/**
 * `pnpm --filter @marketplace/bench exec node --import tsx src/restoreProfile.ts [--products n]
 * [--versions n] [--partitions n] [--runs n] [--threads n] [--format binary|json]`: prepares a
 * changelog on the local stack (every product written `versions` times, in committed transactions
 * like stage 1's, values in the binary format or the older JSON one) and lets a processor take
 * every group `runs` times, restoring on `threads` restore threads (0: on the main thread): the
 * figure 5 measurement on a changelog of a chosen size. Run Node with `--cpu-prof` to profile the
 * restore (the producing phase is in the profile too). A tool to see what limits figure 5.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  encodeProductState,
  encodeProductStateJson,
  type ProductState,
} from '@marketplace/analytics-aggregator';
import { AggregateProcessor, partitionForKey } from '@marketplace/kafka-processor';
import { startLocalStack } from '@marketplace/local-stack';
import { ReducerPool } from '@marketplace/worker-pool';
import { Kafka, logLevel } from 'kafkajs';
import { progress } from './report.js';

const { values } = parseArgs({
  options: {
    products: { type: 'string', default: '100000' },
    versions: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '6' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '0' },
    format: { type: 'string', default: 'binary' },
  },
});
const products = Number(values.products);
const versions = Number(values.versions);
const partitions = Number(values.partitions);
const runs = Number(values.runs);
const threads = Number(values.threads);
const encode = values.format === 'json' ? encodeProductStateJson : encodeProductState;

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
        const value = encode(state);
        bytes += value.length;
        messages.push({
          key: productId,
          value,
          partition: partitionForKey('murmur2', Buffer.from(productId), partitions),
        });
      }
      const transaction = await producer.transaction();
      // Requests of the size stage 1 sends (MAX_RECORDS_PER_SEND).
      for (let i = 0; i < messages.length; i += 5_000) {
        await transaction.send({ topic, acks: -1, messages: messages.slice(i, i + 5_000) });
      }
      await transaction.commit();
    }
  }
  await producer.disconnect();
  progress(
    `wrote ${products * versions} records (${Math.round(bytes / (products * versions))} B per value) in ${Math.round(performance.now() - written)} ms`,
  );

  // What figure 5 measures: a processor taking every group (producers fenced, changelog restored,
  // committed offsets read), reported by its onRestore hook.
  const inputs = { created: `${topic}.created`, updated: `${topic}.updated`, deleted: `${topic}.deleted` };
  await admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(inputs).map((t) => ({ topic: t, numPartitions: partitions })),
  });
  const pool = new ReducerPool({ inline: true });
  for (let run = 1; run <= runs; run++) {
    let restored: { states: number; records: number; durationMs: number } | undefined;
    const processor = new AggregateProcessor({
      kafka,
      applicationId: `${topic}-run${run}`,
      topics: inputs,
      internalTopics: {
        productState: topic,
        metricChanges: `${topic}.changes`,
        deadLetter: `${topic}.dlq`,
        lowStockAlerts: `${topic}.lowstock`,
        reroute: `${topic}.reroute`,
      },
      pool,
      metrics: { onRestore: (r) => (restored = r) },
      ...(threads > 0
        ? {
            restoreThreads: {
              threads,
              minRecordsPerThread: 1,
              kafkaConfig: { clientId: 'restore-profile', brokers: stack.kafka!.brokers },
            },
          }
        : {}),
    });
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    await processor.start();
    for (const deadline = Date.now() + 600_000; restored === undefined && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const busy = performance.eventLoopUtilization(elu).utilization;
    const used = process.cpuUsage(cpu);
    await processor.stop();
    const r = restored!;
    progress(
      `run ${run}: ${r.states} products (${r.records} records) in ${Math.round(r.durationMs)} ms = ${Math.round(r.states / (r.durationMs / 1000))} products/s on ${threads === 0 ? 'the main thread' : `${threads} restore threads`}; main thread busy ${Math.round(busy * 100)} % (event-loop utilisation from start() to restored), process CPU ${Math.round((used.user + used.system) / 1000)} ms`,
    );
  }
  await pool.destroy();
} finally {
  await admin.disconnect().catch(() => {});
  await stack.stop();
}
