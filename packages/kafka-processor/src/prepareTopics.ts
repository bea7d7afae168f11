import type { Logger } from '@marketplace/options';
import type { Admin, ITopicConfig } from 'kafkajs';
import kafkajs from 'kafkajs';
import {
  COMPACTED_INTERNAL_TOPICS,
  EXACT_PARTITION_INTERNAL_TOPICS,
  type InternalTopics,
  REROUTE_TOPIC_CONFIG,
} from './defaults.js';
import { InternalTopicError, TopicMismatchError } from './errors.js';

/** Options of {@link prepareTopics}. */
export interface PrepareTopicsOptions {
  /** The co-partitioned input topics. */
  inputTopics: readonly string[];
  /** Internal topic names. */
  internalTopics: InternalTopics;
  /** Create missing internal topics (else only verify). */
  createTopics: boolean;
  /** Replication factor of created topics; `-1` = broker default. */
  replicationFactor: number;
  logger: Logger;
}

function isAlreadyExists(error: unknown): boolean {
  const errors = (error as { errors?: unknown[] } | null)?.errors ?? [error];
  return errors.every((e) => (e as { type?: unknown } | null)?.type === 'TOPIC_ALREADY_EXISTS');
}

async function partitionCounts(
  admin: Admin,
  topics: readonly string[],
): Promise<Record<string, number | null>> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  const counts: Record<string, number | null> = Object.fromEntries(topics.map((t) => [t, null]));
  if (present.length > 0) {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: present });
    for (const { name, partitions } of metadata) counts[name] = partitions.length;
  }
  return counts;
}

/**
 * Creates topics and waits until every partition has a leader. kafkajs' own `waitForLeaders`
 * gives up on the `UNKNOWN_TOPIC_OR_PARTITION` a KRaft broker answers while the new topic's
 * metadata propagates, so this polls the metadata itself (bounded by `timeoutMs`).
 * @returns false when every topic already existed.
 */
export async function createTopicsAndWait(
  admin: Admin,
  topics: ITopicConfig[],
  timeoutMs = 30_000,
): Promise<boolean> {
  const created = await admin.createTopics({ topics, waitForLeaders: false });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: names });
      const ready =
        metadata.length === names.length &&
        metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return created;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${names.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Checks the input topics (exist, equal partition counts) and makes sure the internal topics
 * exist with the input partition count (the changelog and metric-change topics compacted; the
 * changelog, metric-change and reroute topics with exactly that count), creating missing ones
 * when allowed.
 * @returns the number of groups (= the input partition count).
 * @throws {TopicMismatchError} code `TOPIC_MISMATCH` when an input topic is missing or the counts differ.
 * @throws {InternalTopicError} code `INTERNAL_TOPIC_INVALID` when an internal topic is missing
 *   (and may not be created), has the wrong partition count, or is not compacted where required.
 */
export async function prepareTopics(admin: Admin, options: PrepareTopicsOptions): Promise<number> {
  const inputCounts = await partitionCounts(admin, options.inputTopics);
  const distinct = new Set(Object.values(inputCounts));
  const groupCount = [...distinct][0];
  if (distinct.size !== 1 || groupCount === null || groupCount === undefined) {
    throw new TopicMismatchError(inputCounts);
  }

  const internal = options.internalTopics;
  const names = Object.values(internal);
  let counts = await partitionCounts(admin, names);
  const missing = names.filter((t) => counts[t] === null);
  if (missing.length > 0) {
    if (!options.createTopics) {
      throw new InternalTopicError(missing[0]!, 'the topic does not exist and createTopics is false');
    }
    const compacted = new Set(COMPACTED_INTERNAL_TOPICS.map((key) => internal[key]));
    const topics: ITopicConfig[] = missing.map((topic) => ({
      topic,
      numPartitions: groupCount,
      replicationFactor: options.replicationFactor,
      configEntries: compacted.has(topic)
        ? [{ name: 'cleanup.policy', value: 'compact' }]
        : topic === internal.reroute
          ? Object.entries(REROUTE_TOPIC_CONFIG).map(([name, value]) => ({ name, value }))
          : [],
    }));
    try {
      await createTopicsAndWait(admin, topics);
    } catch (error) {
      // Another instance may have created them at the same moment: verify below instead.
      if (!isAlreadyExists(error))
        throw new InternalTopicError(missing.join(', '), 'creating it failed', error);
    }
    options.logger.info('created internal topics', { topics: missing, partitions: groupCount });
    counts = await partitionCounts(admin, names);
  }

  for (const key of Object.keys(internal) as (keyof InternalTopics)[]) {
    const topic = internal[key];
    const count = counts[topic];
    const exact = EXACT_PARTITION_INTERNAL_TOPICS.includes(key);
    if (count === null || count === undefined)
      throw new InternalTopicError(topic, 'the topic does not exist');
    if (exact ? count !== groupCount : count < groupCount) {
      throw new InternalTopicError(
        topic,
        `it has ${count} partitions, expected ${exact ? '' : 'at least '}${groupCount} (the input partition count)${
          count < groupCount
            ? '; the input topics gained partitions: rescale the pipeline with the service stopped (`analytics-service rescale`, docs/operations.md)'
            : ''
        }`,
      );
    }
  }

  const compactedTopics = COMPACTED_INTERNAL_TOPICS.map((key) => internal[key]);
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: compactedTopics.map((name) => ({
      type: kafkajs.ConfigResourceTypes.TOPIC,
      name,
      configNames: ['cleanup.policy'],
    })),
  });
  for (const resource of described.resources) {
    const policy = resource.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? '';
    if (!policy.split(',').includes('compact')) {
      throw new InternalTopicError(
        resource.resourceName,
        `cleanup.policy is "${policy}", expected "compact"`,
      );
    }
  }
  return groupCount;
}
