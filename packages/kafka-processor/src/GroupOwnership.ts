import type { MetricChange, ProductState } from '@marketplace/analytics-aggregator';
import type { Logger } from '@marketplace/options';
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { acquireGroups, type OwnedGroup } from './acquireGroups.js';
import type { ResolvedOptions } from './aggregateProcessorOptions.js';
import { StoppingError } from './errors.js';
import { PipelineEpochWatch } from './PipelineEpochWatch.js';
import type { StateChange } from './planBatchOutput.js';
import type { ProcessorMetricsHooks } from './types.js';

/** Bookkeeping of one assigned group. */
export interface GroupContext {
  readonly group: number;
  readonly transactionalId: string;
  /** Tail of the group's promise chain: batches of one group run one at a time. */
  tail: Promise<void>;
  owned: OwnedGroup | undefined;
  acquiring: Promise<void> | undefined;
  revoked: boolean;
  /** Set while the group is paused after this member's producer was fenced. */
  fencedTimer: NodeJS.Timeout | undefined;
}

/** What {@link GroupOwnership} needs of the processor that holds it. */
export interface OwnershipHost {
  /** Whether the processor is stopping or stopped. */
  isStopping(): boolean;
  /** Whether the processor is running (started, not stopping). */
  isRunning(): boolean;
  /** Keeps a background promise that `stop()` waits for. */
  track<T>(promise: Promise<T>): Promise<T>;
  /** The consumer, once created. */
  consumer(): Consumer | undefined;
  /** The connected admin client (only called after `start()` connected it). */
  admin(): Admin;
}

/** Dependencies of {@link GroupOwnership}. */
export interface GroupOwnershipDeps {
  readonly kafka: Kafka;
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly metrics: ProcessorMetricsHooks;
  readonly host: OwnershipHost;
}

/**
 * Applies a batch's reduced states to an owned group: each replaces its previous state in the
 * partial aggregates and the state map, and advances the watermark. Returns each change with the
 * state it replaced, and the absolute values of every partial metric row that changed.
 */
export function applyReducedStates(
  owned: OwnedGroup,
  group: number,
  states: readonly ProductState[],
): { stateChanges: StateChange[]; metricChanges: MetricChange[] } {
  const stateChanges: StateChange[] = [];
  let watermark = owned.watermark;
  for (const next of states) {
    const previous = owned.states.get(next.productId);
    owned.aggregates.replace(previous, next);
    owned.states.set(next.productId, next);
    if (next.updatedAt > watermark) watermark = next.updatedAt;
    stateChanges.push({ previous, next });
  }
  owned.watermark = watermark;
  const metricChanges = watermark === '' ? [] : owned.aggregates.takeChanges(group, watermark);
  return { stateChanges, metricChanges };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The groups this member owns: assignment and revocation, taking a group (fencing the previous
 * owner with its transactional producer, restoring its states from the changelog, reading its
 * committed offsets, writing its snapshot when it enters a new pipeline epoch), dropping it after
 * a failed batch or when fenced (pausing its partitions for `fencedBackoffMs`), and taking every
 * group again when the pipeline epoch changes.
 */
export class GroupOwnership {
  readonly #kafka: Kafka;
  readonly #options: ResolvedOptions;
  readonly #logger: Logger;
  readonly #metrics: ProcessorMetricsHooks;
  readonly #host: OwnershipHost;
  readonly #groups = new Map<number, GroupContext>();
  readonly #epoch: PipelineEpochWatch;

  constructor(deps: GroupOwnershipDeps) {
    this.#kafka = deps.kafka;
    this.#options = deps.options;
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#host = deps.host;
    this.#epoch = new PipelineEpochWatch({
      kafka: deps.kafka,
      topic: deps.options.epochTopic,
      groupIdPrefix: deps.options.groupId,
      admin: () => deps.host.admin(),
    });
  }

  /** Groups this member holds now, ascending. */
  get groups(): number[] {
    return [...this.#groups.keys()].sort((a, b) => a - b);
  }

  /** Current pipeline epoch (read at start, then polled). */
  get epoch(): number {
    return this.#epoch.current;
  }

  /** Reads the current pipeline epoch (at start). */
  async readEpoch(): Promise<number> {
    return this.#epoch.read();
  }

  /** The context of a group, created if kafkajs delivers a batch before `GROUP_JOIN` (a safety net). */
  contextOf(group: number): GroupContext {
    let ctx = this.#groups.get(group);
    if (!ctx) {
      ctx = this.#newContext(group);
      this.#groups.set(group, ctx);
    }
    return ctx;
  }

  /**
   * Takes a new assignment: revokes the groups no longer assigned, resumes a fenced group given
   * back, and returns the contexts of the new groups (to {@link acquire}).
   */
  assign(memberAssignment: Record<string, number[]>): GroupContext[] {
    const assigned = new Set<number>();
    const inputs = new Set(this.#options.consumedTopics);
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      if (inputs.has(topic)) for (const p of partitions) assigned.add(p);
    }
    for (const ctx of [...this.#groups.values()]) if (!assigned.has(ctx.group)) this.revoke(ctx);
    const fresh: GroupContext[] = [];
    for (const group of [...assigned].sort((a, b) => a - b)) {
      const existing = this.#groups.get(group);
      if (existing) {
        if (existing.fencedTimer) this.#resumeAfterFence(existing);
        continue;
      }
      const ctx = this.#newContext(group);
      this.#groups.set(group, ctx);
      fresh.push(ctx);
    }
    return fresh;
  }

  /** Revokes every group (shutdown). */
  revokeAll(): void {
    for (const ctx of [...this.#groups.values()]) this.revoke(ctx);
  }

  /** Resolves once the batch in flight of every group settled. */
  async settled(): Promise<void> {
    for (const ctx of this.#groups.values()) await ctx.tail;
  }

  #newContext(group: number): GroupContext {
    return {
      group,
      transactionalId: `${this.#options.applicationId}-aggregate-g${group}`,
      tail: Promise.resolve(),
      owned: undefined,
      acquiring: undefined,
      revoked: false,
      fencedTimer: undefined,
    };
  }

  /** Drops a group's state and closes its producer (revocation, shutdown). */
  revoke(ctx: GroupContext): void {
    ctx.revoked = true;
    clearTimeout(ctx.fencedTimer);
    ctx.fencedTimer = undefined;
    this.#groups.delete(ctx.group);
    this.release(ctx);
  }

  /** Drops the in-memory state of a group and closes its producer; it is re-acquired on next use. */
  release(ctx: GroupContext): void {
    const owned = ctx.owned;
    ctx.owned = undefined;
    if (owned) this.#closeProducer(owned.producer);
  }

  #closeProducer(producer: Producer): void {
    this.#host.track(producer.disconnect().catch(() => {}));
  }

  /** Starts taking groups in the background; a batch of one of them waits for it ({@link ensureOwned}). */
  acquire(ctxs: GroupContext[]): void {
    const done: Promise<void> = acquireGroups(
      {
        kafka: this.#kafka,
        admin: this.#host.admin(),
        options: this.#options,
        logger: this.#logger,
        metrics: this.#metrics,
      },
      ctxs,
      this.#epoch.current,
      (producer) => this.#closeProducer(producer),
    )
      .then((acquired) => {
        for (const ctx of ctxs) {
          const owned = acquired.get(ctx.group)!;
          if (this.#groups.get(ctx.group) === ctx && !ctx.revoked && !this.#host.isStopping())
            ctx.owned = owned;
          else this.#closeProducer(owned.producer);
        }
      })
      .finally(() => {
        // No other acquisition of these groups can start while this one is pending.
        for (const ctx of ctxs) ctx.acquiring = undefined;
      });
    done.catch((error: unknown) =>
      this.#logger.warn('acquiring groups failed; the next batch retries', {
        groups: ctxs.map((c) => c.group),
        error,
      }),
    );
    for (const ctx of ctxs) ctx.acquiring = done;
    this.#host.track(done.catch(() => {}));
  }

  /**
   * The group's live state, waiting for (or starting) its acquisition; heartbeats meanwhile.
   * @throws {StoppingError} when the processor or the consumer stops while waiting.
   */
  async ensureOwned(ctx: GroupContext, payload: EachBatchPayload): Promise<OwnedGroup> {
    while (ctx.owned === undefined) {
      if (this.#host.isStopping() || !payload.isRunning()) throw new StoppingError();
      if (ctx.acquiring === undefined) this.acquire([ctx]);
      const acquiring = ctx.acquiring!;
      // kafkajs has no background heartbeat: keep the membership alive while the restore runs.
      let settled = false;
      acquiring.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
      while (!settled) {
        await Promise.race([acquiring.catch(() => {}), delay(this.#options.consumer.heartbeatInterval)]);
        if (settled) break;
        if (this.#host.isStopping() || !payload.isRunning()) throw new StoppingError();
        await payload.heartbeat();
      }
      await acquiring;
    }
    return ctx.owned;
  }

  /** This member's producer for the group was fenced: drop the group and pause its partitions a while. */
  fenced(ctx: GroupContext, error: unknown): void {
    this.release(ctx);
    this.#logger.warn(
      'producer fenced: another member owns the group; pausing it until the rebalance settles',
      {
        group: ctx.group,
        transactionalId: ctx.transactionalId,
        error,
      },
    );
    this.#metrics.onFenced?.({ group: ctx.group, transactionalId: ctx.transactionalId });
    if (ctx.fencedTimer !== undefined || ctx.revoked) return;
    const partitions = this.#options.consumedTopics.map((topic) => ({ topic, partitions: [ctx.group] }));
    this.#host.consumer()?.pause(partitions);
    ctx.fencedTimer = setTimeout(() => this.#resumeAfterFence(ctx), this.#options.fencedBackoffMs);
  }

  #resumeAfterFence(ctx: GroupContext): void {
    clearTimeout(ctx.fencedTimer);
    ctx.fencedTimer = undefined;
    if (ctx.revoked || !this.#host.isRunning()) return;
    this.#host
      .consumer()
      ?.resume(this.#options.consumedTopics.map((topic) => ({ topic, partitions: [ctx.group] })));
  }

  /**
   * Polled while running (the processor's timer exists only then): on a new epoch, every owned
   * group is taken again after its batch in flight (restore, then its snapshot under the new
   * epoch) instead of writing on in the old one.
   */
  async pollEpoch(): Promise<void> {
    const before = this.#epoch.current;
    try {
      await this.#epoch.read();
    } catch (error) {
      this.#logger.warn('reading the pipeline epoch failed; trying again later', { error });
      return;
    }
    const epoch = this.#epoch.current;
    if (epoch === before) return;
    this.#logger.info('new pipeline epoch: taking the groups again', { epoch, previous: before });
    for (const ctx of this.#groups.values()) {
      const retake = ctx.tail.then(() => {
        if (
          ctx.revoked ||
          this.#host.isStopping() ||
          (ctx.owned !== undefined && ctx.owned.epoch >= this.#epoch.current)
        )
          return;
        if (ctx.owned !== undefined) this.release(ctx);
        if (ctx.acquiring === undefined) this.acquire([ctx]);
      });
      ctx.tail = retake.catch(() => {});
    }
  }
}
