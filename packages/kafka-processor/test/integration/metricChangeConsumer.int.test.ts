import {
  encodeMetricChange,
  type MetricChange,
  type MetricChangeRecord,
} from '@marketplace/analytics-aggregator';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kafkaClient, uniqueName } from '../../../local-stack/test/clients.js';
import { ShutdownTimeoutError } from '../../src/errors.js';
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
      totalValue: { USD: 100n },
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
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
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
        { key: 'tombstone', value: null, partition: 1 },
      ],
    });
    await producer.disconnect();

    const received: MetricChangeRecord[] = [];
    const retries: number[] = [];
    const invalid: string[] = [];
    const warnings: Array<{ message: string; context?: Record<string, unknown> }> = [];
    let failNext = true;
    const groupId = uniqueName('sink');
    const loop = new MetricChangeConsumer({
      kafka,
      groupId,
      topic,
      retry: { minDelayMs: 10, maxDelayMs: 20 },
      logger: {
        debug() {},
        info() {},
        warn: (message, context) => warnings.push({ message, ...(context === undefined ? {} : { context }) }),
        error() {},
      },
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
    expect(invalid).toEqual(['1/1', '1/2']);
    const skipped = warnings.filter((w) => w.message === 'skipping a metric change that cannot be decoded');
    expect(skipped.map((w) => w.context)).toEqual([
      expect.objectContaining({ topic, partition: 1, offset: '1', valueBytes: 18 }),
      expect.objectContaining({ topic, partition: 1, offset: '2', valueBytes: null }),
    ]);
    const byPosition = (r: MetricChangeRecord) => `${r.source.partition}/${r.source.offset}`;
    expect(received.map(byPosition).sort()).toEqual(['0/0', '0/1', '1/0']);
    expect(received.find((r) => byPosition(r) === '0/1')).toMatchObject({
      ...changes[1],
      source: { topic, partition: 0, offset: '1' },
    });

    // (Producers are idempotent: a retried send under load must not duplicate the records counted.)
    // A restarted member resumes after the committed offsets: nothing is handed over again. A
    // sentinel produced after it joined marks the end: everything before it was fetched by then.
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
      const sentinel = sellerChange(0, 's-sentinel', 9);
      const sentinelProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await sentinelProducer.connect();
      await sentinelProducer.send({
        topic,
        messages: [{ key: 'sentinel', value: encodeMetricChange(sentinel), partition: 0 }],
      });
      await sentinelProducer.disconnect();
      await eventually(() => (again.length > 0 ? true : undefined));
    } finally {
      await restarted.stop();
    }
    expect(again.map((r) => `${r.id}@${r.source.partition}/${r.source.offset}`)).toEqual(['s-sentinel@0/2']);
  });

  async function topicWith(changes: MetricChange[]): Promise<string> {
    const topic = uniqueName('metric-changes');
    topics.push(topic);
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      messages: changes.map((c) => ({
        key: `seller#${c.group}#${c.id}`,
        value: encodeMetricChange(c),
        partition: 0,
      })),
    });
    await producer.disconnect();
    return topic;
  }

  it('gives a batch back to kafkajs when the handler fails permanently, and handles it when redelivered', async () => {
    const topic = await topicWith([sellerChange(0, 's-1', 1), sellerChange(0, 's-2', 2)]);
    const groupId = uniqueName('sink');
    let calls = 0;
    const handled: MetricChangeRecord[] = [];
    const loop = new MetricChangeConsumer({
      kafka,
      groupId,
      topic,
      retry: { retries: 0 },
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
      handleBatch: async (records) => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('table missing'), { retryable: false });
        handled.push(...records);
      },
    });
    await loop.start();
    try {
      await waitUntilConsumed(admin, groupId, [topic], 60_000);
    } finally {
      await loop.stop();
    }
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(handled.map((r) => r.id)).toEqual(['s-1', 's-2']);
  });

  it('stops within the shutdown bound while the handler hangs, without committing', async () => {
    const topic = await topicWith([sellerChange(0, 's-1', 1)]);
    const groupId = uniqueName('sink');
    let called = false;
    const loop = new MetricChangeConsumer({
      kafka,
      groupId,
      topic,
      shutdownTimeoutMs: 500,
      handleBatch: () => {
        called = true;
        return new Promise<void>(() => {});
      },
    });
    await loop.start();
    await eventually(() => (called ? true : undefined));
    const outcome = await loop.stop().then(
      () => 'stopped',
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(ShutdownTimeoutError);
    expect((outcome as ShutdownTimeoutError).timeoutMs).toBe(500);
    expect(loop.ready).toBe(false);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]!.partitions[0]!.offset).toBe('-1');
  });

  it('reports a handler that fails permanently once through onFatal, is no longer ready, and commits nothing', async () => {
    const topic = await topicWith([sellerChange(0, 's-1', 1)]);
    const groupId = uniqueName('sink');
    const denied = Object.assign(new Error('access denied'), { retryable: false });
    const fatal: unknown[] = [];
    let calls = 0;
    const loop = new MetricChangeConsumer({
      kafka,
      groupId,
      topic,
      consumer: { maxWaitTimeInMs: 100 },
      onFatal: (error) => fatal.push(error),
      handleBatch: async () => {
        calls += 1;
        throw denied;
      },
    });
    await loop.start();
    try {
      // kafkajs redelivers the batch it was handed back: still one report.
      await eventually(() => (calls >= 2 ? true : undefined), 30_000);
      expect(fatal).toEqual([denied]);
      expect(loop.ready).toBe(false);
    } finally {
      await loop.stop();
    }
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]!.partitions[0]!.offset).toBe('-1');
  });

  it('reports a consumer crash kafkajs will not restart (retry.restartOnFailure false) after a transient fault outlasts every retry', async () => {
    const topic = await topicWith([sellerChange(0, 's-1', 1)]);
    const groupId = uniqueName('sink');
    // The consumer retries its fetch loop 5 times (kafkajs' consumer default) from 50 ms, then
    // crashes with KafkaJSNumberOfRetriesExceeded; restartOnFailure decides there is no restart.
    const noRestart = kafkaClient(uniqueName('no-restart'), {
      retry: { initialRetryTime: 50, restartOnFailure: async () => false },
    });
    const fatal: unknown[] = [];
    let calls = 0;
    const loop = new MetricChangeConsumer({
      kafka: noRestart,
      groupId,
      topic,
      retry: { retries: 0 },
      consumer: { maxWaitTimeInMs: 100 },
      onFatal: (error) => fatal.push(error),
      handleBatch: async () => {
        calls += 1;
        throw Object.assign(new Error('throttled'), { retryable: true });
      },
    });
    await loop.start();
    try {
      await eventually(() => fatal[0], 30_000);
      expect(fatal).toEqual([expect.objectContaining({ name: 'KafkaJSNumberOfRetriesExceeded' })]);
      expect(calls).toBeGreaterThan(1);
      expect(loop.ready).toBe(false);
    } finally {
      await loop.stop();
    }
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]!.partitions[0]!.offset).toBe('-1');
  });
});
