import { randomUUID } from 'node:crypto';
import { decodeProductState, type ProductState } from '@marketplace/analytics-aggregator';
import type { Logger } from '@marketplace/options';
import type { Admin, Kafka, PartitionAssigner } from 'kafkajs';
import kafkajs from 'kafkajs';
import { undecodableBatchOf } from './deadLetters.js';
import { RestoreError } from './errors.js';
import { decodeGroupEpochMarker, GROUP_EPOCH_KEY } from './pipelineEpoch.js';

const { AssignerProtocol } = kafkajs;

/** Options of {@link restoreGroupStates}. */
export interface RestoreGroupStatesOptions {
  kafka: Kafka;
  admin: Admin;
  /** The changelog topic (`analytics.product-state`). */
  topic: string;
  /** Groups (= changelog partitions) to restore. */
  groups: readonly number[];
  /** Prefix of the throwaway consumer group id. */
  groupIdPrefix: string;
  /** Give up (retryable `RESTORE_FAILED`) after this long. */
  timeoutMs: number;
  logger: Logger;
}

/** What was restored for one group. */
export interface RestoredGroup {
  /** Latest state per product id. */
  states: Map<string, ProductState>;
  /** Changelog records read (before compaction of duplicates in memory). */
  records: number;
  /**
   * The group's epoch marker (changelog key `''`): the pipeline epoch whose full snapshot of the
   * group's partial metrics was written; 0 when the changelog has none.
   */
  epoch: number;
}

/**
 * A kafkajs assigner for a one-member throwaway group that takes exactly the given partitions:
 * kafkajs has no manual assignment, so this is how one changelog partition is read
 * (docs/architecture.md#d5-restore-through-a-throwaway-consumer-group).
 */
export function exactPartitionsAssigner(topic: string, partitions: readonly number[]): PartitionAssigner {
  return () => ({
    name: 'exact-partitions',
    version: 0,
    async assign({ members }) {
      // A throwaway group has exactly one member; any other would get nothing.
      return members.map(({ memberId }, index) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: index === 0 ? { [topic]: [...partitions] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'exact-partitions',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

/**
 * Reads partitions `groups` of the changelog topic read_committed from the beginning up to the
 * high watermark fetched when the restore starts, with a short-lived consumer in a throwaway
 * group, and returns the latest state per product of each group. The caller must already hold
 * the groups' transactional producers (initialised, so no transaction of a previous owner is
 * still open and the high watermark is stable).
 * @throws {RestoreError} code `RESTORE_FAILED`: retryable on timeout or consumer crash; not
 *   retryable when a changelog record cannot be decoded.
 */
export async function restoreGroupStates(
  options: RestoreGroupStatesOptions,
): Promise<Map<number, RestoredGroup>> {
  const { kafka, admin, topic, groups, logger } = options;
  const result = new Map<number, RestoredGroup>(
    groups.map((g) => [g, { states: new Map(), records: 0, epoch: 0 }]),
  );
  const offsets = await admin.fetchTopicOffsets(topic);
  const targets = new Map<number, bigint>();
  for (const group of groups) {
    const partition = offsets.find((o) => o.partition === group);
    if (!partition)
      throw new RestoreError([group], `changelog ${topic} has no partition ${group}`, { retryable: false });
    if (BigInt(partition.high) > BigInt(partition.low)) targets.set(group, BigInt(partition.high));
  }
  if (targets.size === 0) return result;

  const groupId = `${options.groupIdPrefix}-restore-${randomUUID()}`;
  const pending = new Set(targets.keys());
  const consumer = kafka.consumer({
    groupId,
    partitionAssigners: [exactPartitionsAssigner(topic, [...targets.keys()])],
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 8 * 1024 * 1024,
    maxWaitTimeInMs: 250,
  });
  let settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const progress = (partition: number, lastOffset: string): void => {
    if (BigInt(lastOffset) + 1n >= targets.get(partition)!) pending.delete(partition);
    if (pending.size === 0) settle?.resolve();
  };
  // Emitted for every processed batch, including batches that hold only transaction markers or
  // aborted records (which never reach eachBatch), so the end of the log is always noticed.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
    progress(payload.partition, payload.lastOffset),
  );
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    settle?.reject(
      new RestoreError([...targets.keys()], 'the restore consumer crashed', { cause: payload.error }),
    );
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new RestoreError([...pending], `did not reach the end of ${topic} within ${options.timeoutMs} ms`),
        ),
      options.timeoutMs,
    );
  });
  // Both are raced below; these no-op handlers only keep a late rejection from going unhandled.
  finished.catch(() => {});
  timeout.catch(() => {});
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: targets.size,
      eachBatch: async ({ batch }) => {
        // Only the partitions in `targets` are assigned to this consumer.
        const restored = result.get(batch.partition)!;
        const target = targets.get(batch.partition)!;
        for (const message of batch.messages) {
          // Nothing is appended past the target while this member holds the group's producer, so
          // this is defensive.
          /* v8 ignore if -- unreachable while the group's producer is held (see above) */
          if (BigInt(message.offset) >= target) break;
          const undecodable = undecodableBatchOf(message);
          if (undecodable !== undefined) {
            // Skipping it would silently lose states: the stage stops instead (onFatal).
            settle?.reject(
              new RestoreError(
                [batch.partition],
                `the changelog batch at offsets ${undecodable.firstOffset}..${undecodable.lastOffset} could not be decompressed`,
                { cause: undecodable.error, retryable: false },
              ),
            );
            return;
          }
          // A compacted topic refuses null keys; the empty key is the group's epoch marker (no
          // product id is empty).
          const key = message.key?.toString('utf8');
          if (key === undefined) continue;
          if (key === GROUP_EPOCH_KEY) {
            // The group's epoch marker. One that cannot be read (a foreign writer's record) is
            // skipped: without a marker the group only writes its snapshot once more.
            try {
              restored.epoch = message.value === null ? 0 : decodeGroupEpochMarker(message.value);
            } catch {
              logger.warn('skipping a changelog record with an empty key that is not an epoch marker', {
                partition: batch.partition,
                offset: message.offset,
              });
            }
            continue;
          }
          restored.records += 1;
          if (message.value === null) {
            restored.states.delete(key);
            continue;
          }
          try {
            restored.states.set(key, decodeProductState(message.value));
          } catch (error) {
            settle?.reject(
              new RestoreError(
                [batch.partition],
                `record at offset ${message.offset} is not a product state`,
                {
                  cause: error,
                  retryable: false,
                },
              ),
            );
            return;
          }
        }
      },
    });
    await Promise.race([finished, timeout]);
    logger.debug('restored group states', {
      groups: [...groups],
      states: [...result.values()].reduce((n, r) => n + r.states.size, 0),
    });
    return result;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
  }
}
