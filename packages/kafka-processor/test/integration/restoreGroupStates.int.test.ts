import { encodeProductState, type ProductState } from '@marketplace/analytics-aggregator';
import { SILENT_LOGGER } from '@marketplace/options';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient, uniqueName } from '../../../local-stack/test/clients.js';
import { RestoreError } from '../../src/errors.js';
import { encodeGroupEpochMarker } from '../../src/pipelineEpoch.js';
import { createTopicsAndWait } from '../../src/prepareTopics.js';
import { restoreGroupStates } from '../../src/restoreGroupStates.js';
import { deleteTopics } from './helpers.js';

function state(productId: string, version: number, quantity = 5): ProductState {
  return {
    productId,
    version,
    sellerId: 's-1',
    category: 'books',
    priceCents: 100,
    currency: 'USD',
    quantity,
    status: 'active',
    deleted: false,
    updatedAt: `2026-11-25T10:00:0${version % 10}.000Z`,
  };
}

describe('restoreGroupStates', () => {
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

  async function changelog(partitions: number): Promise<string> {
    const topic = uniqueName('changelog');
    topics.push(topic);
    await createTopicsAndWait(admin, [
      { topic, numPartitions: partitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ]);
    return topic;
  }

  const options = (topic: string, groups: number[], timeoutMs = 30_000) => ({
    kafka,
    admin,
    topic,
    groups,
    groupIdPrefix: uniqueName('restore'),
    timeoutMs,
    logger: SILENT_LOGGER,
  });

  it('restores the latest committed state per product of each group, skipping aborted writes and tombstoned keys', async () => {
    const topic = await changelog(3);
    const transactionalId = uniqueName('tx');
    const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({
      topic,
      messages: [
        { key: 'p-1', value: encodeProductState(state('p-1', 1)), partition: 0 },
        { key: 'p-2', value: encodeProductState(state('p-2', 1)), partition: 0 },
        { key: 'p-1', value: encodeProductState(state('p-1', 2, 7)), partition: 0 },
        { key: 'p-3', value: encodeProductState(state('p-3', 4)), partition: 1 },
      ],
    });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({
      topic,
      messages: [{ key: 'p-1', value: encodeProductState(state('p-1', 9)), partition: 0 }],
    });
    await aborted.abort();
    const tombstone = await producer.transaction();
    await tombstone.send({ topic, messages: [{ key: 'p-2', value: null, partition: 0 }] });
    await tombstone.commit();
    await producer.disconnect();
    // As in the processor, restore while holding the group's producer: initialising it waits for
    // the commit markers of earlier transactions, which the broker writes after commit() returns.
    const holder = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await holder.connect();
    await (await holder.transaction()).abort();

    const restored = await restoreGroupStates(options(topic, [0, 1, 2])).finally(() => holder.disconnect());

    expect(restored.get(0)!.states).toEqual(new Map([['p-1', state('p-1', 2, 7)]]));
    expect(restored.get(0)!.records).toBe(4);
    expect(restored.get(1)!.states).toEqual(new Map([['p-3', state('p-3', 4)]]));
    expect(restored.get(2)!.states.size).toBe(0);
  });

  it('reads a record whose key is empty as the epoch marker, never as a product, and skips one that is not a marker', async () => {
    const topic = await changelog(1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: '', value: encodeGroupEpochMarker(3), partition: 0 },
        { key: '', value: encodeProductState(state('p-0', 1)), partition: 0 },
        { key: 'p-1', value: encodeProductState(state('p-1', 1)), partition: 0 },
      ],
    });
    await producer.disconnect();

    const restored = await restoreGroupStates(options(topic, [0]));

    expect(restored.get(0)!.states).toEqual(new Map([['p-1', state('p-1', 1)]]));
    expect(restored.get(0)!.records).toBe(1);
    expect(restored.get(0)!.epoch).toBe(3);
  });

  it('reads a tombstoned epoch marker as epoch 0', async () => {
    const topic = await changelog(1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: '', value: encodeGroupEpochMarker(3), partition: 0 },
        { key: '', value: null, partition: 0 },
      ],
    });
    await producer.disconnect();

    const restored = await restoreGroupStates(options(topic, [0]));

    expect(restored.get(0)!.epoch).toBe(0);
    expect(restored.get(0)!.states.size).toBe(0);
  });

  it('fails without retrying when a changelog record is not a product state', async () => {
    const topic = await changelog(1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'p-1', value: 'garbage', partition: 0 }] });
    await producer.disconnect();

    const failure = await restoreGroupStates(options(topic, [0])).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RestoreError);
    expect((failure as RestoreError).retryable).toBe(false);
    expect((failure as RestoreError).groups).toEqual([0]);
  });

  it('fails retryably when the end of the changelog is not reached in time', async () => {
    const topic = await changelog(1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ key: 'p-1', value: encodeProductState(state('p-1', 1)), partition: 0 }],
    });
    await producer.disconnect();

    const failure = await restoreGroupStates(options(topic, [0], 1)).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RestoreError);
    expect((failure as RestoreError).retryable).toBe(true);
  });

  it('refuses a group the changelog has no partition for', async () => {
    const topic = await changelog(1);
    await expect(restoreGroupStates(options(topic, [3]))).rejects.toMatchObject({
      code: 'RESTORE_FAILED',
      retryable: false,
    });
  });
});
