import type { Admin, Consumer, EachMessagePayload, Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kafkaClient, uniqueName } from '../clients.js';

const CONFIG_RESOURCE_TOPIC = 2; // kafkajs ConfigResourceTypes.TOPIC

describe('local Kafka broker with kafkajs', () => {
  const kafka = kafkaClient('local-stack-kafka-test');
  let admin: Admin;
  const topics: string[] = [];
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  afterAll(async () => {
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.disconnect();
  });

  async function createTopic(
    prefix: string,
    numPartitions = 1,
    configEntries: { name: string; value: string }[] = [],
  ) {
    const topic = uniqueName(prefix);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions, configEntries }] });
    topics.push(topic);
    return topic;
  }

  async function connectedProducer(config: Parameters<typeof kafka.producer>[0] = {}): Promise<Producer> {
    const producer = kafka.producer(config);
    await producer.connect();
    closers.push(() => producer.disconnect());
    return producer;
  }

  async function collect(consumer: Consumer, topic: string, count: number, timeoutMs = 30_000) {
    const seen: EachMessagePayload[] = [];
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async (payload) => {
        seen.push(payload);
      },
    });
    return eventually(() => (seen.length >= count ? seen : undefined), timeoutMs);
  }

  it('describes a one-broker cluster', async () => {
    const cluster = await admin.describeCluster();

    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.controller).toBe(cluster.brokers[0]?.nodeId);
  });

  it('delivers produced messages to a consumer group and commits its offsets', async () => {
    const topic = await createTopic('produce-consume', 3);
    const groupId = uniqueName('group');
    const producer = await connectedProducer();
    const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` }));

    await producer.send({ topic, messages });
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    closers.push(() => consumer.disconnect());
    const seen = await collect(consumer, topic, messages.length);

    // At-least-once: a rebalance may re-deliver, so compare the distinct values.
    const values = new Set(seen.map((m) => m.message.value?.toString()));
    expect([...values].sort()).toEqual(messages.map((m) => m.value).sort());
    // Messages with one key stay in one partition, in production order.
    const byKey = new Map<string, EachMessagePayload[]>();
    for (const m of seen) byKey.set(String(m.message.key), [...(byKey.get(String(m.message.key)) ?? []), m]);
    for (const deliveries of byKey.values()) {
      expect(new Set(deliveries.map((d) => d.partition)).size).toBe(1);
      const offsets = [...new Set(deliveries.map((d) => Number(d.message.offset)))];
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
    await consumer.stop();
    const offsets = await eventually(async () => {
      const fetched = await admin.fetchOffsets({ groupId, topics: [topic] });
      const total = fetched[0]?.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) ?? 0;
      return total === messages.length ? total : undefined;
    });
    expect(offsets).toBe(messages.length);
  });

  it('hides aborted transactions from a read_committed consumer and commits offsets with sendOffsets', async () => {
    const input = await createTopic('tx-input');
    const output = await createTopic('tx-output');
    const groupId = uniqueName('tx-group');
    const transactional = await connectedProducer({
      transactionalId: uniqueName('tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });

    const committed = await transactional.transaction();
    await committed.send({ topic: output, messages: [{ key: 'a', value: 'committed-1' }] });
    await committed.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '5' }] }],
    });
    await committed.commit();
    const aborted = await transactional.transaction();
    await aborted.send({ topic: output, messages: [{ key: 'a', value: 'aborted' }] });
    await aborted.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '9' }] }],
    });
    await aborted.abort();
    const second = await transactional.transaction();
    await second.send({ topic: output, messages: [{ key: 'a', value: 'committed-2' }] });
    await second.commit();

    const reader = kafka.consumer({
      groupId: uniqueName('reader'),
      readUncommitted: false,
      maxWaitTimeInMs: 100,
    });
    await reader.connect();
    closers.push(() => reader.disconnect());
    const seen = await collect(reader, output, 2);
    expect(seen.map((m) => m.message.value?.toString())).toEqual(['committed-1', 'committed-2']);
    const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(offsets[0]?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '5' })]);
  });

  it('creates a compacted topic whose configuration says cleanup.policy=compact', async () => {
    const topic = await createTopic('compacted', 2, [{ name: 'cleanup.policy', value: 'compact' }]);

    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: CONFIG_RESOURCE_TOPIC, name: topic, configNames: ['cleanup.policy'] }],
    });

    expect(described.resources[0]?.configEntries).toEqual([
      expect.objectContaining({ configName: 'cleanup.policy', configValue: 'compact' }),
    ]);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(2);
  });

  it('refuses to produce to a topic that was not created (auto-creation is off)', async () => {
    const producer = await connectedProducer({ allowAutoTopicCreation: true, retry: { retries: 1 } });

    await expect(
      producer.send({ topic: uniqueName('missing'), messages: [{ value: 'x' }] }),
    ).rejects.toThrow();
  });
});
