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
import { DEAD_LETTER_HEADERS } from '../../src/defaults.js';
import { PipelineEpochWatch } from '../../src/PipelineEpochWatch.js';
import { partitionForKey } from '../../src/partitioners.js';
import {
  encodeGroupEpochMarker,
  GROUP_EPOCH_KEY,
  readPipelineEpoch,
  startNewEpoch,
} from '../../src/pipelineEpoch.js';
import { createTopicsAndWait } from '../../src/prepareTopics.js';
import { rerouteMessage } from '../../src/rerouteMessage.js';
import { rescalePipeline, stagingTopicOf } from '../../src/rescalePipeline.js';
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

/**
 * Grows the input topics to `count` partitions and waits until every new one answers offset
 * requests: a leader in the metadata is not enough, its broker may still answer NOT_LEADER for a
 * moment (the tools read the offsets without retrying, as they run long after a growth).
 */
async function growInputs(topics: Record<string, string>, count: number): Promise<void> {
  await admin.createPartitions({
    topicPartitions: Object.values(topics).map((topic) => ({ topic, count })),
  });
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: Object.values(topics) });
    const led = metadata.every(
      (t) => t.partitions.length === count && t.partitions.every((p) => p.leader >= 0),
    );
    if (led) {
      const answered = await Promise.all(
        Object.values(topics).map((topic) =>
          admin.fetchTopicOffsets(topic).then(
            (offsets) => offsets.length === count,
            () => false,
          ),
        ),
      );
      if (answered.every(Boolean)) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the input topics did not reach ${count} partitions answering offset requests in 30 s`);
}

/** A compacted topic of `partitions` partitions (a changelog or a staging changelog). */
async function createCompacted(topic: string, partitions: number): Promise<void> {
  await createTopicsAndWait(admin, [
    {
      topic,
      numPartitions: partitions,
      replicationFactor: 1,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
  ]);
}

/** Records a changelog holds besides states: a tombstone of `gone` and a group epoch marker. */
function changelogExtras(gone: string, partition: number) {
  return [
    { key: gone, value: encodeProductState(state(gone, 1)), partition },
    { key: gone, value: null, partition },
    { key: GROUP_EPOCH_KEY, value: encodeGroupEpochMarker(0), partition },
  ];
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
  it('refuses to run when an input topic is missing', async () => {
    const { topics, internalTopics } = testTopics('rescale-missing');
    await createTopicsAndWait(admin, [{ topic: topics.created, numPartitions: 2, replicationFactor: 1 }]);
    created.push(topics.created);
    const applicationId = `app-${randomUUID()}`;
    const options = {
      kafka,
      applicationId,
      sinkGroupId: `${applicationId}-sink`,
      topics,
      internalTopics,
      epochTopic: `${internalTopics.productState}.epoch`,
      pool,
    };

    await expect(resetPipeline({ ...options, apply: false })).rejects.toMatchObject({
      code: 'TOPIC_MISMATCH',
      partitionCounts: { [topics.created]: 2, [topics.updated]: null, [topics.deleted]: null },
    });
  });

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
    await growInputs(topics, 4);
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
    await growInputs(topics, 4);
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

  it('samples only the records before the committed offsets, applies pending reroute records, and names a reroute dead letter by its source', async () => {
    const { topics, internalTopics, all } = testTopics('rescale-committed');
    const epochTopic = `${internalTopics.productState}.epoch`;
    created.push(...all, epochTopic, stagingTopicOf(internalTopics.productState, 1));
    const applicationId = `app-${randomUUID()}`;
    const groupId = `${applicationId}-aggregate`;
    await createInputTopics(admin, topics, 2);
    await createCompacted(internalTopics.productState, 2);
    await createTopicsAndWait(admin, [
      { topic: internalTopics.reroute, numPartitions: 2, replicationFactor: 1 },
    ]);
    const ids = Array.from({ length: 10 }, (_, i) => `p-${i}`);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: internalTopics.productState,
      messages: [
        ...ids.map((id) => ({
          key: id,
          value: encodeProductState(state(id, 20)),
          partition: partitionForKey('murmur2', Buffer.from(id), 2),
        })),
        ...changelogExtras('p-gone', 0),
      ],
    });
    // Consumed and committed before the growth: sampled (the last two), never applied again.
    await producer.send({
      topic: topics.created,
      messages: [2, 3, 4].map((v) => ({ ...encodeProductEvent(update('p-0', v, 1)), partition: 0 })),
    });
    await admin.setOffsets({ groupId, topic: topics.created, partitions: [{ partition: 0, offset: '3' }] });
    await growInputs(topics, 4);
    // After the growth: first one record on a new partition that neither partitioner explains ...
    const [stray] = Array.from({ length: 100 }, (_, i) => `q-${i}`).filter(
      (id) =>
        ![
          partitionForKey('murmur2', Buffer.from(id), 4),
          partitionForKey('crc32', Buffer.from(id), 4),
        ].includes(2),
    );
    await producer.send({
      topic: topics.updated,
      messages: [{ ...encodeProductEvent(update(stray!, 2, 3)), partition: 2 }],
    });
    // ... then ten by the default (murmur2) partitioner and a keyless one (invalid, not sampled).
    await producer.send({
      topic: topics.updated,
      messages: [
        ...ids.map((id) => encodeProductEvent(update(id, 2, 3))),
        { key: null, value: Buffer.from('{}'), partition: 0 },
      ],
    });
    // Pending on the reroute topic: p-5 forwarded by a member, and an invalid record forwarded.
    const forwarded = (key: string, value: Buffer, offset: string) =>
      rerouteMessage(
        { topic: topics.updated, partition: 1 },
        {
          key: Buffer.from(key),
          value,
          offset,
          timestamp: String(Date.now()),
          attributes: 0,
          headers: {},
        } as never,
        partitionForKey('murmur2', Buffer.from(key), 2),
      );
    await producer.send({
      topic: internalTopics.reroute,
      messages: [
        forwarded('p-5', Buffer.from(encodeProductEvent(update('p-5', 3, 7)).value), '17'),
        forwarded('p-bad', Buffer.from('{"not":"an event"'), '18'),
      ],
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
      sampleSize: 2,
    };

    // Ten of the eleven sampled records follow murmur2: not every one, and crc32 does not either.
    await expect(rescalePipeline({ ...options, minMatchShare: 1, apply: false })).rejects.toMatchObject({
      code: 'PARTITIONER_MISMATCH',
      message: expect.stringContaining('nor crc32: fix the producers first'),
    });
    const done = await rescalePipeline({ ...options, apply: true });

    expect(done).toMatchObject({
      outcome: 'rescaled',
      fromPartitions: 2,
      toPartitions: 4,
      sample: { records: 11, matches: { murmur2: 10 } },
      pendingRecords: 14,
      invalidPendingRecords: 2,
    });
    const states = await readPartitions(internalTopics.productState);
    expect(done.products).toBe(states.size);
    expect(states.has('p-gone')).toBe(false);
    for (const id of ids) {
      const found = states.get(id);
      expect(found?.partition).toBe(partitionForKey('murmur2', Buffer.from(id), 4));
      expect(found?.state.quantity).toBe(id === 'p-5' ? 7 : 3);
    }
    const deadLetters: { key: string; source: string | undefined; offset: string | undefined }[] = [];
    await consumeToEnd({
      kafka,
      topic: internalTopics.deadLetter,
      groupId: `read-${randomUUID()}`,
      deleteGroup: true,
      eachBatch: ({ messages }) => {
        for (const m of messages) {
          deadLetters.push({
            key: String(m.key),
            source: m.headers?.[DEAD_LETTER_HEADERS.sourceTopic]?.toString(),
            offset: m.headers?.[DEAD_LETTER_HEADERS.sourceOffset]?.toString(),
          });
        }
        return true;
      },
    });
    expect(deadLetters).toEqual(
      expect.arrayContaining([{ key: 'p-bad', source: topics.updated, offset: '18' }]),
    );
    expect(deadLetters).toHaveLength(2);
  }, 300_000);

  it('finishes a rescale interrupted after its staged marker from the staging topic', async () => {
    const { topics, internalTopics, all } = testTopics('rescale-resume');
    const epochTopic = `${internalTopics.productState}.epoch`;
    const staging = stagingTopicOf(internalTopics.productState, 1);
    created.push(...all, epochTopic, staging);
    const applicationId = `app-${randomUUID()}`;
    const groupId = `${applicationId}-aggregate`;
    await createInputTopics(admin, topics, 4);
    await createCompacted(internalTopics.productState, 2);
    // What the crashed run left: the staged states at their new partitions, and the staged epoch.
    await createCompacted(staging, 4);
    const ids = Array.from({ length: 12 }, (_, i) => `p-${i}`);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: staging,
      messages: [
        ...ids.map((id) => ({
          key: id,
          value: encodeProductState(state(id, 4)),
          partition: partitionForKey('murmur2', Buffer.from(id), 4),
        })),
        ...changelogExtras('p-gone', partitionForKey('murmur2', Buffer.from('p-gone'), 4)),
      ],
    });
    await producer.disconnect();
    await startNewEpoch({
      kafka,
      topic: epochTopic,
      groupIdPrefix: groupId,
      partitions: 4,
      reason: 'rescale',
      epoch: 1,
      phase: 'staged',
    });
    const options = {
      kafka,
      applicationId,
      sinkGroupId: `${applicationId}-sink`,
      topics,
      internalTopics,
      epochTopic,
      pool,
    };
    const watch = new PipelineEpochWatch({
      kafka,
      topic: epochTopic,
      groupIdPrefix: groupId,
      admin: () => admin,
    });

    // Stage 1 refuses to start on a staged epoch.
    await expect(watch.read()).rejects.toMatchObject({
      code: 'INTERNAL_TOPIC_INVALID',
      message: expect.stringContaining('a rescale to epoch 1 has not finished'),
    });
    expect(await rescalePipeline({ ...options, apply: false })).toMatchObject({
      outcome: 'planned',
      epoch: 1,
      nextEpoch: 1,
      products: 0,
    });
    const progress: string[] = [];
    const done = await rescalePipeline({
      ...options,
      apply: true,
      onProgress: (p) => progress.push(p.phase),
    });

    expect(done).toMatchObject({
      outcome: 'resumed',
      fromPartitions: undefined,
      epoch: 1,
      nextEpoch: 1,
      products: 12,
    });
    expect(progress).toEqual(expect.arrayContaining(['reading-changelog', 'writing-changelog', 'done']));
    const states = await readPartitions(internalTopics.productState);
    expect([...states.keys()].sort()).toEqual([...ids].sort());
    for (const [id, { partition }] of states)
      expect(partition).toBe(partitionForKey('murmur2', Buffer.from(id), 4));
    expect(await readPipelineEpoch({ kafka, topic: epochTopic, groupIdPrefix: groupId })).toMatchObject({
      epoch: 1,
      partitions: 4,
      reason: 'rescale',
    });
    expect(await readPipelineEpoch({ kafka, topic: epochTopic, groupIdPrefix: groupId })).not.toHaveProperty(
      'phase',
      'staged',
    );
    expect(await admin.listTopics()).not.toContain(staging);
    expect(await watch.read()).toBe(1);
  }, 300_000);
});
