import { randomUUID } from 'node:crypto';
import { withRetry } from '@marketplace/retry';
import type { KafkaMessage } from 'kafkajs';
import { consumeToEnd } from './consumeToEnd.js';
import type { ResolvedToolOptions } from './pipelineToolOptions.js';
import { withAdmin } from './rebuildInternalTopics.js';

/**
 * Reads, per input topic and the reroute topic, the records from `sampleSize` before stage 1's
 * committed offset to the end; hands the ones below the committed offset to `sampleOnly`, returns
 * the pending ones and the end offsets to commit.
 */
export async function readPending(
  r: ResolvedToolOptions,
  sampleSize: number,
  sampleOnly: (topic: string, partition: number, message: KafkaMessage) => void,
): Promise<{
  pending: { topic: string; partition: number; messages: KafkaMessage[] }[];
  ends: Map<string, Map<number, string>>;
}> {
  const pending: { topic: string; partition: number; messages: KafkaMessage[] }[] = [];
  const ends = new Map<string, Map<number, string>>();
  const topics = [...r.inputTopics, r.internal.reroute];
  let read = 0;
  for (const topic of topics) {
    const groupId = `${r.groupId}-rescale-${randomUUID()}`;
    const committed = new Map<number, bigint>();
    const seen = new Map<number, bigint>();
    // Partitions added moments ago may still be electing a leader: retry what is retryable.
    const present = await withRetry(
      () =>
        withAdmin(r.kafka, async (admin) => {
          if (!(await admin.listTopics()).includes(topic)) return false;
          const offsets = await admin.fetchTopicOffsets(topic);
          const [group] = await admin.fetchOffsets({ groupId: r.groupId, topics: [topic] });
          const topicEnds = new Map<number, string>();
          const starts: { partition: number; offset: string }[] = [];
          for (const o of offsets) {
            const at = group?.partitions.find((p) => p.partition === o.partition)?.offset ?? '-1';
            const from = at === '-1' || BigInt(at) < BigInt(o.low) ? BigInt(o.low) : BigInt(at);
            committed.set(o.partition, from);
            topicEnds.set(o.partition, o.high);
            const sampleFrom = topic === r.internal.reroute ? from : from - BigInt(sampleSize);
            starts.push({
              partition: o.partition,
              offset: String(sampleFrom < BigInt(o.low) ? BigInt(o.low) : sampleFrom),
            });
          }
          ends.set(topic, topicEnds);
          await admin.setOffsets({ groupId, topic, partitions: starts });
          return true;
        }),
      { retries: 8, minDelayMs: 200, maxDelayMs: 2_000, operation: `read the offsets of ${topic}` },
    );
    if (!present) continue;
    await consumeToEnd({
      kafka: r.kafka,
      topic,
      groupId,
      deleteGroup: true,
      eachBatch: ({ partition, messages: fetched }) => {
        // A rebalance of the throwaway group can hand a batch over twice: each offset once.
        const next = seen.get(partition) ?? -1n;
        const messages = fetched.filter((m) => BigInt(m.offset) > next);
        if (messages.length === 0) return true;
        seen.set(partition, BigInt(messages[messages.length - 1]!.offset));
        const from = committed.get(partition) ?? 0n;
        const mine = messages.filter((m) => BigInt(m.offset) >= from);
        for (const m of messages) if (BigInt(m.offset) < from) sampleOnly(topic, partition, m);
        if (mine.length > 0) pending.push({ topic, partition, messages: mine });
        read += messages.length;
        r.progress({ phase: 'reading-input', done: read });
        return true;
      },
    });
  }
  return { pending, ends };
}
