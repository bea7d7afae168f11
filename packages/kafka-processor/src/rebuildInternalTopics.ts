import { withRetry } from '@marketplace/retry';
import type { Admin, Kafka } from 'kafkajs';
import { COMPACTED_INTERNAL_TOPICS, REROUTE_TOPIC_CONFIG } from './defaults.js';
import { InternalTopicError, TopicMismatchError } from './errors.js';
import type { ResolvedToolOptions } from './pipelineToolOptions.js';
import { createTopicsAndWait } from './prepareTopics.js';

/** Runs `fn` with a connected admin client, disconnected afterwards. */
export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Partition count of `topic`, undefined when it does not exist. */
export async function partitionCount(admin: Admin, topic: string): Promise<number | undefined> {
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.length;
}

/**
 * The common partition count of the input topics.
 * @throws {TopicMismatchError} code `TOPIC_MISMATCH` when one is missing or the counts differ.
 */
export async function inputPartitionCount(admin: Admin, inputTopics: readonly string[]): Promise<number> {
  const counts: Record<string, number | null> = {};
  for (const topic of inputTopics) counts[topic] = (await partitionCount(admin, topic)) ?? null;
  const distinct = new Set(Object.values(counts));
  const [count] = distinct;
  if (distinct.size !== 1 || count === null || count === undefined) throw new TopicMismatchError(counts);
  return count;
}

/** Deletes topics (when present) and waits until the broker no longer lists them. */
export async function deleteTopics(admin: Admin, topics: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length === 0) return;
  await admin.deleteTopics({ topics: present, timeout: 30_000 });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const listed = new Set(await admin.listTopics());
    if (present.every((t) => !listed.has(t))) return;
    if (Date.now() > deadline)
      throw new InternalTopicError(present.join(', '), 'deleting it did not finish in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Creates a topic, retrying while the broker still finishes deleting its previous incarnation. */
export async function createTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  replicationFactor: number,
  config: Record<string, string>,
): Promise<void> {
  const configEntries = Object.entries(config).map(([name, value]) => ({ name, value }));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await createTopicsAndWait(admin, [
        { topic, numPartitions: partitions, replicationFactor, configEntries },
      ]);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new InternalTopicError(topic, 'creating it failed', error);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Internal topics recreated at `partitions`, and the others grown to at least that many; consumer offsets reset. */
export async function rebuildInternalTopics(
  r: ResolvedToolOptions,
  admin: Admin,
  partitions: number,
  inputsFromStart: boolean,
): Promise<void> {
  const { internal } = r;
  const recreated = [internal.productState, internal.metricChanges, internal.reroute];
  await deleteTopics(admin, recreated);
  const compacted = new Set(COMPACTED_INTERNAL_TOPICS.map((key) => internal[key]));
  for (const topic of recreated) {
    // The changelog and metric-change topics are the compacted ones; the third is the reroute topic.
    const config = compacted.has(topic) ? { 'cleanup.policy': 'compact' } : { ...REROUTE_TOPIC_CONFIG };
    await createTopic(admin, topic, partitions, r.replicationFactor, config);
  }
  for (const topic of [internal.deadLetter, internal.lowStockAlerts]) {
    const count = await partitionCount(admin, topic);
    if (count === undefined) await createTopic(admin, topic, partitions, r.replicationFactor, {});
    else if (count < partitions)
      await admin.createPartitions({ topicPartitions: [{ topic, count: partitions }] });
  }
  // Committed offsets of the recreated topics point into their previous incarnation: start over.
  const resets: [string, string][] = [
    [r.groupId, internal.reroute],
    [r.sinkGroupId, internal.metricChanges],
    ...(inputsFromStart ? r.inputTopics.map((t) => [r.groupId, t] as [string, string]) : []),
  ];
  for (const [groupId, topic] of resets) {
    // A topic created moments ago may still answer NOT_LEADER: retry what is retryable.
    await withRetry(
      async () => {
        const ends = await admin.fetchTopicOffsets(topic);
        const fromStart = inputsFromStart && topic !== internal.reroute && topic !== internal.metricChanges;
        await admin.setOffsets({
          groupId,
          topic,
          partitions: ends.map((e) => ({ partition: e.partition, offset: fromStart ? e.low : '0' })),
        });
      },
      {
        retries: 8,
        minDelayMs: 200,
        maxDelayMs: 2_000,
        operation: `reset the offsets of ${groupId} on ${topic}`,
      },
    );
  }
}
