import { randomUUID } from 'node:crypto';
import { decodeProductState, encodeProductState, type ProductState } from '@marketplace/analytics-aggregator';
import type { Message } from 'kafkajs';
import { chunkBySize } from './chunkBySize.js';
import { consumeToEnd } from './consumeToEnd.js';
import { DEFAULT_PROCESSOR_OPTIONS } from './defaults.js';
import { type PartitionerName, partitionForKey } from './partitioners.js';
import { GROUP_EPOCH_KEY } from './pipelineEpoch.js';
import type { PipelineToolProgress, ResolvedToolOptions } from './pipelineToolOptions.js';

/** Writes product states to their group's partition of `topic` (idempotent producer, all acks). */
export async function writeStates(
  r: ResolvedToolOptions,
  topic: string,
  byGroup: readonly (readonly ProductState[])[],
  report: (done: number) => void,
): Promise<void> {
  const producer = r.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    let done = 0;
    for (const [group, states] of byGroup.entries()) {
      const messages: Message[] = states.map((s) => ({
        key: s.productId,
        value: encodeProductState(s),
        partition: group,
      }));
      for (const chunk of chunkBySize(messages, DEFAULT_PROCESSOR_OPTIONS.maxRequestBytes, 500)) {
        await producer.send({ topic, acks: -1, messages: chunk });
        done += chunk.length;
        report(done);
      }
    }
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

/** Reads a changelog (or staging) topic whole: the latest state per product. */
export async function readStates(
  r: ResolvedToolOptions,
  topic: string,
  phase: PipelineToolProgress['phase'],
): Promise<Map<string, ProductState>> {
  const states = new Map<string, ProductState>();
  let read = 0;
  let total = 0;
  await consumeToEnd({
    kafka: r.kafka,
    topic,
    groupId: `${r.groupId}-rescale-${randomUUID()}`,
    deleteGroup: true,
    onStart: (n) => {
      total = n;
    },
    eachBatch: ({ messages }) => {
      for (const message of messages) {
        const key = message.key?.toString('utf8');
        if (key === undefined || key === GROUP_EPOCH_KEY) continue;
        if (message.value === null) states.delete(key);
        else states.set(key, decodeProductState(message.value));
      }
      read += messages.length;
      r.progress({ phase, done: read, total });
      return true;
    },
  });
  return states;
}

/** The states per group: `partitioner(productId) mod partitions`. */
export function groupStates(
  states: Map<string, ProductState>,
  partitioner: PartitionerName,
  partitions: number,
): ProductState[][] {
  const byGroup: ProductState[][] = Array.from({ length: partitions }, () => []);
  for (const state of states.values()) {
    byGroup[partitionForKey(partitioner, Buffer.from(state.productId, 'utf8'), partitions)]!.push(state);
  }
  return byGroup;
}

/** Reads a (staging) changelog whole: the latest state per product, per partition. */
export async function readStatesByPartition(
  r: ResolvedToolOptions,
  topic: string,
): Promise<Map<number, Map<string, ProductState>>> {
  const byPartition = new Map<number, Map<string, ProductState>>();
  let read = 0;
  await consumeToEnd({
    kafka: r.kafka,
    topic,
    groupId: `${r.groupId}-rescale-${randomUUID()}`,
    deleteGroup: true,
    eachBatch: ({ partition, messages }) => {
      let states = byPartition.get(partition);
      if (states === undefined) {
        states = new Map();
        byPartition.set(partition, states);
      }
      for (const message of messages) {
        const key = message.key?.toString('utf8');
        if (key === undefined || key === GROUP_EPOCH_KEY) continue;
        if (message.value === null) states.delete(key);
        else states.set(key, decodeProductState(message.value));
      }
      read += messages.length;
      r.progress({ phase: 'reading-changelog', done: read });
      return true;
    },
  });
  return byPartition;
}
