/**
 * Misrouted input (issue 19): producers of the three topics use different partitioners, so a
 * product's records arrive on different partitions. Stage 1 must apply each record once, in the
 * group that owns the product's key, whatever partition it arrived on, also across a SIGKILL.
 * The producers are independent: kcat (librdkafka) with three partitioner settings.
 */
import type { ChildProcess } from 'node:child_process';
import { decodeProductState } from '@marketplace/analytics-aggregator';
import { type GeneratedMessage, generateMarketplaceStream } from '@marketplace/product-events';
import { ReducerPool } from '@marketplace/worker-pool';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient, testStack, uniqueName } from '../../../local-stack/test/clients.js';
import { AggregateProcessor } from '../../src/AggregateProcessor.js';
import { type PartitionerName, partitionForKey } from '../../src/partitioners.js';
import { createTopicsAndWait } from '../../src/prepareTopics.js';
import { REROUTE_HEADERS } from '../../src/rerouteMessage.js';
import {
  createInputTopics,
  deleteTopics,
  headerString,
  produceAll,
  type ReadRecord,
  readOutputs,
  readToEnd,
  type TestTopics,
  testTopics,
  waitUntilConsumed,
} from './helpers.js';
import { kcatCanSend, produceWithKcat } from './kcat.js';
import { expectOutputsMatchOracle } from './oracle.js';
import { committedCount, startStage } from './stageProcess.js';

const PARTITIONS = 4;

function generate(t: TestTopics, seed: number, events: number): GeneratedMessage[] {
  return [
    ...generateMarketplaceStream({
      seed,
      events,
      products: 3_000,
      sellers: 40,
      categories: 12,
      duplicateRate: 0.03,
      reorder: { window: 20 },
      malformedRate: 0.005,
      lowStockRate: 0.2,
      topics: t.topics,
    }),
  ];
}

const owner = (key: Buffer, partitioner: PartitionerName = 'murmur2') =>
  partitionForKey(partitioner, key, PARTITIONS);

/**
 * Waits until the group has committed the reroute topic past its last record in every partition.
 * (Its end holds transaction markers: the committed offset may stop one short of the high watermark.)
 */
async function waitUntilRerouteConsumed(
  kafka: Kafka,
  admin: Admin,
  groupId: string,
  topic: string,
  timeoutMs = 120_000,
): Promise<ReadRecord[]> {
  const records = await readToEnd(kafka, admin, topic);
  const ends = new Map<number, bigint>();
  for (const r of records) ends.set(r.partition, BigInt(r.offset) + 1n);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const behind = [...ends].filter(([partition, end]) => {
      const offset = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
      return BigInt(offset) < end;
    });
    if (behind.length === 0) return records;
    if (Date.now() > deadline)
      throw new Error(`${groupId} has not consumed ${topic} partitions ${behind.map(([p]) => p)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `topic/partition/offset` of every record of the reroute topic, as its headers name it. */
function rerouteSources(records: readonly ReadRecord[]): string[] {
  return records.map(
    (r) =>
      `${headerString(r.headers, REROUTE_HEADERS.sourceTopic)}/${headerString(r.headers, REROUTE_HEADERS.sourcePartition)}/${headerString(r.headers, REROUTE_HEADERS.sourceOffset)}`,
  );
}

/** Every changelog record is in its product's owner partition, and each product's versions only grow. */
function expectChangelogOwnedAndIncreasing(changelog: readonly ReadRecord[]): void {
  const misplaced = changelog.filter((r) => r.partition !== owner(r.key!));
  expect(misplaced.map((r) => `${r.key}@${r.partition}`)).toEqual([]);
  const last = new Map<string, number>();
  const repeated: string[] = [];
  for (const r of changelog) {
    const state = decodeProductState(r.value!);
    const previous = last.get(state.productId) ?? 0;
    if (state.version <= previous) repeated.push(`${state.productId} v${state.version} after v${previous}`);
    last.set(state.productId, state.version);
  }
  expect(repeated).toEqual([]);
}

describe('AggregateProcessor with producers of different partitioners', () => {
  let kafka: Kafka;
  let admin: Admin;
  let pool: ReducerPool;
  const created: string[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = kafka.admin();
    await admin.connect();
    pool = new ReducerPool({ threads: 1 });
  });

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await deleteTopics(admin, created);
    await admin.disconnect();
    await pool.destroy();
  });

  it('predicts the partitions kcat chooses with murmur2_random (murmur2) and consistent_random (crc32)', async () => {
    const base = uniqueName('kcat-partitioners');
    const topics = { murmur2: `${base}.murmur2`, crc32: `${base}.crc32` };
    created.push(...Object.values(topics));
    await createTopicsAndWait(
      admin,
      Object.values(topics).map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
    );
    const keys = Array.from({ length: 1_000 }, (_, i) => `p-${i}-${'ü'.repeat(i % 4)}`);
    const records = (topic: string) =>
      keys.map((key) => ({ topic, key, value: Buffer.from('{}'), headers: {} }));
    await produceWithKcat(testStack().kafkaBrokers, records(topics.murmur2), 'murmur2_random');
    await produceWithKcat(testStack().kafkaBrokers, records(topics.crc32), 'consistent_random');

    for (const partitioner of ['murmur2', 'crc32'] as const) {
      const read = await readToEnd(kafka, admin, topics[partitioner]);
      expect(read).toHaveLength(keys.length);
      const wrong = read.filter((r) => partitionForKey(partitioner, r.key!, PARTITIONS) !== r.partition);
      expect(
        wrong.map((r) => String(r.key)),
        partitioner,
      ).toEqual([]);
    }
  });

  it('equals the oracle with three partitioner settings and a SIGKILL mid-stream, rerouting each misrouted record exactly once', async () => {
    const t = testTopics('reroute-kcat');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, PARTITIONS);
    // kcat reads records as lines: leave out the few malformed ones it cannot carry unchanged.
    const sent = generate(t, 19, 20_000).filter(kcatCanSend);
    expect(sent.some((m) => m.event === undefined)).toBe(true);
    const brokers = testStack().kafkaBrokers;
    const of = (topic: string) => sent.filter((m) => m.topic === topic);
    await produceWithKcat(brokers, of(t.topics.created)); // librdkafka's default: consistent_random (crc32)
    await produceWithKcat(brokers, of(t.topics.updated), 'murmur2_random');
    await produceWithKcat(brokers, of(t.topics.deleted), 'fnv1a_random');

    const applicationId = uniqueName('reroute');
    const groupId = `${applicationId}-aggregate`;
    const inputs = Object.values(t.topics);
    const config = { brokers, applicationId, topics: t.topics, internalTopics: t.internalTopics };
    const total = BigInt(sent.length);

    // Kill once, somewhere between 30% and 70% of the input committed, inside a batch.
    const first = startStage(config);
    children.push(first.child);
    const target = (total * BigInt(300 + Math.floor(Math.random() * 400))) / 1000n;
    const deadline = Date.now() + 120_000;
    let progress = 0n;
    while (progress < target && Date.now() < deadline && first.child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 50));
      progress = await committedCount(admin, groupId, inputs);
    }
    expect(first.child.exitCode, first.output()).toBeNull();
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)));
    first.child.kill('SIGKILL');
    await first.exited;
    expect(progress).toBeLessThan(total);

    const final = startStage(config);
    children.push(final.child);
    await waitUntilConsumed(admin, groupId, inputs, 240_000);
    const rerouted = await waitUntilRerouteConsumed(kafka, admin, groupId, t.internalTopics.reroute);
    final.child.kill('SIGTERM');
    expect(await final.exited, final.output()).toBe(0);

    const outputs = await readOutputs(kafka, admin, t.internalTopics);
    expectOutputsMatchOracle(outputs, sent);
    expectChangelogOwnedAndIncreasing(outputs.changelog);

    // Exactly the keyed input records that arrived outside their owner's partition were forwarded,
    // each once (committed), to the owner's partition.
    const input = (await Promise.all(inputs.map((topic) => readToEnd(kafka, admin, topic)))).flatMap(
      (records, i) => records.map((r) => ({ ...r, topic: inputs[i]! })),
    );
    const misrouted = input.filter((r) => r.key !== null && r.key.length > 0 && owner(r.key) !== r.partition);
    const sources = rerouteSources(rerouted);
    expect(new Set(sources).size).toBe(sources.length);
    expect(sources.sort()).toEqual(misrouted.map((r) => `${r.topic}/${r.partition}/${r.offset}`).sort());
    expect(rerouted.every((r) => r.partition === owner(r.key!))).toBe(true);
    // crc32 (created) and fnv1a (deleted) disagree with murmur2 on most keys; murmur2_random
    // (updated) is the Java client's partitioner and misroutes none.
    const misroutedTopics = new Set(misrouted.map((r) => r.topic));
    expect(misroutedTopics).toEqual(new Set([t.topics.created, t.topics.deleted]));

    // The reroute counter (the onRerouted hook, printed by the stage processes) is not zero.
    const counted = [first.output(), final.output()]
      .flatMap((out) => [...out.matchAll(/^rerouted (\S+) (\d+)$/gm)])
      .map((m) => Number(m[2]));
    expect(counted.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 400_000);

  it('reroutes nothing when every producer uses murmur2 (kafkajs default partitioner)', async () => {
    const t = testTopics('reroute-uniform');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, PARTITIONS);
    const generated = generate(t, 29, 8_000);
    await produceAll(kafka, generated);
    const applicationId = uniqueName('reroute-uniform');
    const rerouted: number[] = [];
    const warnings: string[] = [];
    const processor = new AggregateProcessor({
      kafka,
      applicationId,
      topics: t.topics,
      internalTopics: t.internalTopics,
      pool,
      logger: { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: () => {} },
      metrics: { onRerouted: ({ records }) => rerouted.push(records) },
    });
    await processor.start();
    try {
      await waitUntilConsumed(admin, `${applicationId}-aggregate`, Object.values(t.topics));
    } finally {
      await processor.stop();
    }

    const outputs = await readOutputs(kafka, admin, t.internalTopics);
    expectOutputsMatchOracle(outputs, generated);
    expectChangelogOwnedAndIncreasing(outputs.changelog);
    expect(rerouted).toEqual([]);
    expect(await readToEnd(kafka, admin, t.internalTopics.reroute)).toEqual([]);
    expect(warnings.filter((w) => w.includes('follows'))).toEqual([]);
  });
});
