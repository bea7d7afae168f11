import { performance } from 'node:perf_hooks';
import type { Logger } from '@marketplace/options';
import { isRetryableError, withRetry } from '@marketplace/retry';
import type { ReducerPool } from '@marketplace/worker-pool';
import type { EachBatchPayload, KafkaMessage, Message } from 'kafkajs';
import type { ResolvedOptions } from './aggregateProcessorOptions.js';
import {
  deadLettersOf,
  invalidRecordDeadLetter,
  referenceDeadLetter,
  splitUndecodable,
} from './deadLetters.js';
import { StoppingError } from './errors.js';
import { applyReducedStates, type GroupContext, type GroupOwnership } from './GroupOwnership.js';
import { commitBatchTransaction } from './groupTransaction.js';
import {
  isMessageTooLargeError,
  isPermanentError,
  isProducerFencedError,
  isRebalanceError,
} from './kafkaErrors.js';
import type { PartitionerSampler } from './PartitionerSampler.js';
import { planBatchOutput } from './planBatchOutput.js';
import { reduceOnPool } from './reduceOnPool.js';
import { REROUTE_NOT_OWNER, readRerouteSource, rerouteMessage } from './rerouteMessage.js';
import { routeRecords } from './routeRecords.js';
import type { BatchMetrics, ProcessorMetricsHooks } from './types.js';

/** What {@link GroupBatchRunner} needs of the processor that holds it. */
export interface BatchRunnerHost {
  /** Whether the processor is stopping or stopped. */
  isStopping(): boolean;
  /** Number of groups (known after `start()`). */
  groupCount(): number;
  /** Reports a failure the stage cannot get past (`onFatal`). */
  fail(error: unknown, message: string): void;
}

/** Dependencies of {@link GroupBatchRunner}. */
export interface GroupBatchRunnerDeps {
  readonly pool: ReducerPool;
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly metrics: ProcessorMetricsHooks;
  readonly ownership: GroupOwnership;
  readonly sampler: PartitionerSampler;
  /** Aborted by `stop()`: a batch waiting to retry gives up. */
  readonly signal: AbortSignal;
  readonly host: BatchRunnerHost;
}

type AttemptOutcome =
  | { kind: 'skipped' }
  | {
      kind: 'committed';
      /** The group's position in the batch's topic before it (the committed offset it resumed at). */
      resumedAt: string | undefined;
      metrics: Omit<BatchMetrics, 'durationMs' | 'attempts'>;
    };

/**
 * Runs one batch of a group, with retries: the group's state (acquired if needed), routing, the
 * reduce on the worker threads, applying the result, the output plan and the group transaction.
 * Any failure drops the group's in-memory state (the next attempt re-acquires it); a fenced
 * producer pauses the group, a rebalance leaves at once, a permanent error is fatal.
 */
export class GroupBatchRunner {
  readonly #pool: ReducerPool;
  readonly #options: ResolvedOptions;
  readonly #logger: Logger;
  readonly #metrics: ProcessorMetricsHooks;
  readonly #ownership: GroupOwnership;
  readonly #sampler: PartitionerSampler;
  readonly #signal: AbortSignal;
  readonly #host: BatchRunnerHost;

  constructor(deps: GroupBatchRunnerDeps) {
    this.#pool = deps.pool;
    this.#options = deps.options;
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#ownership = deps.ownership;
    this.#sampler = deps.sampler;
    this.#signal = deps.signal;
    this.#host = deps.host;
  }

  #skip(
    ctx: GroupContext,
    payload: EachBatchPayload,
    reason: 'not-running' | 'stale' | 'already-committed' | 'fenced',
    messages: number,
  ): void {
    const { topic, partition } = payload.batch;
    this.#logger.debug('batch skipped', { group: ctx.group, topic, partition, reason, messages });
    this.#metrics.onSkippedBatch?.({ group: ctx.group, topic, partition, reason, messages });
  }

  /**
   * Processes a batch of the group (the caller runs a group's batches one at a time) and resolves
   * its offset once committed.
   * @throws the last error when the batch failed and kafkajs must redeliver it.
   */
  async run(ctx: GroupContext, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (!payload.isRunning() || this.#host.isStopping()) {
      this.#skip(ctx, payload, 'not-running', batch.messages.length);
      return;
    }
    if (payload.isStale()) {
      this.#skip(ctx, payload, 'stale', batch.messages.length);
      return;
    }
    if (ctx.fencedTimer !== undefined || ctx.revoked) {
      // Paused after this member was fenced (or already given away): leave it to the new owner.
      this.#skip(ctx, payload, 'fenced', batch.messages.length);
      return;
    }
    const started = performance.now();
    let attempts = 0;
    // Once the broker refused this batch's output as too large, its dead letters go by reference.
    let deadLettersByReference = false;
    let switchedToReference = false;
    try {
      const outcome = await withRetry(
        async (attempt) => {
          attempts = attempt;
          switchedToReference = false;
          try {
            return await this.#attempt(ctx, payload, deadLettersByReference);
          } catch (error) {
            // Whatever failed, the in-memory state may be ahead of what is committed: drop it;
            // the next attempt re-acquires the group (new epoch, restore, committed offsets).
            this.#ownership.release(ctx);
            if (!deadLettersByReference && isMessageTooLargeError(error)) {
              deadLettersByReference = true;
              switchedToReference = true;
              this.#logger.warn('output refused as too large; retrying with dead letters by reference', {
                group: ctx.group,
                topic: batch.topic,
                error,
              });
            }
            throw error;
          }
        },
        {
          ...this.#options.retry,
          operation: `aggregate batch g${ctx.group} ${batch.topic}`,
          signal: this.#signal,
          isRetryable: (error) =>
            switchedToReference ||
            (!(error instanceof StoppingError) &&
              !isProducerFencedError(error) &&
              !isRebalanceError(error) &&
              isRetryableError(error)),
          onRetry: ({ attempt, error, delayMs }) => {
            this.#logger.warn('batch failed; retrying', {
              group: ctx.group,
              topic: batch.topic,
              attempt,
              delayMs,
              error,
            });
            this.#metrics.onTransactionRetry?.({ group: ctx.group, attempt, error });
          },
        },
      );
      payload.resolveOffset(batch.lastOffset());
      if (outcome.kind === 'skipped') {
        this.#skip(ctx, payload, 'already-committed', batch.messages.length);
      } else {
        this.#logger.debug('batch committed', {
          group: ctx.group,
          topic: batch.topic,
          partition: batch.partition,
          resumedAt: outcome.resumedAt,
          firstOffset: outcome.metrics.firstOffset,
          lastOffset: outcome.metrics.lastOffset,
          attempts,
        });
        this.#metrics.onBatch?.({ ...outcome.metrics, durationMs: performance.now() - started, attempts });
      }
    } catch (error) {
      if (isProducerFencedError(error)) {
        this.#ownership.fenced(ctx, error);
        return;
      }
      if (error instanceof StoppingError || this.#host.isStopping()) {
        this.#logger.info('batch abandoned: stopping', { group: ctx.group, topic: batch.topic });
        return;
      }
      if (isRebalanceError(error)) {
        // Leave eachBatch at once so kafkajs can rejoin; the batch is fetched again afterwards.
        this.#logger.info('batch interrupted by a rebalance', { group: ctx.group, topic: batch.topic });
        throw error;
      }
      const permanent = isPermanentError(error, isRetryableError);
      this.#metrics.onBatchFailed?.({
        group: ctx.group,
        topic: batch.topic,
        partition: batch.partition,
        attempts,
        durationMs: performance.now() - started,
        permanent,
        error,
      });
      if (permanent) {
        // Redelivering the batch would fail the same way: nothing is committed, the caller stops.
        this.#host.fail(error, `batch of group ${ctx.group} (${batch.topic}) failed with a permanent error`);
        throw error;
      }
      this.#logger.error('batch failed after retries; it will be redelivered', {
        group: ctx.group,
        topic: batch.topic,
        attempts,
        error,
      });
      throw error;
    }
    await payload.heartbeat();
  }

  async #attempt(
    ctx: GroupContext,
    payload: EachBatchPayload,
    deadLettersByReference: boolean,
  ): Promise<AttemptOutcome> {
    const { batch } = payload;
    const o = this.#options;
    const owned = await this.#ownership.ensureOwned(ctx, payload);
    const group = ctx.group;
    const groupCount = this.#host.groupCount();
    const position = owned.positions.get(batch.topic);
    const messages =
      position === undefined ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= position);
    if (messages.length === 0) return { kind: 'skipped' };

    // Records standing for batches kafkajs could not decompress are dead-lettered by reference
    // (split first: their placeholder record has no key to route by).
    const { decodable, undecodable } = splitUndecodable(messages);
    // The owner of a product is a function of its key (docs/architecture.md, misrouted input):
    // records of another group are forwarded to it in this transaction instead of applied here.
    const fromReroute = batch.topic === o.internalTopics.reroute;
    if (!fromReroute) this.#samplePartitioner(batch.topic, batch.partition, decodable);
    const routed = routeRecords(decodable, group, groupCount, o.partitioner);
    const forwards: Message[] = [];
    const notOwned: Message[] = [];
    for (const { message, owner } of routed.misrouted) {
      if (!fromReroute) forwards.push(rerouteMessage(batch, message, owner));
      else notOwned.push(this.#notOwnedDeadLetter(batch, message, owner, group));
    }

    const result = await reduceOnPool(this.#pool, owned.states, {
      topic: batch.topic,
      partition: batch.partition,
      messages: routed.local,
      maxFutureSkewMs: o.maxFutureSkewMs,
    });
    const { stateChanges, metricChanges } = applyReducedStates(owned, group, result.states);
    const { deadLetters: bounded, invalidByCode } = deadLettersOf(
      batch,
      routed.local,
      result.invalid,
      undecodable,
      {
        partition: group,
        maxBytes: o.maxDeadLetterBytes,
        // A rerouted record's dead letter names the input position it was first consumed at.
        ...(fromReroute ? { sourceOf: readRerouteSource } : {}),
      },
    );
    if (notOwned.length > 0) invalidByCode[REROUTE_NOT_OWNER] = notOwned.length;
    const all = notOwned.length === 0 ? bounded : [...bounded, ...notOwned];
    const plan = planBatchOutput({
      group,
      epoch: owned.epoch,
      topics: o.internalTopics,
      lowStockThreshold: o.lowStockThreshold,
      stateChanges,
      metricChanges,
      deadLetters: deadLettersByReference ? all.map(referenceDeadLetter) : all,
      reroutes: forwards,
      consumed: { topic: batch.topic, partition: batch.partition, lastOffset: batch.lastOffset() },
    });

    await commitBatchTransaction(
      { group, transactionalId: ctx.transactionalId, producer: owned.producer },
      plan,
      o,
    );
    owned.positions.set(batch.topic, BigInt(plan.offset.offset));
    if (forwards.length > 0) {
      this.#metrics.onRerouted?.({
        group,
        topic: batch.topic,
        partition: batch.partition,
        records: forwards.length,
      });
    }

    const counts = result.counts;
    return {
      kind: 'committed',
      resumedAt: position?.toString(),
      metrics: {
        group,
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: messages[0]!.offset,
        lastOffset: batch.lastOffset(),
        messages: messages.length,
        eventsByType: { ...counts.byType },
        applied: counts.applied,
        duplicate: counts.duplicate,
        stale: counts.stale,
        invalid: counts.invalid + undecodable.length + notOwned.length,
        invalidByCode,
        changedStates: plan.changedStates,
        metricChanges: plan.metricChanges,
        alerts: plan.alerts,
        lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(plan.offset.offset))),
      },
    };
  }

  /** Logs, once per input topic, which partitioner its records follow (judged on a sample). */
  #samplePartitioner(topic: string, partition: number, messages: readonly KafkaMessage[]): void {
    const verdict = this.#sampler.observe(topic, partition, this.#host.groupCount(), messages);
    if (verdict === undefined) return;
    const fields: Record<string, unknown> = { ...verdict };
    if (verdict.follows === verdict.configured) {
      this.#logger.info(
        `input topic "${topic}" follows the configured partitioner ${verdict.configured}`,
        fields,
      );
      return;
    }
    const follows =
      verdict.follows === 'neither'
        ? `neither murmur2 (${verdict.matches.murmur2} of ${verdict.sampled} sampled records) nor crc32 (${verdict.matches.crc32}): its producers are mixed or use another partitioner`
        : `${verdict.follows}, not the configured ${verdict.configured} (${verdict.matches[verdict.follows]} of ${verdict.sampled} sampled records)`;
    this.#logger.warn(
      `input topic "${topic}" follows ${follows}; its misrouted records take the reroute detour (see "Configuring producers to avoid the reroute detour" in docs/operations.md)`,
      fields,
    );
  }

  /**
   * A record of the reroute topic whose key this group does not own either: only possible when
   * members disagree on the partitioner (or the partition count changed under them). Applying it
   * here would put the product in two groups, forwarding it again could loop: it is dead-lettered.
   */
  #notOwnedDeadLetter(
    batch: { topic: string; partition: number },
    message: KafkaMessage,
    owner: number,
    group: number,
  ): Message {
    const o = this.#options;
    const source = readRerouteSource(message);
    const reason = `rerouted to group ${group}, but ${o.partitioner} over ${this.#host.groupCount()} partitions puts its key in group ${owner}`;
    this.#logger.error('rerouted record not owned by its group; dead-lettered', {
      group,
      owner,
      partitioner: o.partitioner,
      offset: message.offset,
    });
    const invalid = { code: REROUTE_NOT_OWNER, path: '', message: reason } as const;
    return source
      ? invalidRecordDeadLetter(source, source.message, invalid, group, o.maxDeadLetterBytes)
      : invalidRecordDeadLetter(batch, message, invalid, group, o.maxDeadLetterBytes);
  }
}
