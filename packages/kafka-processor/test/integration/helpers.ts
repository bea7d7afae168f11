/**
 * Helpers of the kafka-processor integration tests: topic set-up, producing a stream keyed by
 * productId with the kafkajs default partitioner (so the three input topics are co-partitioned),
 * reading a topic to its end read_committed, and waiting until the stage has consumed everything.
 */
import { randomUUID } from 'node:crypto';
import {
  encodeProductEvent,
  type ProductEvent,
  type ProductTopics,
  topicForEventType,
} from '@marketplace/product-events';
import type { ReducerPool } from '@marketplace/worker-pool';
import type { Admin, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { uniqueName } from '../../../local-stack/test/clients.js';
import { injectFault } from '../../../worker-pool/src/ReducerPool.js';
import { DEFAULT_INTERNAL_TOPICS, type InternalTopics } from '../../src/defaults.js';
import { createTopicsAndWait } from '../../src/prepareTopics.js';

/**
 * The real pool's test-only fault injection: the thread that runs the next threaded batch exits
 * (`'exit'`) or never answers (`'hang'`). The symbol comes from the worker-pool sources, which the
 * package name resolves to under vitest; the type is the built package's.
 */
export function injectPoolFault(pool: ReducerPool, fault: 'exit' | 'hang'): void {
  (pool as unknown as Record<typeof injectFault, (f: typeof fault) => void>)[injectFault](fault);
}

/** Unique input and internal topic names for one test. */
export interface TestTopics {
  topics: ProductTopics;
  internalTopics: InternalTopics;
  all: string[];
}

export function testTopics(prefix: string): TestTopics {
  const base = uniqueName(prefix);
  const topics: ProductTopics = {
    created: `${base}.product.created`,
    updated: `${base}.product.updated`,
    deleted: `${base}.product.deleted`,
  };
  const internalTopics: InternalTopics = {
    productState: `${base}.${DEFAULT_INTERNAL_TOPICS.productState}`,
    metricChanges: `${base}.${DEFAULT_INTERNAL_TOPICS.metricChanges}`,
    deadLetter: `${base}.${DEFAULT_INTERNAL_TOPICS.deadLetter}`,
    lowStockAlerts: `${base}.${DEFAULT_INTERNAL_TOPICS.lowStockAlerts}`,
    reroute: `${base}.${DEFAULT_INTERNAL_TOPICS.reroute}`,
  };
  return { topics, internalTopics, all: [...Object.values(topics), ...Object.values(internalTopics)] };
}

export async function createInputTopics(
  admin: Admin,
  topics: ProductTopics,
  partitions: number,
): Promise<void> {
  await createTopicsAndWait(
    admin,
    Object.values(topics).map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
  );
}

export async function deleteTopics(admin: Admin, topics: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0) await admin.deleteTopics({ topics: present }).catch(() => {});
}

/** A record to produce. */
export interface OutgoingRecord {
  topic: string;
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
}

/** The input records of events: each to its type's topic of `t`, encoded as producers do. */
export function eventRecords(events: readonly ProductEvent[], t: TestTopics): OutgoingRecord[] {
  return events.map((e) => ({ topic: topicForEventType(e.type, t.topics), ...encodeProductEvent(e) }));
}

/** Produces records in order (default partitioner, keyed), in chunks. */
export async function produceAll(
  kafka: Kafka,
  records: Iterable<OutgoingRecord>,
  chunk = 2000,
): Promise<number> {
  // Idempotent, so the producer's own retries cannot duplicate input the tests count.
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  let count = 0;
  try {
    let pending: OutgoingRecord[] = [];
    const flush = async (): Promise<void> => {
      const byTopic = new Map<string, { key: string; value: Buffer | string; headers?: IHeaders }[]>();
      for (const r of pending) {
        const list = byTopic.get(r.topic) ?? [];
        list.push({ key: r.key, value: r.value, headers: r.headers });
        byTopic.set(r.topic, list);
      }
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      count += pending.length;
      pending = [];
    };
    for (const record of records) {
      pending.push(record);
      if (pending.length >= chunk) await flush();
    }
    if (pending.length > 0) await flush();
  } finally {
    await producer.disconnect();
  }
  return count;
}

/** A consumed record with its partition. */
export type ReadRecord = KafkaMessage & { partition: number };

/**
 * Reads every partition of `topic` from the beginning to the high watermark fetched at the start,
 * read_committed (aborted transactions and markers are skipped), in offset order per partition.
 */
export async function readToEnd(kafka: Kafka, admin: Admin, topic: string): Promise<ReadRecord[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const targets = new Map(
    offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]),
  );
  const records: ReadRecord[] = [];
  if (targets.size === 0) return records;
  const groupId = `read-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxBytesPerPartition: 8 * 1024 * 1024 });
  const pending = new Set(targets.keys());
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const target = targets.get(payload.partition);
    if (target !== undefined && BigInt(payload.lastOffset) + 1n >= target) pending.delete(payload.partition);
    if (pending.size === 0) done();
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const target = targets.get(batch.partition) ?? 0n;
      for (const m of batch.messages)
        if (BigInt(m.offset) < target) records.push({ ...m, partition: batch.partition });
    },
  });
  const timer = setTimeout(done, 60_000);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => {});
  if (pending.size > 0)
    throw new Error(`reading ${topic} did not reach the end of partitions ${[...pending]}`);
  return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** Polls until the group has committed every input partition up to its high watermark. */
export async function waitUntilConsumed(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastLag = -1n;
  while (Date.now() < deadline) {
    let lag = 0n;
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
    for (const topic of topics) {
      const highs = await admin.fetchTopicOffsets(topic);
      const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const { partition, high } of highs) {
        const offset = BigInt(mine.find((p) => p.partition === partition)?.offset ?? '-1');
        lag += BigInt(high) - (offset < 0n ? 0n : offset);
      }
    }
    if (lag === 0n) return;
    lastLag = lag;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`group ${groupId} still lags by ${lastLag} messages after ${timeoutMs} ms`);
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** Latest value per key (what a compacted topic converges to). */
export function latestByKey(records: readonly ReadRecord[]): Map<string, Buffer | null> {
  const latest = new Map<string, Buffer | null>();
  for (const r of records) if (r.key) latest.set(r.key.toString('utf8'), r.value);
  return latest;
}

/** What an end-to-end check compares: the outputs of stage 1 read back read_committed. */
export interface StageOutputs {
  metricChanges: ReadRecord[];
  changelog: ReadRecord[];
  deadLetters: ReadRecord[];
}

export async function readOutputs(
  kafka: Kafka,
  admin: Admin,
  internalTopics: InternalTopics,
): Promise<StageOutputs> {
  const [metricChanges, changelog, deadLetters] = await Promise.all([
    readToEnd(kafka, admin, internalTopics.metricChanges),
    readToEnd(kafka, admin, internalTopics.productState),
    readToEnd(kafka, admin, internalTopics.deadLetter),
  ]);
  return { metricChanges, changelog, deadLetters };
}
