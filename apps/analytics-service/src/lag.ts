import type { Admin } from 'kafkajs';
import type { ProgressWatchdog } from './ProgressWatchdog.js';
import type { Telemetry } from './telemetry.js';

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
  /** Committed offset (the low watermark when nothing is committed). */
  position: bigint;
}

/**
 * Lag of a consumer group: high watermark minus committed offset, per partition (a partition
 * without a committed offset counts from its low watermark). Transaction markers are included
 * in high watermarks; kafkajs resolves them, so a drained group reaches 0.
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

/**
 * Polls the lag of the service's consumer groups on an interval, publishes it as the
 * `analytics_consumer_lag` gauge and keeps the last totals (for the demo's progress line).
 */
export class LagMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private last = new Map<string, number>();
  private lastError: unknown;

  constructor(
    private readonly admin: Admin,
    private readonly groups: readonly WatchedGroup[],
    private readonly telemetry: Telemetry,
    /** Told the lag and committed position of each group after every successful poll. */
    private readonly watchdog?: ProgressWatchdog,
  ) {}

  /** Polls now, then every `intervalMs`. */
  start(intervalMs: number): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref();
  }

  /** Polls once (concurrent calls share the poll in flight). */
  poll(): Promise<void> {
    this.running ??= this.pollOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pollOnce(): Promise<void> {
    try {
      for (const group of this.groups) {
        const lags = await fetchGroupLag(this.admin, group);
        for (const { topic, partition, lag } of lags) {
          this.telemetry.setConsumerLag(group.groupId, topic, partition, lag);
        }
        const total = lags.reduce((sum, entry) => sum + entry.lag, 0);
        this.last.set(group.groupId, total);
        this.watchdog?.observe(
          group.groupId,
          total,
          lags.reduce((sum, entry) => sum + entry.position, 0n),
        );
      }
      this.lastError = undefined;
    } catch (error) {
      // Topics may not exist yet at start; the next poll tries again.
      this.lastError = error;
    }
  }

  /** Total lag of `groupId` at the last successful poll; `undefined` before the first. */
  lagOf(groupId: string): number | undefined {
    return this.last.get(groupId);
  }

  /** Sum over all groups; `undefined` until every group was measured once. */
  total(): number | undefined {
    let sum = 0;
    for (const group of this.groups) {
      const lag = this.last.get(group.groupId);
      if (lag === undefined) return undefined;
      sum += lag;
    }
    return sum;
  }

  /** The error of the last poll, if it failed. */
  error(): unknown {
    return this.lastError;
  }

  /** Stops polling and waits for a poll in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
