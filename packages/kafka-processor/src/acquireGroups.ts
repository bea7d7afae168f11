import { performance } from 'node:perf_hooks';
import { PartialAggregates, type ProductState } from '@marketplace/analytics-aggregator';
import type { Logger } from '@marketplace/options';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { ResolvedOptions } from './aggregateProcessorOptions.js';
import { commitSnapshotTransaction } from './groupTransaction.js';
import { encodeGroupEpochMarker, GROUP_EPOCH_KEY } from './pipelineEpoch.js';
import { metricChangeRecords } from './planBatchOutput.js';
import { restoreGroupStates } from './restoreGroupStates.js';
import { snapshotChanges } from './snapshotChanges.js';
import type { ProcessorMetricsHooks } from './types.js';

/** A group this member holds: its transactional producer and its restored, live state. */
export interface OwnedGroup {
  readonly producer: Producer;
  readonly states: Map<string, ProductState>;
  readonly aggregates: PartialAggregates;
  /** Highest `updatedAt` of the group's states: the event time of its metric changes. */
  watermark: string;
  /** Next offset to process per input topic (partition = group); below it was committed already. */
  readonly positions: Map<string, bigint>;
  /** Pipeline epoch the group's metric changes are written in. */
  readonly epoch: number;
}

/** A group to take: its index and the transactional id of its producer. */
export interface GroupSlot {
  readonly group: number;
  readonly transactionalId: string;
}

/** What {@link acquireGroups} uses. */
export interface AcquireGroupsDeps {
  readonly kafka: Kafka;
  /** The connected admin client. */
  readonly admin: Admin;
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  readonly metrics: ProcessorMetricsHooks;
}

/**
 * Takes ownership of groups: initialises each group's transactional producer (fencing any
 * previous owner and completing its open transaction), then restores the groups' states from
 * the changelog and reads the committed input offsets, both now stable. A group whose changelog
 * was last written in an older pipeline epoch than `epoch` first gets its snapshot written under
 * `epoch`. On failure the producers created so far are handed to `closeProducer`.
 * @throws whatever the producers, the restore (`RestoreError`) or the admin client threw.
 */
export async function acquireGroups(
  deps: AcquireGroupsDeps,
  ctxs: readonly GroupSlot[],
  epoch: number,
  closeProducer: (producer: Producer) => void,
): Promise<Map<number, OwnedGroup>> {
  const { kafka, admin, options: o, logger, metrics } = deps;
  const started = performance.now();
  const producers = new Map<number, Producer>();
  try {
    await Promise.all(
      ctxs.map(async (ctx) => {
        const producer = kafka.producer({
          transactionalId: ctx.transactionalId,
          idempotent: true,
          maxInFlightRequests: 1,
          transactionTimeout: o.transactionTimeoutMs,
          allowAutoTopicCreation: false,
        });
        producers.set(ctx.group, producer);
        await producer.connect();
        // The first transaction() initialises the producer id for this transactional id
        // (InitProducerId): it bumps the epoch, fencing the previous owner, and waits until
        // that owner's open transaction is completed. Nothing was sent, so abort is local.
        const init = await producer.transaction();
        await init.abort();
      }),
    );
    const groups = ctxs.map((c) => c.group);
    const restored = await restoreGroupStates({
      kafka: kafka,
      admin,
      topic: o.internalTopics.productState,
      groups,
      timeoutMs: o.restoreTimeoutMs,
      logger: logger,
      ...(o.restoreThreads === undefined ? {} : { threads: o.restoreThreads }),
    });
    const committed = await admin.fetchOffsets({ groupId: o.groupId, topics: o.consumedTopics });
    const acquired = new Map<number, OwnedGroup>();
    let stateCount = 0;
    let records = 0;
    // Where each group resumes, per input topic: the first log line to read when an input range
    // seems to have no effect (docs/operations.md, broker fault tests).
    const resumeAt: Record<string, Record<string, string>> = {};
    for (const ctx of ctxs) {
      const { states, records: read, epoch: restoredEpoch } = restored.get(ctx.group)!;
      let watermark = '';
      for (const state of states.values()) if (state.updatedAt > watermark) watermark = state.updatedAt;
      const positions = new Map<string, bigint>();
      for (const { topic, partitions } of committed) {
        const offset = partitions.find((p) => p.partition === ctx.group)?.offset;
        if (offset !== undefined && BigInt(offset) >= 0n) positions.set(topic, BigInt(offset));
      }
      const owned: OwnedGroup = {
        producer: producers.get(ctx.group)!,
        states,
        aggregates: PartialAggregates.fromStates(states.values(), {
          lowStockThreshold: o.lowStockThreshold,
        }),
        watermark,
        positions,
        epoch,
      };
      if (restoredEpoch < epoch) await writeSnapshot(deps, ctx, owned);
      acquired.set(ctx.group, owned);
      resumeAt[ctx.group] = Object.fromEntries([...positions].map(([topic, at]) => [topic, at.toString()]));
      stateCount += states.size;
      records += read;
    }
    const durationMs = performance.now() - started;
    logger.info('groups restored', {
      groups,
      states: stateCount,
      records,
      durationMs: Math.round(durationMs),
      resumeAt,
    });
    metrics.onRestore?.({ groups, states: stateCount, records, durationMs });
    return acquired;
  } catch (error) {
    for (const producer of producers.values()) closeProducer(producer);
    throw error;
  }
}

/**
 * A group entering a new epoch: one transaction with every partial metric row of the group
 * (absolute values, stamped with the new epoch) and the group's epoch marker in the changelog,
 * so the snapshot is written once per epoch, whichever member takes the group.
 */
async function writeSnapshot(deps: AcquireGroupsDeps, ctx: GroupSlot, owned: OwnedGroup): Promise<void> {
  const o = deps.options;
  const changes =
    owned.watermark === '' ? [] : snapshotChanges(owned.aggregates.snapshot(), ctx.group, owned.watermark);
  await commitSnapshotTransaction(
    { group: ctx.group, transactionalId: ctx.transactionalId, producer: owned.producer },
    {
      metricChanges: {
        topic: o.internalTopics.metricChanges,
        messages: metricChangeRecords(changes, ctx.group, owned.epoch),
      },
      marker: {
        topic: o.internalTopics.productState,
        messages: [
          { key: GROUP_EPOCH_KEY, value: encodeGroupEpochMarker(owned.epoch), partition: ctx.group },
        ],
      },
    },
    o,
  );
  deps.logger.info('group snapshot written for a new epoch', {
    group: ctx.group,
    epoch: owned.epoch,
    changes: changes.length,
  });
}
