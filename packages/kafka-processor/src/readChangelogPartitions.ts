import type { Logger } from '@marketplace/options';
import type { Kafka, PartitionAssigner } from 'kafkajs';
import kafkajs from 'kafkajs';
import { undecodableBatchOf } from './deadLetters.js';
import { RestoreError } from './errors.js';
import { decodeGroupEpochMarker, GROUP_EPOCH_KEY } from './pipelineEpoch.js';

const { AssignerProtocol } = kafkajs;

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

/** Where the records of {@link readChangelogPartitions} go, per partition (= group). */
export interface ChangelogSink {
  /**
   * A product state record (key not empty, value not null). Throwing stops the read with a
   * non-retryable `RESTORE_FAILED` naming the offset (the value is not a product state).
   */
  put(partition: number, key: string, value: Buffer): void;
  /** A tombstone (null value) of a product. */
  remove(partition: number, key: string): void;
  /** The group's epoch marker (key `''`); 0 for a null marker. */
  epoch(partition: number, epoch: number): void;
}

/** Options of {@link readChangelogPartitions}. */
export interface ReadChangelogOptions {
  kafka: Kafka;
  topic: string;
  /**
   * Partition -> high watermark fetched before the read: records from offset 0 up to it are read.
   * Not empty, and only partitions holding records (high > low): the read ends when each is reached.
   */
  targets: ReadonlyMap<number, bigint>;
  /** Id of the throwaway consumer group (the caller deletes it afterwards). */
  groupId: string;
  timeoutMs: number;
  logger: Logger;
}

/**
 * Reads partitions of the changelog topic read_committed from the beginning up to the given
 * high watermarks with one short-lived consumer in a throwaway group, handing every record to
 * `sink`. Used on the main thread and inside the restore threads.
 * @throws {RestoreError} code `RESTORE_FAILED`: retryable on timeout or consumer crash; not
 *   retryable when a batch cannot be decompressed or `sink.put` refuses a value.
 */
export async function readChangelogPartitions(
  options: ReadChangelogOptions,
  sink: ChangelogSink,
): Promise<void> {
  const { kafka, topic, targets, logger } = options;
  const partitions = [...targets.keys()];
  const pending = new Set(partitions);
  const consumer = kafka.consumer({
    groupId: options.groupId,
    partitionAssigners: [exactPartitionsAssigner(topic, partitions)],
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 8 * 1024 * 1024,
    maxWaitTimeInMs: 250,
  });
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const finished = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const progress = (partition: number, lastOffset: string): void => {
    if (BigInt(lastOffset) + 1n >= targets.get(partition)!) pending.delete(partition);
    if (pending.size === 0) settle.resolve();
  };
  // Emitted for every processed batch, including batches that hold only transaction markers or
  // aborted records (which never reach eachBatch), so the end of the log is always noticed.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
    progress(payload.partition, payload.lastOffset),
  );
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    settle.reject(new RestoreError(partitions, 'the restore consumer crashed', { cause: payload.error }));
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
        const partition = batch.partition;
        // Only the partitions in `targets` are assigned to this consumer.
        const target = targets.get(partition)!;
        // Nothing is appended past the target while this member holds the group's producer, so
        // the bound is defensive; it is only applied to a batch that reaches it (no BigInt per record).
        /* v8 ignore next 3 -- unreachable while the group's producer is held (see above) */
        const messages =
          BigInt(batch.lastOffset()) >= target
            ? batch.messages.filter((m) => BigInt(m.offset) < target)
            : batch.messages;
        for (const message of messages) {
          const undecodable = undecodableBatchOf(message);
          if (undecodable !== undefined) {
            // Skipping it would silently lose states: the stage stops instead (onFatal).
            settle.reject(
              new RestoreError(
                [partition],
                `the changelog batch at offsets ${undecodable.firstOffset}..${undecodable.lastOffset} could not be decompressed`,
                { cause: undecodable.error, retryable: false },
              ),
            );
            return;
          }
          // A compacted topic refuses null keys; the empty key is the group's epoch marker (no
          // product id is empty).
          const keyBytes = message.key;
          /* v8 ignore next -- a compacted topic (checked at start) refuses records without a key */
          if (keyBytes === null) continue;
          const key = keyBytes.length === 0 ? GROUP_EPOCH_KEY : keyBytes.toString('utf8');
          if (key === GROUP_EPOCH_KEY) {
            // The group's epoch marker. One that cannot be read (a foreign writer's record) is
            // skipped: without a marker the group only writes its snapshot once more.
            try {
              sink.epoch(partition, message.value === null ? 0 : decodeGroupEpochMarker(message.value));
            } catch {
              logger.warn('skipping a changelog record with an empty key that is not an epoch marker', {
                partition,
                offset: message.offset,
              });
            }
            continue;
          }
          if (message.value === null) {
            sink.remove(partition, key);
            continue;
          }
          try {
            sink.put(partition, key, message.value);
          } catch (error) {
            settle.reject(
              new RestoreError([partition], `record at offset ${message.offset} is not a product state`, {
                cause: error,
                retryable: false,
              }),
            );
            return;
          }
        }
      },
    });
    await Promise.race([finished, timeout]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
  }
}
