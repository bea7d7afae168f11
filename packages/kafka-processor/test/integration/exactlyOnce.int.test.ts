import { type GeneratedMessage, generateMarketplaceStream } from '@marketplace/product-events';
import { ReducerPool } from '@marketplace/worker-pool';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kafkaClient, uniqueName } from '../../../local-stack/test/clients.js';
import { AggregateProcessor } from '../../src/AggregateProcessor.js';
import type { BatchMetrics } from '../../src/types.js';
import {
  createInputTopics,
  deleteTopics,
  produceAll,
  readOutputs,
  type TestTopics,
  testTopics,
  waitUntilConsumed,
} from './helpers.js';
import { expectOutputsMatchOracle } from './oracle.js';

const PARTITIONS = 6;

function generate(t: TestTopics, seed: number, events: number): GeneratedMessage[] {
  return [
    ...generateMarketplaceStream({
      seed,
      events,
      products: 2_000,
      sellers: 40,
      categories: 12,
      duplicateRate: 0.05,
      reorder: { window: 20 },
      malformedRate: 0.01,
      lowStockRate: 0.2,
      topics: t.topics,
    }),
  ];
}

describe('AggregateProcessor exactly-once', () => {
  let kafka: Kafka;
  let admin: Admin;
  let pool: ReducerPool;
  const created: string[] = [];

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = kafka.admin();
    await admin.connect();
    pool = new ReducerPool();
  });

  afterAll(async () => {
    await deleteTopics(admin, created);
    await admin.disconnect();
    await pool.destroy();
  });

  it('matches the oracle on a stream with duplicates, reordering and malformed messages', async () => {
    const t = testTopics('eo-stream');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, PARTITIONS);
    const generated = generate(t, 11, 20_000);
    expect(generated.some((m) => m.duplicate)).toBe(true);
    expect(generated.some((m) => m.event === undefined)).toBe(true);
    await produceAll(kafka, generated);

    const applicationId = uniqueName('eo');
    const batches: BatchMetrics[] = [];
    const processor = new AggregateProcessor({
      kafka,
      applicationId,
      topics: t.topics,
      internalTopics: t.internalTopics,
      pool,
      metrics: { onBatch: (m) => batches.push(m) },
    });
    await processor.start();
    try {
      await waitUntilConsumed(admin, `${applicationId}-aggregate`, Object.values(t.topics));
    } finally {
      await processor.stop();
    }

    expectOutputsMatchOracle(await readOutputs(kafka, admin, t.internalTopics), generated);
    const totals = batches.reduce(
      (sum, b) => ({
        messages: sum.messages + b.messages,
        invalid: sum.invalid + b.invalid,
        duplicate: sum.duplicate + b.duplicate,
      }),
      { messages: 0, invalid: 0, duplicate: 0 },
    );
    expect(totals.messages).toBe(generated.length);
    expect(totals.invalid).toBe(generated.filter((m) => m.event === undefined).length);
    expect(totals.duplicate).toBeGreaterThan(0);
  });

  it('matches the oracle when a second processor joins mid-stream, without processing any offset twice', async () => {
    const t = testTopics('eo-rebalance');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, PARTITIONS);
    const generated = generate(t, 23, 16_000);
    const half = Math.floor(generated.length / 2);
    const applicationId = uniqueName('eo-two');
    const groupId = `${applicationId}-aggregate`;
    const committed: (BatchMetrics & { member: string })[] = [];
    const fenced: number[] = [];
    const make = (member: string): AggregateProcessor =>
      new AggregateProcessor({
        kafka,
        applicationId,
        topics: t.topics,
        internalTopics: t.internalTopics,
        pool,
        fencedBackoffMs: 500,
        partitionsConsumedConcurrently: 3,
        consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxBytesPerPartition: 64 * 1024 },
        metrics: {
          onBatch: (m) => committed.push({ ...m, member }),
          onFenced: ({ group }) => fenced.push(group),
        },
      });
    const first = make('first');
    const second = make('second');
    await first.start();
    try {
      await produceAll(kafka, generated.slice(0, half));
      await eventually(() => (committed.length >= 6 ? true : undefined));
      await second.start();
      await eventually(
        () => (second.assignedGroups.length === 3 && first.assignedGroups.length === 3 ? true : undefined),
        60_000,
      );
      expect([...first.assignedGroups, ...second.assignedGroups].sort()).toEqual([0, 1, 2, 3, 4, 5]);

      // A zombie owner: a producer with group 0's transactional id takes over the epoch; the
      // member that really owns group 0 must notice it is fenced, drop the group, and take it back.
      const zombie = kafka.producer({
        transactionalId: `${applicationId}-aggregate-g0`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await zombie.connect();
      await (await zombie.transaction()).abort();
      await zombie.disconnect();

      await produceAll(kafka, generated.slice(half));
      await waitUntilConsumed(admin, groupId, Object.values(t.topics), 120_000);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }

    expectOutputsMatchOracle(await readOutputs(kafka, admin, t.internalTopics), generated);
    expect(fenced).toContain(0);
    expect(new Set(committed.map((b) => b.member))).toEqual(new Set(['first', 'second']));

    // No offset was committed twice: per input partition the committed ranges are disjoint and
    // cover every message exactly once.
    const byPartition = new Map<string, BatchMetrics[]>();
    for (const b of committed) {
      const key = `${b.topic}/${b.partition}`;
      byPartition.set(key, [...(byPartition.get(key) ?? []), b]);
    }
    let covered = 0;
    for (const ranges of byPartition.values()) {
      ranges.sort((a, b) => Number(BigInt(a.firstOffset) - BigInt(b.firstOffset)));
      for (let i = 1; i < ranges.length; i++) {
        expect(BigInt(ranges[i]!.firstOffset)).toBeGreaterThan(BigInt(ranges[i - 1]!.lastOffset));
      }
      covered += ranges.reduce((n, r) => n + r.messages, 0);
    }
    expect(covered).toBe(generated.length);
  });
});
