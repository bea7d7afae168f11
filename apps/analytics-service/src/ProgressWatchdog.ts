import type { ReadinessReason } from './http.js';
/** A consumer group that has input waiting but has not committed anything for a while. */
export interface StalledGroup {
  groupId: string;
  /** Lag at the last poll. */
  lag: number;
  /** Milliseconds since the group last moved its committed offsets (or was drained). */
  stalledMs: number;
}

/**
 * Tells from consumer-lag polls whether the stages still make progress: a group is stalled when
 * its lag is above zero and its committed offsets have not moved for `stallMs` (e.g. a broker or
 * transaction coordinator it needs is unreachable). Lag polls that keep failing for `stallMs`
 * count as no progress too, per group: a group whose polls fail (its coordinator or an input
 * leader is down) while another group's succeed is reported, since its last known lag (perhaps 0)
 * says nothing about now. Pure: the caller passes the time.
 */
export class ProgressWatchdog {
  readonly #stallMs: number;
  readonly #groups = new Map<string, { position: bigint; lag: number; movedAt: number; polledAt: number }>();
  #lastPollAt: number;

  /** @param stallMs how long a group with lag may go without committing before it counts as stalled */
  constructor(stallMs: number, now: number = performance.now()) {
    this.#stallMs = stallMs;
    this.#lastPollAt = now;
  }

  /**
   * Records a successful lag poll of `groupId`: its total `lag` and `position` (the sum of its
   * committed offsets, any monotonic measure of progress).
   */
  observe(groupId: string, lag: number, position: bigint, now: number = performance.now()): void {
    const previous = this.#groups.get(groupId);
    const moved = previous === undefined || previous.position !== position || lag === 0;
    this.#groups.set(groupId, { position, lag, movedAt: moved ? now : previous.movedAt, polledAt: now });
    this.#lastPollAt = now;
  }

  /** Groups that are stalled at `now`. */
  stalled(now: number = performance.now()): StalledGroup[] {
    const result: StalledGroup[] = [];
    for (const [groupId, { lag, movedAt }] of this.#groups) {
      const stalledMs = now - movedAt;
      if (lag > 0 && stalledMs >= this.#stallMs) result.push({ groupId, lag, stalledMs });
    }
    return result;
  }

  /** Why the service cannot be sure it makes progress (empty when it can), for `/readyz`. */
  reasons(now: number = performance.now()): ReadinessReason[] {
    const reasons: ReadinessReason[] = this.stalled(now).map((g) => ({
      code: 'GROUP_STALLED',
      group: g.groupId,
    }));
    if (now - this.#lastPollAt >= this.#stallMs) {
      reasons.push({ code: 'LAG_UNKNOWN' });
      return reasons;
    }
    // Some polls succeed, but not this group's.
    for (const [groupId, { polledAt }] of this.#groups) {
      if (now - polledAt >= this.#stallMs) reasons.push({ code: 'LAG_UNKNOWN', group: groupId });
    }
    return reasons;
  }
}
