import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { decodeProductState } from '@marketplace/analytics-aggregator';
import { generateMarketplaceStream } from '@marketplace/product-events';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleMetrics } from '../../../aggregator/test/independentOracle.js';
import { kafkaClient, testStack, uniqueName } from '../../../local-stack/test/clients.js';
import type { LowStockAlert } from '../../src/lowStockAlertMessage.js';
import {
  createInputTopics,
  deleteTopics,
  produceAll,
  readOutputs,
  readToEnd,
  testTopics,
  waitUntilConsumed,
} from './helpers.js';
import { expectOutputsMatchOracle } from './oracle.js';
import { committedCount, type StageProcess as Stage, startStage } from './stageProcess.js';

/** Kill points: seeded (override with CRASH_TEST_SEED to replay another run) and logged. */
const SEED = Number(process.env.CRASH_TEST_SEED ?? 20_261_127);
const KILLS = 5;
const STEP_DEADLINE_MS = 120_000;

/** mulberry32: a small seeded PRNG, so the kill points of a failed run can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Polls `probe` until it returns a value; fails the test when the deadline passes. */
async function within<T>(what: string, probe: () => Promise<T | undefined>, stage: Stage): Promise<T> {
  const deadline = Date.now() + STEP_DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (stage.child.exitCode !== null || stage.child.signalCode !== null)
      throw new Error(`stage exited while waiting for ${what}:\n${stage.output()}`);
    if (Date.now() > deadline) throw new Error(`deadline passed waiting for ${what}:\n${stage.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Offsets of one partition's records read_uncommitted (open and aborted transactions included),
 * up to the log end (the high watermark the fetches report; the admin's ListOffsets answers the
 * last stable offset instead, which stops before an open transaction).
 */
async function uncommittedOffsets(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  partition: number,
): Promise<bigint[]> {
  const seen: bigint[] = [];
  const groupId = `read-uncommitted-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: true, maxBytesPerPartition: 8 * 1024 * 1024 });
  let next = 0n;
  let end = -1n;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      if (batch.partition !== partition) return;
      for (const m of batch.messages) seen.push(BigInt(m.offset));
      next = BigInt(batch.lastOffset()) + 1n;
      end = BigInt(batch.highWatermark);
    },
  });
  const deadline = Date.now() + 60_000;
  while ((end < 0n || next < end) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => {});
  if (end < 0n || next < end)
    throw new Error(`read_uncommitted of ${topic}/${partition} stopped at ${next} < ${end}`);
  return seen.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The last stable offset of a partition: read_committed readers cannot pass it while a transaction is open. */
async function lastStableOffset(admin: Admin, topic: string, partition: number): Promise<bigint> {
  return BigInt((await admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition)!.high);
}

describe('AggregateProcessor crash recovery', () => {
  let kafka: Kafka;
  let admin: Admin;
  const created: string[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await deleteTopics(admin, created);
    await admin.disconnect();
  });

  it(`commits every input offset's effect exactly once across ${KILLS} SIGKILLs inside open transactions`, async () => {
    const t = testTopics('crash');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, 6);
    const generated = [
      ...generateMarketplaceStream({
        seed: 2026,
        events: 50_000,
        products: 5_000,
        sellers: 60,
        categories: 15,
        duplicateRate: 0.03,
        reorder: { window: 20 },
        malformedRate: 0.005,
        lowStockRate: 0.2,
        topics: t.topics,
      }),
    ];
    expect(generated.length).toBeGreaterThanOrEqual(50_000);
    await produceAll(kafka, generated);
    const total = BigInt(generated.length);
    const applicationId = uniqueName('crash');
    const groupId = `${applicationId}-aggregate`;
    const inputs = Object.values(t.topics);
    const config = {
      brokers: testStack().kafkaBrokers,
      applicationId,
      topics: t.topics,
      internalTopics: t.internalTopics,
    };

    const random = seededRandom(SEED);
    const fractions = Array.from({ length: KILLS }, () => 0.05 + random() * 0.8).sort((a, b) => a - b);
    process.stdout.write(
      `crash test: seed ${SEED}, kill points at ${fractions.map((f) => `${(f * 100).toFixed(1)}%`).join(', ')} of ${total} messages\n`,
    );
    /** Changelog offsets written by a transaction that was open when its process was killed. */
    const heldOffsets: Array<{ partition: number; offsets: string[] }> = [];
    for (const fraction of fractions) {
      const stage = startStage(config);
      children.push(stage.child);
      const target = (total * BigInt(Math.round(fraction * 1000))) / 1000n;
      await within(
        `${target} committed input messages`,
        async () => ((await committedCount(admin, groupId, inputs)) >= target ? true : undefined),
        stage,
      );
      // Hold the next transaction open between its sends and its commit, then kill inside it (once
      // the member has joined: its signal handler is installed by then).
      await within(
        'the member to join',
        async () => (stage.output().includes('joined') ? true : undefined),
        stage,
      );
      stage.child.kill('SIGUSR2');
      const marker = await within(
        'a transaction held open',
        async () => /txn-open partition=(\d+) records=(\d+)/.exec(stage.output()) ?? undefined,
        stage,
      );
      stage.child.kill('SIGKILL');
      await stage.exited;

      // The open transaction's records are the tail of the log (nothing else writes this changelog
      // partition), and the last stable offset has stopped before them: it was open at the kill.
      const partition = Number(marker[1]);
      const records = Number(marker[2]);
      const log = await uncommittedOffsets(kafka, admin, t.internalTopics.productState, partition);
      const offsets = log.slice(-records).map(String);
      expect(offsets).toHaveLength(records);
      expect(await lastStableOffset(admin, t.internalTopics.productState, partition)).toBeLessThanOrEqual(
        BigInt(offsets[0]!),
      );
      heldOffsets.push({ partition, offsets });
    }
    expect(heldOffsets).toHaveLength(KILLS);

    const final = startStage(config);
    children.push(final.child);
    await waitUntilConsumed(admin, groupId, inputs, 180_000);
    final.child.kill('SIGTERM');
    expect(await final.exited, final.output()).toBe(0);

    const outputs = await readOutputs(kafka, admin, t.internalTopics);
    // Exactly once: each applied event yields one changelog state (productId, version), so a batch
    // whose transaction were committed twice would repeat its states in the committed log.
    const stateIds = outputs.changelog.map((r) => {
      const state = decodeProductState(r.value!);
      return `${state.productId}@${state.version}`;
    });
    expect(stateIds.length - new Set(stateIds).size).toBe(0);

    expectOutputsMatchOracle(outputs, generated);

    // The held transactions were aborted, never committed: read_committed sees none of their records,
    // and the log holds more records read_uncommitted than read_committed.
    for (const { partition, offsets } of heldOffsets) {
      const committed = new Set(
        outputs.changelog.filter((r) => r.partition === partition).map((r) => r.offset),
      );
      expect(offsets.filter((offset) => committed.has(offset))).toEqual([]);
    }
    for (const partition of new Set(heldOffsets.map((h) => h.partition))) {
      const all = await uncommittedOffsets(kafka, admin, t.internalTopics.productState, partition);
      expect(all.length).toBeGreaterThan(outputs.changelog.filter((r) => r.partition === partition).length);
    }

    // Low-stock alerts: once per crossing, each for a committed low state, and every product low
    // at the end was alerted.
    const alerts = (await readToEnd(kafka, admin, t.internalTopics.lowStockAlerts)).map(
      (r) => JSON.parse(r.value!.toString()) as LowStockAlert,
    );
    const alertIds = alerts.map((a) => `${a.productId}@${a.version}`);
    expect(alertIds.length - new Set(alertIds).size).toBe(0);
    const committedStates = new Map(
      outputs.changelog.map((r) => {
        const state = decodeProductState(r.value!);
        return [`${state.productId}@${state.version}`, state];
      }),
    );
    for (const alert of alerts) {
      const state = committedStates.get(`${alert.productId}@${alert.version}`);
      expect(state?.deleted).toBe(false);
      expect(state!.quantity).toBeLessThan(alert.threshold);
    }
    const alerted = new Set(alerts.map((a) => a.productId));
    const lowAtEnd = [...oracleMetrics(generated.flatMap((m) => (m.event ? [m.event] : []))).lowStock.keys()];
    expect(lowAtEnd.length).toBeGreaterThan(0);
    expect(lowAtEnd.filter((productId) => !alerted.has(productId))).toEqual([]);
  }, 360_000);
});
