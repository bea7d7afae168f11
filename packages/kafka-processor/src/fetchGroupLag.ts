import type { Admin } from 'kafkajs';

/** A consumer group and the topics it reads. */
export interface WatchedGroup {
  groupId: string;
  topics: readonly string[];
}

/** Lag of one partition of a group. */
export interface PartitionLag {
  groupId: string;
  topic: string;
  partition: number;
  lag: number;
  /** Committed offset (the low watermark when nothing is committed): a measure of progress. */
  position: bigint;
}

/**
 * Lag of a consumer group: high watermark minus committed offset, per partition (a partition
 * without a committed offset counts from its low watermark). Transaction markers are included
 * in high watermarks; kafkajs resolves them, so a drained group reaches 0.
 * @example
 * const lags = await fetchGroupLag(admin, { groupId: 'analytics-sink', topics: ['analytics.metric-changes'] });
 */
export async function fetchGroupLag(admin: Admin, group: WatchedGroup): Promise<PartitionLag[]> {
  const committed = await admin.fetchOffsets({ groupId: group.groupId, topics: [...group.topics] });
  const result: PartitionLag[] = [];
  for (const { topic, partitions } of committed) {
    const ends = await admin.fetchTopicOffsets(topic);
    for (const end of ends) {
      const offset = partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      const from = offset === '-1' ? BigInt(end.low) : BigInt(offset);
      const lag = BigInt(end.high) - from;
      result.push({
        groupId: group.groupId,
        topic,
        partition: end.partition,
        lag: Number(lag > 0n ? lag : 0n),
        position: from,
      });
    }
  }
  return result;
}
