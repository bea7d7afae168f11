import {
  encodeMetricChange,
  type MetricChange,
  type MetricChangeRecord,
} from '@marketplace/analytics-aggregator';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kafkaClient, uniqueName } from '../../../local-stack/test/clients.js';
import { MetricChangeConsumer } from '../../src/MetricChangeConsumer.js';
import { createTopicsAndWait } from '../../src/prepareTopics.js';
import { deleteTopics, waitUntilConsumed } from './helpers.js';

function sellerChange(group: number, id: string, totalProducts: number): MetricChange {
  return {
    entity: 'seller',
    group,
    id,
    eventTime: '2026-11-25T10:00:00.000Z',
    values: {
      totalProducts,
      activeProducts: totalProducts,
      deletedProducts: 0,
      totalValueCents: 100n,
      lowStockCount: 0,
    },
  };
}

describe('MetricChangeConsumer against a real broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  const topics: string[] = [];

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await deleteTopics(admin, topics);
    await admin.disconnect();
  });

  it('hands every committed change over with its source position, retries a failing handler, skips garbage, and commits', async () => {
    const topic = uniqueName('metric-changes');
    topics.push(topic);
    await createTopicsAndWait(admin, [{ topic, numPartitions: 2 }]);
    const changes = [sellerChange(0, 's-1', 1), sellerChange(0, 's-1', 2), sellerChange(1, 's-2', 5)];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        ...changes.map((c) => ({
          key: `seller#${c.group}#${c.id}`,
          value: encodeMetricChange(c),
          partition: c.group,
        })),
        { key: 'junk', value: '{"not":"a change"}', partition: 1 },
      ],
    });
    await producer.disconnect();

    const received: MetricChangeRecord[] = [];
    const retries: number[] = [];
    const invalid: string[] = [];
    let failNext = true;
    const groupId = uniqueName('sink');
    const loop = new MetricChangeConsumer({
      kafka,
      groupId,
      topic,
      retry: { minDelayMs: 10, maxDelayMs: 20 },
      handleBatch: async (records) => {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('sink throttled'), { retryable: true });
        }
        received.push(...records);
      },
      metrics: {
        onRetry: ({ attempt }) => retries.push(attempt),
        onInvalidRecord: ({ partition, offset }) => invalid.push(`${partition}/${offset}`),
      },
    });
    await loop.start();
    try {
      await waitUntilConsumed(admin, groupId, [topic], 30_000);
    } finally {
      await loop.stop();
    }

    expect(retries).toEqual([1]);
    expect(invalid).toEqual(['1/1']);
    const byPosition = (r: MetricChangeRecord) => `${r.source.partition}/${r.source.offset}`;
    expect(received.map(byPosition).sort()).toEqual(['0/0', '0/1', '1/0']);
    expect(received.find((r) => byPosition(r) === '0/1')).toMatchObject({
      ...changes[1],
      source: { topic, partition: 0, offset: '1' },
    });

    // A restarted member resumes after the committed offsets: nothing is handed over again.
    const again: MetricChangeRecord[] = [];
    const restarted = new MetricChangeConsumer({
      kafka,
      groupId,
      topic,
      handleBatch: async (records) => {
        again.push(...records);
      },
    });
    await restarted.start();
    try {
      await eventually(() => (restarted.ready ? true : undefined));
      // An observation window after joining, long enough for several fetches.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await restarted.stop();
    }
    expect(again).toEqual([]);
  });
});
