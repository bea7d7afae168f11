import { randomUUID } from 'node:crypto';
import {
  decodeMetricChange,
  decodeProductState,
  foldMetricChanges,
  type MetricChangeRecord,
  replayToStates,
} from '@marketplace/analytics-aggregator';
import { encodeProductEvent, type ProductEvent, topicForEventType } from '@marketplace/product-events';
import { ReducerPool } from '@marketplace/worker-pool';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleMetrics } from '../../../aggregator/test/independentOracle.js';
import { eventually, kafkaClient, testStack, uniqueName } from '../../../local-stack/test/clients.js';
import { AggregateProcessor, type AggregateProcessorOptions } from '../../src/AggregateProcessor.js';
import { DEAD_LETTER_HEADERS } from '../../src/defaults.js';
import { InternalTopicError, ShutdownTimeoutError, TopicMismatchError } from '../../src/errors.js';
import type { LowStockAlert } from '../../src/lowStockAlertMessage.js';
import { MetricChangeConsumer } from '../../src/MetricChangeConsumer.js';
import { createTopicsAndWait } from '../../src/prepareTopics.js';
import type { BatchMetrics } from '../../src/types.js';
import {
  createInputTopics,
  deleteTopics,
  eventRecords,
  headerString,
  injectPoolFault,
  latestByKey,
  type OutgoingRecord,
  produceAll,
  readOutputs,
  readToEnd,
  type TestTopics,
  testTopics,
  waitUntilConsumed,
} from './helpers.js';

const PARTITIONS = 3;

let clock = 0;

function event(
  type: ProductEvent['type'],
  productId: string,
  version: number,
  data: Partial<{
    sellerId: string;
    category: string;
    priceCents: number;
    quantity: number;
    status: 'active' | 'inactive';
  }> = {},
): ProductEvent {
  clock += 1;
  const base = {
    eventId: randomUUID(),
    schemaVersion: 1 as const,
    productId,
    version,
    occurredAt: new Date(Date.UTC(2026, 10, 25, 10) + clock * 1_000).toISOString(),
  };
  if (type === 'product.deleted')
    return { ...base, type, data: { sellerId: data.sellerId ?? 's-1', category: data.category } };
  return {
    ...base,
    type,
    data: {
      sellerId: data.sellerId ?? 's-1',
      category: data.category ?? 'books',
      name: `name of ${productId}`,
      priceCents: data.priceCents ?? 1000,
      currency: 'USD',
      quantity: data.quantity ?? 20,
      status: data.status ?? 'active',
    },
  };
}

/** A small deterministic stream: `count` events over 40 products, updates moving stock up and down. */
function smallStream(count: number, offset = 0): ProductEvent[] {
  const events: ProductEvent[] = [];
  for (let i = offset; i < offset + count; i++) {
    const product = `p-${i % 40}`;
    const version = Math.floor(i / 40) + 1;
    const type = version === 1 ? 'product.created' : i % 13 === 0 ? 'product.deleted' : 'product.updated';
    events.push(
      event(type, product, version, {
        sellerId: `s-${i % 7}`,
        category: `c-${i % 5}`,
        quantity: (i * 7) % 25,
        priceCents: 100 + (i % 9) * 50,
      }),
    );
  }
  return events;
}

/** Processor options restoring on `threads` restore threads even for small changelogs; none: the main thread. */
function restoreOn(threads: number | undefined): Pick<AggregateProcessorOptions, 'restoreThreads'> {
  return threads === undefined
    ? {}
    : {
        restoreThreads: {
          threads,
          minRecordsPerThread: 1,
          kafkaConfig: { clientId: 'restore', brokers: testStack().kafkaBrokers },
        },
      };
}

describe('AggregateProcessor against a real broker', () => {
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

  function track(topics: TestTopics): TestTopics {
    created.push(...topics.all);
    return topics;
  }

  it('refuses to start when the input topics differ in partition count, naming topics and counts', async () => {
    const t = track(testTopics('mismatch'));
    await createTopicsAndWait(admin, [
      { topic: t.topics.created, numPartitions: 2 },
      { topic: t.topics.updated, numPartitions: 3 },
    ]);
    const processor = new AggregateProcessor({
      kafka,
      applicationId: uniqueName('app'),
      topics: t.topics,
      internalTopics: t.internalTopics,
      pool,
    });
    const failure = await processor.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TopicMismatchError);
    expect((failure as TopicMismatchError).partitionCounts).toEqual({
      [t.topics.created]: 2,
      [t.topics.updated]: 3,
      [t.topics.deleted]: null,
    });
    expect((failure as Error).message).toContain(`${t.topics.deleted}=missing`);
    expect(processor.ready).toBe(false);
  });

  it('refuses to start when internal topics are missing and createTopics is false', async () => {
    const t = track(testTopics('nocreate'));
    await createInputTopics(admin, t.topics, PARTITIONS);
    const processor = new AggregateProcessor({
      kafka,
      applicationId: uniqueName('app'),
      topics: t.topics,
      internalTopics: t.internalTopics,
      createTopics: false,
      pool,
    });
    const failure = await processor.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InternalTopicError);
    expect((failure as InternalTopicError).code).toBe('INTERNAL_TOPIC_INVALID');
    expect((await admin.listTopics()).includes(t.internalTopics.productState)).toBe(false);
  });

  it('refuses an internal changelog topic that is not compacted', async () => {
    const t = track(testTopics('notcompact'));
    await createInputTopics(admin, t.topics, PARTITIONS);
    await createTopicsAndWait(
      admin,
      Object.values(t.internalTopics).map((topic) => ({ topic, numPartitions: PARTITIONS })),
    );
    const processor = new AggregateProcessor({
      kafka,
      applicationId: uniqueName('app'),
      topics: t.topics,
      internalTopics: t.internalTopics,
      pool,
    });
    const failure = await processor.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InternalTopicError);
    expect((failure as Error).message).toMatch(/cleanup\.policy/);
  });

  it('refuses an internal topic whose partition count differs from the input topics', async () => {
    const t = track(testTopics('wrongcount'));
    await createInputTopics(admin, t.topics, PARTITIONS);
    await createTopicsAndWait(admin, [
      {
        topic: t.internalTopics.metricChanges,
        numPartitions: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ]);
    const processor = new AggregateProcessor({
      kafka,
      applicationId: uniqueName('app'),
      topics: t.topics,
      internalTopics: t.internalTopics,
      pool,
    });
    const failure = await processor.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InternalTopicError);
    expect((failure as InternalTopicError).topic).toBe(t.internalTopics.metricChanges);
    expect((failure as Error).message).toContain(`has 1 partitions, expected ${PARTITIONS}`);
  });

  it('retries a batch whose reduce failed and resumes from the changelog restored on restore threads after a restart, matching the oracle', async () => {
    const t = track(testTopics('restart'));
    await createInputTopics(admin, t.topics, PARTITIONS);
    const first = smallStream(400);
    const second = smallStream(400, 400);
    await produceAll(kafka, eventRecords(first, t));
    const applicationId = uniqueName('restart');
    const groupId = `${applicationId}-aggregate`;
    const retries: number[] = [];
    const restores: { states: number; records: number }[] = [];
    // The real pool's fault injection: the thread reducing the first batch exits (WorkerPoolError
    // WORKER_CRASHED, retryable); later batches run on a fresh thread.
    const flakyPool = new ReducerPool({ threads: 1, inlineBelow: 0 });
    injectPoolFault(flakyPool, 'exit');
    const make = (reducer: ReducerPool, restoreThreads?: number): AggregateProcessor =>
      new AggregateProcessor({
        kafka,
        applicationId,
        topics: t.topics,
        internalTopics: t.internalTopics,
        pool: reducer,
        retry: { minDelayMs: 10, maxDelayMs: 50 },
        ...restoreOn(restoreThreads),
        metrics: {
          onTransactionRetry: ({ attempt }) => retries.push(attempt),
          onRestore: ({ states, records: read }) => restores.push({ states, records: read }),
        },
      });

    const before = make(flakyPool);
    await before.start();
    try {
      await waitUntilConsumed(admin, groupId, Object.values(t.topics));
    } finally {
      await before.stop();
      await flakyPool.destroy();
    }
    // The injected crash was retried (a transient broker answer may add another retry).
    expect(retries.length).toBeGreaterThanOrEqual(1);

    await produceAll(kafka, eventRecords(second, t));
    const after = make(pool, 2);
    await after.start();
    try {
      await waitUntilConsumed(admin, groupId, Object.values(t.topics));
    } finally {
      await after.stop();
    }

    const restoredAfterRestart = restores.at(-1)!;
    expect(restoredAfterRestart.states).toBe(40);
    const { metricChanges } = await readOutputs(kafka, admin, t.internalTopics);
    const changes = metricChanges.map((r) => decodeMetricChange(r.value!));
    expect(foldMetricChanges(changes)).toEqual(oracleMetrics([...first, ...second]));
  });

  it.each([
    ['on the main thread', undefined],
    ['on restore threads', 2],
  ])(
    'reports a group it cannot restore (a changelog record that is not a product state) %s once through onFatal, committing nothing for it',
    async (_, restoreThreads) => {
      const t = track(testTopics('corrupt'));
      await createInputTopics(admin, t.topics, PARTITIONS);
      await createTopicsAndWait(admin, [
        {
          topic: t.internalTopics.productState,
          numPartitions: PARTITIONS,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ]);
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({
        topic: t.internalTopics.productState,
        messages: [{ key: 'p-1', value: '{"not":"a product state"}', partition: 0 }],
      });
      await producer.disconnect();
      await produceAll(kafka, eventRecords(smallStream(60), t));
      const applicationId = uniqueName('corrupt');
      const fatal: unknown[] = [];
      const processor = new AggregateProcessor({
        kafka,
        applicationId,
        topics: t.topics,
        internalTopics: t.internalTopics,
        pool,
        onFatal: (error) => fatal.push(error),
        ...restoreOn(restoreThreads),
      });
      await processor.start();
      try {
        const error = await eventually(() => fatal[0]);
        expect(error).toMatchObject({ code: 'RESTORE_FAILED', retryable: false, groups: [0] });
        expect(processor.ready).toBe(false);
      } finally {
        await processor.stop();
      }
      expect(fatal).toHaveLength(1);
      const committed = await admin.fetchOffsets({
        groupId: `${applicationId}-aggregate`,
        topics: Object.values(t.topics),
      });
      for (const { partitions } of committed) {
        expect(partitions.find((p) => p.partition === 0)?.offset).toBe('-1');
      }
    },
  );

  it('stops within the shutdown bound while a batch is stuck', async () => {
    const t = track(testTopics('stuck'));
    await createInputTopics(admin, t.topics, PARTITIONS);
    await produceAll(kafka, eventRecords(smallStream(10), t));
    // The real pool with a thread stuck in the first batch it reduces.
    const stuckPool = new ReducerPool({ threads: 1, inlineBelow: 0 });
    injectPoolFault(stuckPool, 'hang');
    const processor = new AggregateProcessor({
      kafka,
      applicationId: uniqueName('stuck'),
      topics: t.topics,
      internalTopics: t.internalTopics,
      pool: stuckPool,
      shutdownTimeoutMs: 1_000,
    });
    await processor.start();
    await eventually(() => (stuckPool.utilization().busy > 0 ? true : undefined));
    const outcome = await processor.stop().then(
      () => 'stopped',
      (error: unknown) => error,
    );
    await stuckPool.destroy();
    expect(outcome).toBeInstanceOf(ShutdownTimeoutError);
    expect((outcome as ShutdownTimeoutError).timeoutMs).toBe(1_000);
    expect(processor.ready).toBe(false);
  });

  it('produces states, metric changes, alerts and dead letters for a small stream, and stage 2 reads them', async () => {
    const t = track(testTopics('small'));
    await createInputTopics(admin, t.topics, PARTITIONS);
    const events: ProductEvent[] = [
      event('product.created', 'p-1', 1, { quantity: 20 }),
      event('product.updated', 'p-1', 2, { quantity: 5 }),
      event('product.created', 'p-2', 1, { category: 'toys', quantity: 3, priceCents: 250 }),
      event('product.deleted', 'p-3', 1, { sellerId: 's-2' }),
      event('product.updated', 'p-4', 3, {
        sellerId: 's-2',
        category: 'games',
        quantity: 40,
        status: 'inactive',
      }),
    ];
    // p-2's create is delivered twice (a producer retry): the second copy is a duplicate.
    const records: OutgoingRecord[] = [...events, events[2]!].map((e) => ({
      topic: topicForEventType(e.type, t.topics),
      ...encodeProductEvent(e),
    }));
    const malformed: OutgoingRecord = {
      topic: t.topics.created,
      key: 'p-9',
      value: 'this is not json',
      headers: { 'content-type': 'application/json', 'event-type': 'product.created', 'schema-version': '1' },
    };
    const mismatched = {
      ...encodeProductEvent(event('product.updated', 'p-7', 1)),
      key: 'p-8',
      topic: t.topics.updated,
    };
    await produceAll(kafka, [...records, malformed, mismatched]);

    const batches: BatchMetrics[] = [];
    const applicationId = uniqueName('app');
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
      await eventually(() => (processor.ready ? true : undefined));
      expect(processor.assignedGroups).toEqual([0, 1, 2]);
      expect(processor.groupCount).toBe(PARTITIONS);
      await waitUntilConsumed(admin, `${applicationId}-aggregate`, Object.values(t.topics));
    } finally {
      await processor.stop();
    }
    expect(processor.ready).toBe(false);
    // Every input message exactly once (the test producer may itself have retried and duplicated some).
    let inputMessages = 0;
    for (const topic of Object.values(t.topics)) {
      for (const { high } of await admin.fetchTopicOffsets(topic)) inputMessages += Number(high);
    }
    expect(inputMessages).toBeGreaterThanOrEqual(records.length + 2);
    expect(batches.reduce((a, b) => a + b.messages, 0)).toBe(inputMessages);
    expect(batches.reduce((a, b) => a + b.duplicate, 0)).toBeGreaterThanOrEqual(1);

    const expectedStates = replayToStates(events);
    const oracle = oracleMetrics(events);

    const changelog = latestByKey(await readToEnd(kafka, admin, t.internalTopics.productState));
    expect(new Map([...changelog].map(([k, v]) => [k, decodeProductState(v!)]))).toEqual(expectedStates);

    const alerts = (await readToEnd(kafka, admin, t.internalTopics.lowStockAlerts)).map(
      (r) => JSON.parse(r.value!.toString()) as LowStockAlert,
    );
    expect(alerts.sort((a, b) => a.productId.localeCompare(b.productId))).toEqual([
      {
        productId: 'p-1',
        sellerId: 's-1',
        category: 'books',
        quantity: 5,
        threshold: 10,
        occurredAt: events[1]!.occurredAt,
        version: 2,
      },
      {
        productId: 'p-2',
        sellerId: 's-1',
        category: 'toys',
        quantity: 3,
        threshold: 10,
        occurredAt: events[2]!.occurredAt,
        version: 1,
      },
    ]);

    const dead = await readToEnd(kafka, admin, t.internalTopics.deadLetter);
    expect(dead.map((r) => headerString(r.headers, DEAD_LETTER_HEADERS.errorCode)).sort()).toEqual([
      'INVALID_JSON',
      'KEY_MISMATCH',
    ]);
    const notJson = dead.find(
      (r) => headerString(r.headers, DEAD_LETTER_HEADERS.errorCode) === 'INVALID_JSON',
    )!;
    expect(notJson.value?.toString()).toBe('this is not json');
    expect(notJson.key?.toString()).toBe('p-9');
    expect(headerString(notJson.headers, DEAD_LETTER_HEADERS.sourceTopic)).toBe(t.topics.created);
    expect(headerString(notJson.headers, 'event-type')).toBe('product.created');
    expect(headerString(notJson.headers, DEAD_LETTER_HEADERS.sourceOffset)).toMatch(/^\d+$/);
    expect(headerString(notJson.headers, DEAD_LETTER_HEADERS.sourcePartition)).toMatch(/^\d+$/);
    expect(headerString(notJson.headers, DEAD_LETTER_HEADERS.errorMessage)).toBeTruthy();

    // Stage 2 loop: reads the committed metric changes, hands them over, commits.
    const received: MetricChangeRecord[] = [];
    const sinkGroup = uniqueName('sink');
    const loop = new MetricChangeConsumer({
      kafka,
      groupId: sinkGroup,
      topic: t.internalTopics.metricChanges,
      handleBatch: async (batch) => {
        received.push(...batch);
      },
    });
    await loop.start();
    try {
      await waitUntilConsumed(admin, sinkGroup, [t.internalTopics.metricChanges]);
      await eventually(() => (loop.ready ? true : undefined));
    } finally {
      await loop.stop();
    }
    const ordered = [...received].sort(
      (a, b) =>
        a.source.partition - b.source.partition || Number(BigInt(a.source.offset) - BigInt(b.source.offset)),
    );
    expect(foldMetricChanges(ordered)).toEqual(oracle);
    expect(
      ordered.every(
        (r) => r.source.topic === t.internalTopics.metricChanges && r.group === r.source.partition,
      ),
    ).toBe(true);
  });
});
