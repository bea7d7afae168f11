/**
 * A running stage 1 meets a new pipeline epoch (docs/architecture.md, epochs): it polls the epoch
 * topic, takes every group again after its batch in flight, writes each group's snapshot under
 * the new epoch (metric changes with header `analytics-epoch`, and the group's epoch marker in the
 * changelog) and goes on writing in that epoch.
 */
import { randomUUID } from 'node:crypto';
import { decodeMetricChange, foldMetricChanges, type MetricChange } from '@marketplace/analytics-aggregator';
import type { ProductEvent } from '@marketplace/product-events';
import { ReducerPool } from '@marketplace/worker-pool';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleMetrics } from '../../../aggregator/test/independentOracle.js';
import { eventually, kafkaClient, uniqueName } from '../../../local-stack/test/clients.js';
import { AggregateProcessor } from '../../src/AggregateProcessor.js';
import {
  decodeGroupEpochMarker,
  EPOCH_HEADER,
  epochOfHeaders,
  GROUP_EPOCH_KEY,
  startNewEpoch,
} from '../../src/pipelineEpoch.js';
import {
  createInputTopics,
  deleteTopics,
  eventRecords,
  produceAll,
  readOutputs,
  testTopics,
  waitUntilConsumed,
} from './helpers.js';

const PARTITIONS = 3;

/**
 * Creates and updates of 30 products whose seller and category never change and which are never
 * deleted, so every partial row stays non-empty: a group's snapshot then holds every row it ever
 * wrote, and the metric changes of the new epoch alone fold to the whole metrics.
 */
function stream(fromVersion: number, toVersion: number): ProductEvent[] {
  const events: ProductEvent[] = [];
  for (let version = fromVersion; version <= toVersion; version++) {
    for (let i = 0; i < 30; i++) {
      const data = {
        sellerId: `s-${i % 4}`,
        category: `c-${i % 3}`,
        name: `product ${i}`,
        priceCents: 100 + i * 10,
        currency: 'USD',
        quantity: (i * 7 + version * 3) % 25,
        status: 'active' as const,
      };
      const base = {
        eventId: randomUUID(),
        schemaVersion: 1 as const,
        productId: `p-${i}`,
        version,
        occurredAt: new Date(Date.UTC(2026, 10, 27, 9) + (version * 30 + i) * 1_000).toISOString(),
        data,
      };
      events.push(
        version === 1 ? { ...base, type: 'product.created' } : { ...base, type: 'product.updated' },
      );
    }
  }
  return events;
}

describe('AggregateProcessor across a new pipeline epoch', () => {
  let kafka: Kafka;
  let admin: Admin;
  let pool: ReducerPool;
  const created: string[] = [];

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = kafka.admin();
    await admin.connect();
    pool = new ReducerPool({ inline: true });
  });

  afterAll(async () => {
    await deleteTopics(admin, created);
    await admin.disconnect();
    await pool.destroy();
  });

  it('takes its groups again, writes their snapshots under the new epoch and goes on in it', async () => {
    const t = testTopics('epoch-change');
    const epochTopic = uniqueName('epoch');
    created.push(...t.all, epochTopic);
    await createInputTopics(admin, t.topics, PARTITIONS);
    const before = stream(1, 2);
    const after = stream(3, 3);
    const applicationId = uniqueName('epoch-change');
    const groupId = `${applicationId}-aggregate`;
    const restores: { groups: readonly number[]; states: number }[] = [];
    const processor = new AggregateProcessor({
      kafka,
      applicationId,
      topics: t.topics,
      internalTopics: t.internalTopics,
      epochTopic,
      epochPollMs: 50,
      pool,
      metrics: { onRestore: ({ groups, states }) => restores.push({ groups, states }) },
    });

    await produceAll(kafka, eventRecords(before, t));
    await processor.start();
    try {
      await waitUntilConsumed(admin, groupId, Object.values(t.topics));
      const restoresBefore = restores.length;

      await startNewEpoch({
        kafka,
        topic: epochTopic,
        groupIdPrefix: groupId,
        partitions: PARTITIONS,
        reason: 'reset',
      });

      // Every group is restored again (from its changelog, so with its states) once it sees the epoch.
      await eventually(() => {
        const retaken = restores.slice(restoresBefore).flatMap((r) => (r.states > 0 ? r.groups : []));
        expect(new Set(retaken)).toEqual(new Set([0, 1, 2]));
        return true;
      });
      await produceAll(kafka, eventRecords(after, t));
      await waitUntilConsumed(admin, groupId, Object.values(t.topics));
    } finally {
      await processor.stop();
    }

    const { metricChanges, changelog } = await readOutputs(kafka, admin, t.internalTopics);
    const markers = changelog.filter((r) => r.key?.toString('utf8') === GROUP_EPOCH_KEY);
    expect(markers.map((r) => [r.partition, decodeGroupEpochMarker(r.value!)]).sort()).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    const inEpoch: MetricChange[] = [];
    for (const r of metricChanges) {
      expect(r.headers?.[EPOCH_HEADER]).toBeDefined();
      if (epochOfHeaders(r.headers) === 1) inEpoch.push(decodeMetricChange(r.value!));
    }
    // The snapshots plus what followed them describe everything: the oracle of the whole input.
    expect(foldMetricChanges(inEpoch)).toEqual(oracleMetrics([...before, ...after]));
  });
});
