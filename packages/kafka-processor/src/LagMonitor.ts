import type { Admin } from 'kafkajs';
import { KafkaProcessorOptionsError } from './errors.js';
import { fetchGroupLag, type PartitionLag, type WatchedGroup } from './fetchGroupLag.js';
import { check, checkName } from './validateOptions.js';

/** Options of {@link LagMonitor}. */
export interface LagMonitorOptions<G extends WatchedGroup> {
  /** A connected kafkajs admin client. */
  admin: Admin;
  /** The groups to measure. */
  groups: readonly G[];
  /** Called after each successful poll of a group with its lag per partition (e.g. to set a gauge). */
  onLag?: (group: G, lags: readonly PartitionLag[]) => void;
}

/**
 * Polls the lag of consumer groups ({@link fetchGroupLag}) on an interval, hands it to `onLag`
 * and keeps the last totals. A failed poll (topics not created yet, broker away) keeps the last
 * values and the error; the next poll tries again.
 * @throws {KafkaProcessorOptionsError} `INVALID_OPTIONS` from the constructor for a missing admin client or groups.
 * @example
 * const lag = new LagMonitor({ admin, groups: [{ groupId: 'analytics-sink', topics: ['analytics.metric-changes'] }] });
 * lag.start(5000);
 * // later: lag.total(), lag.lagOf('analytics-sink'); await lag.stop();
 */
export class LagMonitor<G extends WatchedGroup = WatchedGroup> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private last = new Map<string, number>();
  private lastError: unknown;

  private readonly admin: Admin;
  private readonly groups: readonly G[];
  private readonly onLag: ((group: G, lags: readonly PartitionLag[]) => void) | undefined;

  constructor(options: LagMonitorOptions<G>) {
    this.admin = check.methods(options.admin, 'admin', ['fetchOffsets', 'fetchTopicOffsets']);
    if (!Array.isArray(options.groups)) {
      throw new KafkaProcessorOptionsError('groups', 'expected an array of { groupId, topics }');
    }
    for (const [i, group] of options.groups.entries()) checkName(group.groupId, `groups[${i}].groupId`);
    this.groups = options.groups;
    this.onLag = options.onLag === undefined ? undefined : check.func(options.onLag, 'onLag');
  }

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
        this.onLag?.(group, lags);
        this.last.set(
          group.groupId,
          lags.reduce((sum, entry) => sum + entry.lag, 0),
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
