/**
 * rescalePipeline and resetPipeline in process against the real broker (the end-to-end runs
 * through the app, with the service and a SIGKILL, are in apps/analytics-service/test).
 */
import { randomUUID } from 'node:crypto';
import { decodeProductState, encodeProductState, type ProductState } from '@marketplace/analytics-aggregator';
import { encodeProductEvent, type ProductEvent } from '@marketplace/product-events';
import { ReducerPool } from '@marketplace/worker-pool';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient } from '../../../local-stack/test/clients.js';
import { consumeToEnd } from '../../src/consumeToEnd.js';
import { partitionForKey } from '../../src/partitioners.js';
import { readPipelineEpoch, startNewEpoch } from '../../src/pipelineEpoch.js';
import { createTopicsAndWait } from '../../src/prepareTopics.js';
import { rescalePipeline } from '../../src/rescalePipeline.js';
import { resetPipeline } from '../../src/resetPipeline.js';
import { createInputTopics, deleteTopics, testTopics } from './helpers.js';

let kafka: Kafka;
let admin: Admin;
const pool = new ReducerPool({ inline: true });
const created: string[] = [];

const state = (productId: string, quantity: number): ProductState => ({
  productId,
  version: 1,
  sellerId: 's-1',
  category: 'books',
  priceCents: 100,
  currency: 'USD',
  quantity,
  status: 'active',
  deleted: false,
  updatedAt: '2026-11-27T10:00:00.000Z',
});

const update = (productId: string, version: number, quantity: number): ProductEvent => ({
  eventId: randomUUID(),
  type: 'product.updated',
  schemaVersion: 1,
  occurredAt: '2026-11-27T11:00:00.000Z',
  productId,
  version,
  data: {
    sellerId: 's-1',
    category: 'books',
    name: 'n',
    priceCents: 100,
    currency: 'USD',
    quantity,
    status: 'active',
  },
});

async function readPartitions(
  topic: string,
): Promise<Map<string, { partition: number; state: ProductState }>> {
  const found = new Map<string, { partition: number; state: ProductState }>();
  await consumeToEnd({
    kafka,
    topic,
    groupId: `read-${randomUUID()}`,
    deleteGroup: true,
    eachBatch: ({ partition, messages }) => {
      for (const m of messages) {
        if (m.key && m.key.length > 0 && m.value) {
          found.set(m.key.toString(), { partition, state: decodeProductState(m.value) });
        }
      }
      return true;
    },
  });
  return found;
}

beforeAll(async () => {
  kafka = kafkaClient();
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await deleteTopics(admin, created);
  await admin.disconnect();
  await pool.destroy();
});

describe('rescalePipeline', () => {
  it('repartitions the changelog, applies pending input and commits it, under a new epoch', async () => {
    const { topics, internalTopics, all } = testTopics('rescale');
    const epochTopic = `${internalTopics.productState}.epoch`;
    created.push(...all, epochTopic, `${internalTopics.productState}.rescale-e1`);
    const applicationId = `app-${randomUUID()}`;
    await createInputTopics(admin, topics, 2);
    await createTopicsAndWait(admin, [
      {
        topic: internalTopics.productState,
        numPartitions: 2,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ]);
    const ids = Array.from({ length: 40 }, (_, i) => `p-${i}`);
    // Idempotent: a retry while the new partitions elect leaders must not write a record twice.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: internalTopics.productState,
      messages: ids.map((id) => ({
        key: id,
        value: encodeProductState(state(id, 20)),
        partition: partitionForKey('murmur2', Buffer.from(id), 2),
      })),
    });
    await admin.createPartitions({
      topicPartitions: Object.values(topics).map((topic) => ({ topic, count: 4 })),
    });
    // The new partitions reach the metadata a little later.
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: Object.values(topics) });
      if (metadata.every((t) => t.partitions.length === 4 && t.partitions.every((p) => p.leader >= 0))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Pending input, produced after the growth by kafkajs's default (murmur2) partitioner.
    await producer.send({
      topic: topics.updated,
      messages: ids.slice(0, 20).map((id) => encodeProductEvent(update(id, 2, 3))),
    });
    await producer.disconnect();
    const options = {
      kafka,
      applicationId,
      sinkGroupId: `${applicationId}-sink`,
      topics,
      internalTopics,
      epochTopic,
      pool,
    };
    const progress: string[] = [];

    await expect(rescalePipeline({ ...options, partitioner: 'crc32', apply: false })).rejects.toMatchObject({
      code: 'PARTITIONER_MISMATCH',
      message: expect.stringContaining('--partitioner murmur2'),
    });
    const plan = await rescalePipeline({ ...options, apply: false });
    expect(plan).toMatchObject({
      outcome: 'planned',
      fromPartitions: 2,
      toPartitions: 4,
      nextEpoch: 1,
      products: 40,
      pendingRecords: 20,
    });
    expect(
      await readPipelineEpoch({ kafka, topic: epochTopic, groupIdPrefix: applicationId }),
    ).toBeUndefined();

    const done = await rescalePipeline({
      ...options,
      apply: true,
      onProgress: (p) => progress.push(p.phase),
    });

    expect(done).toMatchObject({
      outcome: 'rescaled',
      products: 40,
      pendingRecords: 20,
      invalidPendingRecords: 0,
    });
    expect(progress).toEqual(
      expect.arrayContaining(['reading-input', 'reading-changelog', 'staging', 'writing-changelog', 'done']),
    );
    const states = await readPartitions(internalTopics.productState);
    expect(states.size).toBe(40);
    for (const [id, { partition, state: s }] of states) {
      expect(partition).toBe(partitionForKey('murmur2', Buffer.from(id), 4));
      expect(s.quantity).toBe(ids.indexOf(id) < 20 ? 3 : 20);
    }
    const [committed] = await admin.fetchOffsets({
      groupId: `${applicationId}-aggregate`,
      topics: [topics.updated],
    });
    const ends = await admin.fetchTopicOffsets(topics.updated);
    expect(committed?.partitions.map((p) => p.offset).sort()).toEqual(ends.map((e) => e.high).sort());
    expect(await readPipelineEpoch({ kafka, topic: epochTopic, groupIdPrefix: applicationId })).toMatchObject(
      {
        epoch: 1,
        partitions: 4,
        reason: 'rescale',
      },
    );
    expect((await admin.listTopics()).filter((t) => t.includes('.rescale-e'))).not.toContain(
      `${internalTopics.productState}.rescale-e1`,
    );
    expect(await rescalePipeline({ ...options, apply: true })).toMatchObject({
      outcome: 'nothing-to-do',
      epoch: 1,
    });

    const reset = await resetPipeline({ ...options, apply: true });
    expect(reset).toMatchObject({ outcome: 'reset', epoch: 1, nextEpoch: 2, partitions: 4 });
    expect((await readPartitions(internalTopics.productState)).size).toBe(0);
    const [fromStart] = await admin.fetchOffsets({
      groupId: `${applicationId}-aggregate`,
      topics: [topics.updated],
    });
    expect(fromStart?.partitions.every((p) => p.offset === '0')).toBe(true);
  }, 300_000);

  it('plans without changing anything, refuses a missing changelog, dead-letters invalid pending input, and resumes a staged reset', async () => {
    const { topics, internalTopics, all } = testTopics('rescale-edges');
    const epochTopic = `${internalTopics.productState}.epoch`;
    created.push(...all, epochTopic, `${internalTopics.productState}.rescale-e1`);
    const applicationId = `app-${randomUUID()}`;
    await createInputTopics(admin, topics, 2);
    const options = {
      kafka,
      applicationId,
      sinkGroupId: `${applicationId}-sink`,
      topics,
      internalTopics,
      epochTopic,
      pool,
    };

    // No changelog yet: there is nothing to rescale.
    await expect(rescalePipeline({ ...options, apply: true })).rejects.toMatchObject({
      code: 'INTERNAL_TOPIC_INVALID',
      message: expect.stringContaining('there is no state to rescale'),
    });

    await createTopicsAndWait(admin, [
      {
        topic: internalTopics.productState,
        numPartitions: 2,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ]);
    await admin.createPartitions({
      topicPartitions: Object.values(topics).map((topic) => ({ topic, count: 4 })),
    });
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: Object.values(topics) });
      if (metadata.every((t) => t.partitions.length === 4 && t.partitions.every((p) => p.leader >= 0))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: topics.updated,
      messages: [
        encodeProductEvent(update('p-1', 2, 3)),
        {
          key: 'p-2',
          value: '{"not":"an event"',
          partition: partitionForKey('murmur2', Buffer.from('p-2'), 4),
        },
      ],
    });
    await producer.disconnect();

    // Without --yes: a plan, nothing written.
    expect(await resetPipeline({ ...options, apply: false })).toMatchObject({
      outcome: 'planned',
      epoch: 0,
      nextEpoch: 1,
      partitions: 4,
      inputRecords: 2,
    });
    const done = await rescalePipeline({ ...options, apply: true });
    expect(done).toMatchObject({ outcome: 'rescaled', pendingRecords: 2, invalidPendingRecords: 1 });
    const deadLetters: string[] = [];
    await consumeToEnd({
      kafka,
      topic: internalTopics.deadLetter,
      groupId: `read-${randomUUID()}`,
      deleteGroup: true,
      eachBatch: ({ messages }) => {
        for (const m of messages) deadLetters.push(String(m.key));
        return true;
      },
    });
    expect(deadLetters).toEqual(['p-2']);

    // A reset interrupted after its staged marker is redone, under the same epoch.
    await startNewEpoch({
      kafka,
      topic: epochTopic,
      groupIdPrefix: `${applicationId}-aggregate`,
      partitions: 4,
      reason: 'reset',
      epoch: 2,
      phase: 'staged',
    });
    expect(await rescalePipeline({ ...options, apply: false })).toMatchObject({ outcome: 'nothing-to-do' });
    expect(await resetPipeline({ ...options, apply: true })).toMatchObject({
      outcome: 'resumed',
      epoch: 2,
      nextEpoch: 2,
    });
    expect(
      await readPipelineEpoch({ kafka, topic: epochTopic, groupIdPrefix: `${applicationId}-aggregate` }),
    ).toMatchObject({
      epoch: 2,
      reason: 'reset',
    });
  }, 300_000);
});
