import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  decodeMetricChange,
  foldMetricChanges,
  type MetricChange,
  type MetricChangeRecord,
  type MetricsSnapshot,
} from '@marketplace/analytics-aggregator';
import { DynamoDbMetricsSink, ensureMetricsTable } from '@marketplace/dynamodb-sink';
import {
  AggregateProcessor,
  AggregateStreamThreads,
  MetricChangeConsumer,
  partitionForKey,
  writeInOrder,
} from '@marketplace/kafka-processor';
import { type LocalStack, startLocalStack } from '@marketplace/local-stack';
import { DEFAULT_CURRENCY_MIX, generateMarketplaceStream } from '@marketplace/product-events';
import { S3MetricsArchive } from '@marketplace/s3-sink';
import { ReducerPool } from '@marketplace/worker-pool';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { buildMavenProject } from './buildMavenProject.js';
import { dynamoItemBytes, topicLogBytes } from './capacityFigures.js';
import { compareSnapshots } from './compareSnapshots.js';
import { findJava, type JavaRuntime } from './findJava.js';
import { type Figure, progress, type ReferenceRun } from './report.js';
import { type JvmRun, runJvmReference } from './runJvmReference.js';
import { sweptFigure } from './sweptFigure.js';

const here = dirname(fileURLToPath(import.meta.url));
const KSTREAMS_DIR = join(here, '..', 'kstreams-reference');
const FLINK_DIR = join(here, '..', 'flink-reference');

/**
 * Figure 7's sweep (issue 13): Kafka Streams under exactly_once_v2 with 1 and 2 stream threads,
 * 100 ms (its EOS default) and 1 s commits, 10 MiB (default) and 100 MiB record caches, on RocksDB
 * stores; plus the fastest of those on in-memory stores. The best configuration with identical
 * final metrics is the reference.
 */
const KSTREAMS_CONFIGURATIONS: readonly KStreamsConfiguration[] = [
  ...[1, 2].flatMap((threads) =>
    [100, 1000].flatMap((commitIntervalMs) =>
      [10, 100].map((mib) => ({ threads, commitIntervalMs, cacheMaxBytes: mib * 2 ** 20, inMemory: 0 })),
    ),
  ),
  { threads: 2, commitIntervalMs: 1000, cacheMaxBytes: 100 * 2 ** 20, inMemory: 1 },
];

/** One Kafka Streams configuration of figure 7 (`inMemory`: 1 for in-memory stores, 0 for RocksDB). */
type KStreamsConfiguration = {
  threads: number;
  commitIntervalMs: number;
  cacheMaxBytes: number;
  inMemory: number;
};

/** Figure 8's sweep: every Flink configuration run on the input; the best identical one is reported. */
const FLINK_CONFIGURATIONS: readonly { parallelism: number; checkpointIntervalMs: number }[] = [
  { parallelism: 1, checkpointIntervalMs: 1000 },
  { parallelism: 1, checkpointIntervalMs: 5000 },
  { parallelism: 2, checkpointIntervalMs: 1000 },
  { parallelism: 2, checkpointIntervalMs: 5000 },
];

interface StackBenchOptions {
  events: number;
  partitions: number;
  only: ReadonlySet<string>;
}

interface Topics {
  created: string;
  updated: string;
  deleted: string;
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, bigint>> {
  const ends = new Map<string, bigint>();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
  }
  return ends;
}

/** True when the group's committed offsets reached `ends` on every partition. */
async function groupCaughtUp(admin: Admin, groupId: string, ends: Map<string, bigint>): Promise<boolean> {
  const topics = [...new Set([...ends.keys()].map((k) => k.slice(0, k.lastIndexOf('/'))))];
  const committed = await admin.fetchOffsets({ groupId, topics });
  for (const t of committed) {
    for (const p of t.partitions) {
      const end = ends.get(`${t.topic}/${p.partition}`) ?? 0n;
      const at = p.offset === '-1' ? 0n : BigInt(p.offset);
      if (at < end) return false;
    }
  }
  return true;
}

/**
 * True when the Kafka Streams application `appId` has committed, on each of its repartition
 * topics, everything written to them: its offset is at least the end offset minus one, since
 * under exactly_once_v2 every repartition partition ends with a transaction marker that a
 * committed position need not pass (the data record before it is consumed).
 */
async function repartitionCaughtUp(admin: Admin, appId: string): Promise<boolean> {
  const topics = (await admin.listTopics()).filter(
    (t) => t.startsWith(`${appId}-`) && t.endsWith('-repartition'),
  );
  if (topics.length === 0) return false;
  const committed = await admin.fetchOffsets({ groupId: appId, topics });
  for (const t of committed) {
    const ends = await admin.fetchTopicOffsets(t.topic);
    for (const p of t.partitions) {
      const end = BigInt(ends.find((e) => e.partition === p.partition)?.high ?? '0');
      const at = p.offset === '-1' ? 0n : BigInt(p.offset);
      if (end > 0n && at < end - 1n) return false;
    }
  }
  return true;
}

/**
 * Produces the bench stream keyed by productId. With `misrouteOver`, every record is written to
 * the partition after its murmur2 owner's (of `misrouteOver` partitions): input whose records are
 * all misrouted, as from a producer whose partitioner never agrees with stage 1's.
 */
async function produceStream(
  kafka: Kafka,
  topics: Topics,
  events: number,
  seed: number,
  misrouteOver?: number,
): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let sent = 0;
  const byTopic = new Map<
    string,
    { key: string; value: Buffer; headers: Record<string, string>; partition?: number }[]
  >();
  const flush = async (): Promise<void> => {
    const pending = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    byTopic.clear();
    if (pending.length > 0) await producer.sendBatch({ topicMessages: pending, acks: 1 });
  };
  let buffered = 0;
  for (const m of generateMarketplaceStream({
    seed,
    events,
    products: Math.max(1000, Math.floor(events / 10)),
    sellers: 500,
    categories: 40,
    duplicateRate: 0.02,
    reorder: true,
    // Figures 3 and 7 run on a multi-currency stream (money kept per currency end to end).
    currencyMix: DEFAULT_CURRENCY_MIX,
    topics,
  })) {
    let list = byTopic.get(m.topic);
    if (!list) {
      list = [];
      byTopic.set(m.topic, list);
    }
    const partition =
      misrouteOver === undefined
        ? undefined
        : (partitionForKey('murmur2', Buffer.from(m.key), misrouteOver) + 1) % misrouteOver;
    list.push({ key: m.key, value: m.value, headers: m.headers, partition });
    sent++;
    if (++buffered >= 5_000) {
      await flush();
      buffered = 0;
      if (sent % 200_000 < 5_000) progress(`produced ${sent} messages`);
    }
  }
  await flush();
  await producer.disconnect();
  return sent;
}

/**
 * Reads a transactional topic (read_committed) up to the end offsets taken when called, handing
 * each record to `onRecord`. Every partition written by transactions ends with a commit marker, so
 * a partition is done when the last data message seen is within 2 of its end offset; a partition
 * that stops moving for 5 s is treated as done too (aborted data at its tail).
 */
async function scanTopic(
  kafka: Kafka,
  topic: string,
  onRecord: (key: Buffer | null, value: Buffer, source: MetricChangeRecord['source']) => void,
  onTombstone?: (key: Buffer | null) => void,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await endOffsets(admin, [topic]);
  await admin.disconnect();
  const pending = [...ends].filter(([, end]) => end > 0n);
  if (pending.length === 0) return;
  const consumer = kafka.consumer({
    groupId: `bench-read-${process.pid}-${Date.now()}`,
    readUncommitted: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const lastSeen = new Map<number, bigint>();
  let seen = 0;
  let lastProgress = Date.now();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        if (m.value) {
          seen++;
          onRecord(m.key, m.value, { topic, partition: batch.partition, offset: m.offset });
        } else if (onTombstone) {
          seen++;
          onTombstone(m.key);
        }
        lastSeen.set(batch.partition, BigInt(m.offset));
      }
      lastProgress = Date.now();
    },
  });
  await waitFor(
    `reading ${topic}`,
    async () =>
      pending.every(
        ([key, end]) => (lastSeen.get(Number(key.slice(key.lastIndexOf('/') + 1))) ?? -10n) + 2n >= end,
      ) ||
      (seen > 0 && Date.now() - lastProgress > 5000),
    600_000,
  );
  await consumer.disconnect();
}

/** Reads a transactional topic to its end (see {@link scanTopic}) and returns its records. */
async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
): Promise<{ key: string; value: Buffer; source: MetricChangeRecord['source'] }[]> {
  const out: { key: string; value: Buffer; source: MetricChangeRecord['source'] }[] = [];
  await scanTopic(kafka, topic, (key, value, source) => {
    out.push({ key: key?.toString() ?? '', value, source });
  });
  return out;
}

/**
 * The final rows of an upsert topic (JSON values by key; a tombstone deletes its key), read
 * read_committed to its end (see {@link scanTopic}).
 */
async function readUpsertTopic(kafka: Kafka, topic: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = new Map<string, Record<string, unknown>>();
  await scanTopic(
    kafka,
    topic,
    (key, value) => rows.set(key?.toString() ?? '', JSON.parse(value.toString())),
    (key) => rows.delete(key?.toString() ?? ''),
  );
  return rows;
}

/** Records of a topic and their key + value bytes, without keeping them (see {@link scanTopic}). */
async function measureTopic(kafka: Kafka, topic: string): Promise<{ records: number; bytes: number }> {
  let records = 0;
  let bytes = 0;
  await scanTopic(kafka, topic, (key, value) => {
    records++;
    bytes += (key?.length ?? 0) + value.length;
  });
  return { records, bytes };
}

function snapshotFromTopic(records: { value: Buffer }[]): MetricsSnapshot {
  const changes: MetricChange[] = records.map((r) => decodeMetricChange(r.value));
  return foldMetricChanges(changes);
}

/** Runs the Kafka Streams reference until its group committed `ends`; times start-up and work apart. */
async function runKStreams(
  java: JavaRuntime,
  classpath: string,
  brokers: string,
  topics: Topics,
  out: { seller: string; category: string },
  ends: Map<string, bigint>,
  admin: Admin,
  config: KStreamsConfiguration,
): Promise<JvmRun> {
  const stateDir = mkdtempSync(join(tmpdir(), 'kstreams-bench-'));
  const appId = `bench-kstreams-${Date.now()}`;
  try {
    return await runJvmReference({
      java,
      classpath,
      mainClass: 'marketplace.bench.KStreamsReference',
      args: [
        brokers,
        appId,
        topics.created,
        topics.updated,
        topics.deleted,
        out.seller,
        out.category,
        stateDir,
        String(config.threads),
        String(config.commitIntervalMs),
        String(config.cacheMaxBytes),
        config.inMemory ? 'in-memory' : 'rocksdb',
      ],
      isRunning: (line) => line.includes('"RUNNING"'),
      done: ({ exited }) =>
        Promise.race([
          (async () => {
            await waitFor(
              'Kafka Streams to consume the input',
              () => groupCaughtUp(admin, appId, ends),
              1_800_000,
              500,
            );
            // Its last commit: the aggregations read the repartition topics, and their output is
            // committed with those offsets; the input offsets alone are committed earlier.
            await waitFor(
              'Kafka Streams to consume its repartition topics',
              () => repartitionCaughtUp(admin, appId),
              1_800_000,
              500,
            );
          })(),
          exited.then((code) => {
            throw new Error(`bench: Kafka Streams exited with ${code} before consuming the input`);
          }),
        ]),
    });
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/**
 * Runs the Flink SQL reference once: bounded at the input's end offsets, it finishes after its
 * final checkpoint committed its output transactions.
 */
async function runFlink(
  java: JavaRuntime,
  classpath: string,
  brokers: string,
  topics: Topics,
  out: { seller: string; category: string },
  config: { parallelism: number; checkpointIntervalMs: number },
  name: string,
): Promise<JvmRun> {
  // Flink unpacks jars (RPC, planner) and blobs into java.io.tmpdir and leaves some behind: a
  // directory of its own, removed after the run.
  const tmp = mkdtempSync(join(tmpdir(), 'flink-bench-'));
  try {
    return await runFlinkIn(tmp, java, classpath, brokers, topics, out, config, name);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function runFlinkIn(
  tmp: string,
  java: JavaRuntime,
  classpath: string,
  brokers: string,
  topics: Topics,
  out: { seller: string; category: string },
  config: { parallelism: number; checkpointIntervalMs: number },
  name: string,
): Promise<JvmRun> {
  return runJvmReference({
    java,
    classpath,
    // Heap state of 100k products and Flink's network buffers fit in 1 GB.
    heap: '1g',
    jvmFlags: [`-Djava.io.tmpdir=${tmp}`],
    mainClass: 'marketplace.bench.FlinkReference',
    args: [
      brokers,
      name,
      topics.created,
      topics.updated,
      topics.deleted,
      out.seller,
      out.category,
      String(config.parallelism),
      String(config.checkpointIntervalMs),
      name,
    ],
    isRunning: (line) => line.includes('"RUNNING"'),
    done: async ({ exited, nextLine }) => {
      const line = await Promise.race([
        nextLine((l) => l.includes('"FINISHED"') || l.includes('"FAILED"')),
        exited.then((code) => `{"state":"FAILED","detail":"exited with ${code}"}`),
      ]);
      if (!line.includes('"FINISHED"')) throw new Error(`bench: Flink job failed: ${line}`);
    },
  });
}

/**
 * Stage 1 on `topics` from the beginning until it has applied `produced` input records and, when
 * `rerouted`, as many reroute-topic records (each misrouted record is processed twice: forwarded
 * by the group it arrived at, applied by its owner). Returns wall ms and transactions.
 */
async function runStage1(
  kafka: Kafka,
  pool: ReducerPool,
  applicationId: string,
  topics: Topics,
  internal: Record<'productState' | 'metricChanges' | 'deadLetter' | 'lowStockAlerts' | 'reroute', string>,
  produced: number,
  rerouted: boolean,
  streamThreads: { threads: number; brokers: string[] } | undefined,
): Promise<{ ms: number; transactions: number; forwarded: number; mainThreadElu: number }> {
  let processed = 0;
  let transactions = 0;
  let forwarded = 0;
  const metrics = {
    onBatch: (b: { messages: number }) => {
      processed += b.messages;
      transactions++;
    },
    onRerouted: (r: { records: number }) => {
      forwarded += r.records;
    },
  };
  // Stream threads (the service's default): each thread a member of the group with its own
  // client, producers and states. Without: one AggregateProcessor on this thread, reducing on the pool.
  const processor = streamThreads
    ? new AggregateStreamThreads({
        threads: streamThreads.threads,
        kafka: { clientId: applicationId, brokers: streamThreads.brokers, logLevel: logLevel.NOTHING },
        processor: { applicationId, topics, internalTopics: internal },
        metrics,
      })
    : new AggregateProcessor({ kafka, applicationId, topics, internalTopics: internal, pool, metrics });
  const target = rerouted ? 2 * produced : produced;
  const started = performance.now();
  // The main thread's event-loop utilisation over the run: stage 1's own work on it (kafkajs,
  // state, transactions) plus this loop's 50 ms polls, which are negligible.
  const eluStart = performance.eventLoopUtilization();
  await processor.start();
  let lastReport = 0;
  await waitFor(
    'stage 1',
    async () => {
      if (processed - lastReport >= 200_000) {
        lastReport = processed;
        progress(`stage 1 processed ${processed}/${target}`);
      }
      return processed >= target;
    },
    1_800_000,
    50,
  );
  const ms = performance.now() - started;
  const mainThreadElu = performance.eventLoopUtilization(eluStart).utilization;
  await processor.stop();
  return { ms, transactions, forwarded, mainThreadElu };
}

/**
 * Figures 3, 4, 5, 7, 8 and 9: stage 1 on the local broker, the sink, the restore, Kafka Streams,
 * Flink, stage 1 on misrouted input.
 */
export async function benchStack(options: StackBenchOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  progress('starting the local stack (Kafka, dynalite, S3Proxy)');
  const stack: LocalStack = await startLocalStack({ onProgress: (m) => progress(`local stack: ${m}`) });
  const brokers = stack.kafka!.brokers;
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const pool = new ReducerPool();
  try {
    const run = `bench${Date.now()}`;
    const topics: Topics = {
      created: `${run}.product.created`,
      updated: `${run}.product.updated`,
      deleted: `${run}.product.deleted`,
    };
    const internal = {
      productState: `${run}.analytics.product-state`,
      metricChanges: `${run}.analytics.metric-changes`,
      deadLetter: `${run}.analytics.dead-letter`,
      lowStockAlerts: `${run}.inventory.low-stock`,
      reroute: `${run}.analytics.reroute`,
    };
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(topics).map((topic) => ({
        topic,
        numPartitions: options.partitions,
        replicationFactor: 1,
      })),
    });
    progress(`producing ${options.events} events to 3 topics x ${options.partitions} partitions`);
    const produced = await produceStream(kafka, topics, options.events, 3);
    const ends = await endOffsets(admin, Object.values(topics));

    // Reference: a raw kafkajs consumer group doing no work, same topics, same run; run once
    // before stage 1 and, with figure 3, once after it, and the faster run is the reference (the
    // same consumer moved by a fifth between runs on this machine: the stricter reference).
    const rawConsumerMs = async (label: string): Promise<number> => {
      progress(`figure 3: raw kafkajs consumer (eachBatch, no work), ${label}`);
      const raw = kafka.consumer({ groupId: `${run}-raw-${label}`, readUncommitted: false });
      let rawSeen = 0;
      const rawStart = performance.now();
      await raw.connect();
      for (const topic of Object.values(topics)) await raw.subscribe({ topic, fromBeginning: true });
      await raw.run({
        partitionsConsumedConcurrently: options.partitions,
        eachBatch: async ({ batch }) => {
          rawSeen += batch.messages.length;
        },
      });
      await waitFor('raw consumer', async () => rawSeen >= produced, 1_800_000, 50);
      const ms = performance.now() - rawStart;
      await raw.disconnect();
      return ms;
    };
    const rawBeforeMs = await rawConsumerMs('before stage 1');

    const threads = availableParallelism();
    progress(`figure 3: stage 1 on ${threads} stream threads (AggregateStreamThreads)`);
    const appId = `${run}-app`;
    const streamThreads = { threads, brokers };
    const normal = await runStage1(kafka, pool, appId, topics, internal, produced, false, streamThreads);
    const { transactions } = normal;
    const oursMs = normal.ms;
    const oursRate = produced / (oursMs / 1000);
    const rawAfterMs = options.only.has('3') ? await rawConsumerMs('after stage 1') : rawBeforeMs;
    const rawMs = Math.min(rawBeforeMs, rawAfterMs);
    const rawRates = [rawBeforeMs, rawAfterMs].map((ms) => Math.round(produced / (ms / 1000)));
    const rawRate = produced / (rawMs / 1000);
    if (options.only.has('3')) {
      figures.push({
        id: '3',
        name: `stage 1 end to end (${produced} events, ${options.partitions} partitions, committed transactions)`,
        value: oursRate,
        unit: 'events/s',
        reference: { name: 'raw kafkajs consumer, no work', value: rawRate, unit: 'events/s' },
        ratio: oursRate / rawRate,
        target: '>= 50%',
        met: oursRate / rawRate >= 0.5,
        note: `${threads} stream threads; ${transactions} transactions; raw consumer ${rawRates[0]} events/s before stage 1 and ${rawRates[1]} after (the faster is the reference); broker and Node share the machine's cores`,
      });
      figures.push({
        id: '3e',
        name: 'main-thread event-loop utilisation during figure 3 (performance.eventLoopUtilization)',
        value: normal.mainThreadElu * 100,
        unit: '%',
        target: '<= 35%',
        met: normal.mainThreadElu <= 0.35,
        note: `at ${Math.round(oursRate)} events/s on ${threads} stream threads: the share of the run the main thread was busy (what is left on it: orchestration and the threads' messages); above the target, more cores cannot raise figure 3`,
      });
      // Before the stream threads: one AggregateProcessor on the main thread, reducing on the
      // pool (the same input, a fresh consumer group and fresh output topics).
      progress('figure 3s: stage 1 on the main thread (AggregateProcessor, worker pool)');
      const singleInternal = Object.fromEntries(
        Object.entries(internal).map(([k, v]) => [k, v.replace(`${run}.`, `${run}.single.`)]),
      ) as typeof internal;
      const single = await runStage1(
        kafka,
        pool,
        `${run}-single`,
        topics,
        singleInternal,
        produced,
        false,
        undefined,
      );
      const singleRate = produced / (single.ms / 1000);
      figures.push({
        id: '3s',
        name: 'stage 1 on the main thread (one AggregateProcessor, reducing on the worker pool), same input',
        value: singleRate,
        unit: 'events/s',
        reference: { name: 'raw kafkajs consumer, no work', value: rawRate, unit: 'events/s' },
        ratio: singleRate / rawRate,
        target: 'reported',
        met: null,
        note: `main-thread event-loop utilisation ${(single.mainThreadElu * 100).toFixed(1)} %; figure 3 on stream threads is ${(oursRate / singleRate).toFixed(2)}x this`,
      });
    }

    let restored: { states: number; records: number; durationMs: number } | undefined;
    if (options.only.has('5')) {
      progress('figure 5: restore from the changelog');
      const again = new AggregateProcessor({
        kafka,
        applicationId: appId,
        topics,
        internalTopics: internal,
        pool,
        metrics: {
          onRestore: (r) => {
            restored = {
              states: (restored?.states ?? 0) + r.states,
              records: (restored?.records ?? 0) + r.records,
              durationMs: (restored?.durationMs ?? 0) + r.durationMs,
            };
          },
        },
      });
      await again.start();
      await waitFor('restore', async () => restored !== undefined && again.ready, 600_000, 50);
      await again.stop();
      figures.push({
        id: '5',
        name: 'restore from analytics.product-state',
        value: restored!.states / (restored!.durationMs / 1000),
        unit: 'products/s',
        target: '>= 250000 products/s',
        met: restored!.states / (restored!.durationMs / 1000) >= 250_000,
        note: `${restored!.states} products restored in ${(restored!.durationMs / 1000).toFixed(2)} s (all groups, one member, restore on the main thread; producers fenced and committed offsets read included; ${restored!.records} changelog records read)`,
      });
    }

    if (options.only.has('9')) {
      // The same stream, every record on a partition its key's owner is not: each one is
      // forwarded through the reroute topic and applied by its owner.
      const miss: Topics = {
        created: `${run}.misrouted.product.created`,
        updated: `${run}.misrouted.product.updated`,
        deleted: `${run}.misrouted.product.deleted`,
      };
      const missInternal = {
        productState: `${run}.misrouted.analytics.product-state`,
        metricChanges: `${run}.misrouted.analytics.metric-changes`,
        deadLetter: `${run}.misrouted.analytics.dead-letter`,
        lowStockAlerts: `${run}.misrouted.inventory.low-stock`,
        reroute: `${run}.misrouted.analytics.reroute`,
      };
      await admin.createTopics({
        waitForLeaders: true,
        topics: Object.values(miss).map((topic) => ({
          topic,
          numPartitions: options.partitions,
          replicationFactor: 1,
        })),
      });
      progress(`figure 9: producing the same ${options.events} events, every record misrouted`);
      const missProduced = await produceStream(kafka, miss, options.events, 3, options.partitions);
      progress('figure 9: stage 1 on all-misrouted input');
      const detour = await runStage1(
        kafka,
        pool,
        `${run}-misrouted`,
        miss,
        missInternal,
        missProduced,
        true,
        streamThreads,
      );
      const detourRate = missProduced / (detour.ms / 1000);
      const normalRate = produced / (oursMs / 1000);
      figures.push({
        id: '9',
        name: `stage 1 on all-misrouted input (${missProduced} events, ${options.partitions} partitions)`,
        value: detourRate,
        unit: 'events/s',
        reference: {
          name: 'stage 1 on correctly routed input (figure 3)',
          value: normalRate,
          unit: 'events/s',
        },
        ratio: detourRate / normalRate,
        target: '>= 50%',
        met: detourRate / normalRate >= 0.5,
        note: `${detour.forwarded} records forwarded through the reroute topic and applied by their owners; ${detour.transactions} transactions`,
      });
    }

    const changeRecords = await readTopicToEnd(kafka, internal.metricChanges);
    const ours = snapshotFromTopic(changeRecords);

    if (options.only.has('8')) {
      progress('figure 8: sizes of the changelog and metric-change records');
      const changelog = await measureTopic(kafka, internal.productState);
      const changelogDisk = topicLogBytes(stack.dir, internal.productState);
      const changeBytes = changeRecords.reduce(
        (sum, r) => sum + Buffer.byteLength(r.key) + r.value.length,
        0,
      );
      const changesDisk = topicLogBytes(stack.dir, internal.metricChanges);
      figures.push(
        {
          id: '8a',
          name: 'product-state changelog bytes per record on the broker disk',
          value: changelogDisk / Math.max(1, changelog.records),
          unit: 'B',
          reference: {
            name: 'key + value bytes per record',
            value: changelog.bytes / Math.max(1, changelog.records),
            unit: 'B',
          },
          target: 'reported',
          met: null,
          note: `${changelog.records} records, ${changelogDisk} bytes of log segments (uncompressed, batch headers and transaction markers included, not compacted yet)`,
        },
        {
          id: '8b',
          name: 'product-state changelog records per 1000 input events',
          value: (changelog.records / produced) * 1000,
          unit: 'records',
          target: 'reported',
          met: null,
          note: 'changed product states after coalescing within each stage-1 batch',
        },
        {
          id: '8c',
          name: 'metric-changes bytes per record on the broker disk',
          value: changesDisk / Math.max(1, changeRecords.length),
          unit: 'B',
          reference: {
            name: 'key + value bytes per record',
            value: changeBytes / Math.max(1, changeRecords.length),
            unit: 'B',
          },
          target: 'reported',
          met: null,
          note: `${changeRecords.length} records, ${changesDisk} bytes of log segments`,
        },
      );
      if (restored) {
        figures.push({
          id: '8d',
          name: 'restore rate in changelog records read',
          value: changelog.records / (restored.durationMs / 1000),
          unit: 'records/s',
          reference: {
            name: 'changelog records per product',
            value: changelog.records / restored.states,
            unit: 'records',
          },
          target: 'reported',
          met: null,
          note: `figure 5 read ${changelog.records} records (nothing compacted yet) for ${restored.states} products`,
        });
      }
    }

    const java = options.only.has('7') || options.only.has('8') ? findJava() : undefined;
    if (java) progress(`figures 7 and 8: the JVM references run on ${java.version} (${java.source})`);
    const jvmNote = java ? `JVM: ${java.version}, chosen from ${java.source}` : '';

    /** Runs each configuration of a reference on fresh output topics and compares its final metrics. */
    const sweep = async <C extends Record<string, number>>(
      figure: string,
      peer: string,
      configs: readonly C[],
      settingsOf: (config: C) => ReferenceRun['settings'],
      runOne: (config: C, out: { seller: string; category: string }, tag: string) => Promise<JvmRun>,
    ): Promise<ReferenceRun[]> => {
      const runs: ReferenceRun[] = [];
      for (const config of configs) {
        const tag = Object.entries(config)
          .map(([k, v]) => `${k}${v}`)
          .join('-');
        const out = { seller: `${run}.${peer}-${tag}.sellers`, category: `${run}.${peer}-${tag}.categories` };
        await admin.createTopics({
          waitForLeaders: true,
          topics: [out.seller, out.category].map((topic) => ({
            topic,
            numPartitions: options.partitions,
            replicationFactor: 1,
          })),
        });
        progress(`figure ${figure}: ${peer} ${tag}`);
        const settings = settingsOf(config);
        try {
          const done = await runOne(config, out, tag);
          const sellers = await readUpsertTopic(kafka, out.seller);
          const categories = await readUpsertTopic(kafka, out.category);
          const diffs = compareSnapshots(peer, ours, { sellers, categories });
          runs.push({
            settings,
            rate: produced / (done.runMs / 1000),
            startupS: done.startupMs / 1000,
            runS: done.runMs / 1000,
            identical: diffs.length === 0,
            problems: diffs.slice(0, 5),
          });
        } catch (error) {
          runs.push({
            settings,
            rate: 0,
            startupS: 0,
            runS: 0,
            identical: false,
            problems: [error instanceof Error ? error.message : String(error)],
          });
        }
        const last = runs[runs.length - 1]!;
        progress(
          `figure ${figure}: ${peer} ${tag}: ${Math.round(last.rate)} events/s, start-up ${last.startupS.toFixed(1)} s, ${last.identical ? 'identical metrics' : `FAILED: ${last.problems[0] ?? ''}`}`,
        );
      }
      return runs;
    };

    if (options.only.has('7') && java) {
      const classpath = buildMavenProject(KSTREAMS_DIR, 'figure 7: Kafka Streams reference');
      const runs = await sweep(
        '7',
        'kstreams',
        KSTREAMS_CONFIGURATIONS,
        (c) => ({
          threads: c.threads,
          commitIntervalMs: c.commitIntervalMs,
          cacheMaxBytes: c.cacheMaxBytes,
          processingGuarantee: 'exactly_once_v2',
          stores: c.inMemory ? 'in-memory' : 'RocksDB',
        }),
        (c, out) => runKStreams(java, classpath, brokers.join(','), topics, out, ends, admin, c),
      );
      figures.push(
        sweptFigure({
          id: '7',
          name: `stage 1 vs Kafka Streams exactly_once_v2, best of ${runs.length} configurations (same input)`,
          referenceName: (best) =>
            `Kafka Streams, ${best.settings['threads']} thread(s), commits ${best.settings['commitIntervalMs']} ms, cache ${Number(best.settings['cacheMaxBytes']) / 2 ** 20} MiB, ${best.settings['stores']} stores, start-up excluded`,
          oursRate,
          runs,
          minRatio: 2,
          describe: (r) =>
            `${r.settings['threads']}t/${r.settings['commitIntervalMs']} ms/${Number(r.settings['cacheMaxBytes']) / 2 ** 20} MiB/${r.settings['stores']}`,
          context: `final metrics of ${ours.sellers.size} sellers and ${ours.categories.size} categories compared; start-up: process start to state RUNNING; ${jvmNote}`,
        }),
      );
    }

    if (options.only.has('8') && java) {
      const classpath = buildMavenProject(FLINK_DIR, 'figure 8: Flink SQL reference');
      const runs = await sweep(
        '8',
        'flink',
        FLINK_CONFIGURATIONS,
        (c) => ({ ...c, checkpointingMode: 'EXACTLY_ONCE', stateBackend: 'hashmap' }),
        (c, out, tag) => runFlink(java, classpath, brokers.join(','), topics, out, c, `${run}-flink-${tag}`),
      );
      figures.push(
        sweptFigure({
          id: '8',
          name: `stage 1 vs Flink SQL, exactly-once checkpoints, best of ${runs.length} configurations (same input)`,
          referenceName: (best) =>
            `Flink SQL, parallelism ${best.settings['parallelism']}, checkpoints every ${best.settings['checkpointIntervalMs']} ms, start-up excluded`,
          oursRate,
          runs,
          minRatio: 2,
          describe: (r) => `p${r.settings['parallelism']}/${r.settings['checkpointIntervalMs']} ms`,
          context: `final metrics of ${ours.sellers.size} sellers and ${ours.categories.size} categories compared; start-up: process start to job RUNNING (JVM, SQL planning, mini-cluster, submission), while the rate includes task deployment and the wait for the final checkpoint; ${jvmNote}`,
        }),
      );
    }

    if (options.only.has('4')) {
      progress('figure 4: sink (DynamoDB + S3) on the metric changes');
      const dynamo = new DynamoDBClient({
        endpoint: stack.dynamodb!.endpoint,
        region: stack.region,
        credentials: stack.credentials,
        maxAttempts: 1,
      });
      const s3 = new S3Client({
        endpoint: stack.s3!.endpoint,
        region: stack.region,
        credentials: stack.credentials,
        forcePathStyle: true,
        maxAttempts: 1,
      });
      const tableName = `${run}-metrics`;
      const bucket = `${run}-archive`.toLowerCase();
      await ensureMetricsTable(dynamo, { tableName });
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const sink = new DynamoDbMetricsSink({ client: dynamo, tableName });
      const archive = new S3MetricsArchive({ client: s3, bucket });
      let requests = 0,
        rowsWritten = 0,
        objects = 0,
        bytes = 0,
        records = 0;
      const consumer = new MetricChangeConsumer({
        kafka,
        groupId: `${run}-sink`,
        topic: internal.metricChanges,
        // The service's stage 2: DynamoDB, then the archive, then the commit.
        handleBatch: writeInOrder(
          [
            {
              name: 'dynamodb',
              writer: {
                write: async (batch) => {
                  const w = await sink.write(batch);
                  requests += w.requests;
                  rowsWritten += w.rowsWritten;
                },
              },
            },
            {
              name: 's3',
              writer: {
                write: async (batch) => {
                  const a = await archive.write(batch);
                  objects += a.objects;
                  bytes += a.bytes;
                },
              },
            },
          ],
          {
            onBatch: (info) => {
              if (info.ok) records += info.records;
            },
          },
        ),
      });
      const sinkStart = performance.now();
      await consumer.start();
      let last = 0;
      await waitFor(
        'sink',
        async () => {
          if (records - last >= 100_000) {
            last = records;
            progress(`sink consumed ${records}/${changeRecords.length} metric changes`);
          }
          return records >= changeRecords.length;
        },
        3_600_000,
        100,
      );
      const sinkMs = performance.now() - sinkStart;
      await consumer.stop();
      progress('figure 4: sizes of the DynamoDB items');
      let items = 0,
        itemBytes = 0,
        maxItemBytes = 0,
        currentItems = 0,
        historyItems = 0;
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await dynamo.send(
          new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }),
        );
        for (const item of page.Items ?? []) {
          const size = dynamoItemBytes(item);
          items++;
          itemBytes += size;
          maxItemBytes = Math.max(maxItemBytes, size);
          const sk = item['sk']?.S ?? '';
          if (sk.startsWith('CUR#')) currentItems++;
          else if (sk.startsWith('H#')) historyItems++;
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      const perK = (n: number): number => (n / produced) * 1000;
      figures.push({
        id: '4a',
        name: 'DynamoDB write requests per 1000 input events',
        value: perK(requests),
        unit: 'requests',
        reference: {
          name: 'metric-change records per 1000 events (rows changed before coalescing)',
          value: perK(records),
          unit: 'records',
        },
        ratio: requests / Math.max(1, records),
        target: '<= rows changed',
        met: requests <= records,
        note: `${rowsWritten} rows written by ${requests} conditional requests in ${(sinkMs / 1000).toFixed(1)} s (dynalite)`,
      });
      figures.push({
        id: '4b',
        name: 'S3 archive per 1000 input events',
        value: perK(objects),
        unit: 'objects',
        reference: { name: 'bytes per 1000 events', value: perK(bytes), unit: 'B' },
        target: 'reported',
        met: null,
        note: `${objects} objects, ${bytes} bytes gzip JSON Lines`,
      });
      figures.push({
        id: '4c',
        name: 'stage 2 sink rate (DynamoDB + S3, one consumer)',
        value: records / (sinkMs / 1000),
        unit: 'metric changes/s',
        reference: {
          name: 'DynamoDB write requests/s',
          value: requests / (sinkMs / 1000),
          unit: 'requests/s',
        },
        target: 'reported',
        met: null,
        note: `${records} metric changes in ${(sinkMs / 1000).toFixed(1)} s against dynalite and S3Proxy on the same cores (a lower bound for DynamoDB and S3)`,
      });
      figures.push({
        id: '4d',
        name: 'DynamoDB item size (mean)',
        value: itemBytes / Math.max(1, items),
        unit: 'B',
        reference: { name: 'largest item', value: maxItemBytes, unit: 'B' },
        target: 'reported',
        met: null,
        note: `${items} items: ${currentItems} current (CUR#G<g>), ${historyItems} hourly history, ${items - currentItems - historyItems} low-stock`,
      });
      dynamo.destroy();
      s3.destroy();
    }
  } finally {
    await pool.destroy();
    await admin.disconnect();
    await stack.stop();
  }
  return figures;
}
