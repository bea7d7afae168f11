import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { kafkajsPatchGaps } from './kafkajsPatch.js';

const require = createRequire(import.meta.url);

describe('kafkajsPatchGaps', () => {
  it('finds every fix of patches/kafkajs@2.2.4.patch in the kafkajs the workspace installs', () => {
    // Fails when a kafkajs upgrade or an install without pnpm drops the patch: exactly-once
    // (the read_committed filter, the per-partition produce retry) and hostile input
    // (undecodable batches) depend on it.
    expect(kafkajsPatchGaps()).toEqual([]);
  });
});

interface ProduceCall {
  nodeId: number;
  partitions: number[];
}

/**
 * kafkajs' own send path (`src/producer/sendMessages.js`, patched) against a stand-in cluster of
 * two brokers: the leader of partition 0 answers NOT_LEADER_FOR_PARTITION once, and the refreshed
 * metadata names the broker that already acknowledged partition 1. A real broker cannot be made
 * to move a leader between the two requests of one send on demand; the three-broker fault tests
 * (`pnpm test:faults`) found the loss this guards against.
 */
describe('the patched kafkajs send retries per partition', () => {
  it('sends a partition whose leader moved to a broker that had already answered', async () => {
    const createSendMessages = require('kafkajs/src/producer/sendMessages.js') as (
      deps: object,
    ) => (request: {
      acks: number;
      timeout: number;
      topicMessages: Array<{ topic: string; messages: Array<{ partition: number; value: string }> }>;
    }) => Promise<Array<{ topicName: string; partition: number }>>;
    const createRetry = require('kafkajs/src/retry/index.js') as (options: object) => unknown;
    const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
      createErrorFromCode(code: number): Error;
    };
    const leaders = new Map<number, number>([
      [0, 1],
      [1, 2],
    ]);
    const calls: ProduceCall[] = [];
    const broker = (nodeId: number) => ({
      nodeId,
      async produce({
        topicData,
      }: {
        topicData: Array<{ topic: string; partitions: Array<{ partition: number }> }>;
      }) {
        const partitions = topicData.flatMap((t) => t.partitions.map((p) => p.partition));
        calls.push({ nodeId, partitions });
        if (nodeId === 1) {
          // The old leader of partition 0 steps down; the new metadata names broker 2.
          leaders.set(0, 2);
          throw createErrorFromCode(6); // NOT_LEADER_FOR_PARTITION
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
        return {
          topics: topicData.map((t) => ({
            topicName: t.topic,
            partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })),
          })),
        };
      },
    });
    const brokers = new Map([
      [1, broker(1)],
      [2, broker(2)],
    ]);
    const metadata = () => [...leaders].map(([partitionId, leader]) => ({ partitionId, leader }));
    const cluster = {
      targetTopics: new Set<string>(),
      async refreshMetadataIfNecessary() {},
      async refreshMetadata() {},
      async addMultipleTargetTopics() {},
      isConnected: () => true,
      removeBroker() {},
      findTopicPartitionMetadata: () => metadata(),
      findLeaderForPartitions(_topic: string, partitions: string[]) {
        const result: Record<number, number[]> = {};
        for (const id of partitions) {
          const leader = leaders.get(Number(id))!;
          result[leader] = [...(result[leader] ?? []), Number(id)];
        }
        return result;
      },
      findBroker: async ({ nodeId }: { nodeId: number | string }) => brokers.get(Number(nodeId)),
    };
    const eosManager = {
      isTransactional: () => false,
      acquireBrokerLock: async () => {},
      releaseBrokerLock: async () => {},
      getSequence: () => 0,
      updateSequence() {},
      getProducerId: () => -1,
      getProducerEpoch: () => 0,
    };
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const send = createSendMessages({
      logger: silent,
      cluster,
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
      eosManager,
      retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
    });

    const responses = await send({
      acks: -1,
      timeout: 1000,
      topicMessages: [
        {
          topic: 't',
          messages: [
            { partition: 0, value: 'a' },
            { partition: 1, value: 'b' },
          ],
        },
      ],
    });

    // Unpatched, broker 2 (which had answered for partition 1) was skipped on the retry and
    // partition 0's record was never sent, though the send resolved.
    expect(calls).toEqual([
      { nodeId: 1, partitions: [0] },
      { nodeId: 2, partitions: [1] },
      { nodeId: 2, partitions: [0] },
    ]);
    expect(responses.map((r) => `${r.topicName}/${r.partition}`).sort()).toEqual(['t/0', 't/1']);
  });
});

describe('the patched kafkajs send never resolves without a partition', () => {
  it('retries a partition the metadata does not list yet instead of dropping it', async () => {
    const createSendMessages = require('kafkajs/src/producer/sendMessages.js') as (
      deps: object,
    ) => (request: {
      acks: number;
      timeout: number;
      topicMessages: Array<{ topic: string; messages: Array<{ partition: number; value: string }> }>;
    }) => Promise<Array<{ topicName: string; partition: number }>>;
    const createRetry = require('kafkajs/src/retry/index.js') as (options: object) => unknown;
    const leaders = new Map<number, number>([
      [0, 1],
      [1, 2],
    ]);
    const calls: ProduceCall[] = [];
    const broker = (nodeId: number) => ({
      nodeId,
      async produce({
        topicData,
      }: {
        topicData: Array<{ topic: string; partitions: Array<{ partition: number }> }>;
      }) {
        const partitions = topicData.flatMap((t) => t.partitions.map((p) => p.partition));
        calls.push({ nodeId, partitions });
        await new Promise((resolve) => setTimeout(resolve, 5));
        return {
          topics: topicData.map((t) => ({
            topicName: t.topic,
            partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })),
          })),
        };
      },
    });
    const brokers = new Map([
      [1, broker(1)],
      [2, broker(2)],
    ]);
    // Partition 0 is missing from the first metadata (a leader election in progress), listed after a refresh.
    let listed = false;
    const metadata = () =>
      [...leaders]
        .filter(([p]) => p !== 0 || listed)
        .map(([partitionId, leader]) => ({ partitionId, leader }));
    const cluster = {
      targetTopics: new Set<string>(),
      async refreshMetadataIfNecessary() {},
      async refreshMetadata() {
        listed = true;
      },
      async addMultipleTargetTopics() {},
      isConnected: () => true,
      removeBroker() {},
      findTopicPartitionMetadata: () => metadata(),
      findLeaderForPartitions(_topic: string, partitions: string[]) {
        const result: Record<number, number[]> = {};
        for (const id of partitions) {
          if (!metadata().some((m) => m.partitionId === Number(id))) continue;
          const leader = leaders.get(Number(id))!;
          result[leader] = [...(result[leader] ?? []), Number(id)];
        }
        return result;
      },
      findBroker: async ({ nodeId }: { nodeId: number | string }) => brokers.get(Number(nodeId)),
    };
    const eosManager = {
      isTransactional: () => false,
      acquireBrokerLock: async () => {},
      releaseBrokerLock: async () => {},
      getSequence: () => 0,
      updateSequence() {},
      getProducerId: () => -1,
      getProducerEpoch: () => 0,
    };
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const send = createSendMessages({
      logger: silent,
      cluster,
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
      eosManager,
      retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
    });

    const responses = await send({
      acks: -1,
      timeout: 1000,
      topicMessages: [
        {
          topic: 't',
          messages: [
            { partition: 0, value: 'a' },
            { partition: 1, value: 'b' },
          ],
        },
      ],
    });

    // Unpatched, kafkajs left partition 0 out of the requests and the send resolved without it;
    // patched, the attempt stops, the metadata is refreshed and both are sent once.
    expect([...calls].sort((a, b) => a.nodeId - b.nodeId)).toEqual([
      { nodeId: 1, partitions: [0] },
      { nodeId: 2, partitions: [1] },
    ]);
    expect(responses.map((r) => `${r.topicName}/${r.partition}`).sort()).toEqual(['t/0', 't/1']);
  });
});
