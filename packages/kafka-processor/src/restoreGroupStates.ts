import { decodeProductState } from '@marketplace/analytics-aggregator';
import type { Logger } from '@marketplace/options';
import type { Admin, Kafka, KafkaConfig } from 'kafkajs';
import { DEFAULT_CODEC_OPTIONS, registeredCodecOptions } from './codecs.js';
import { RestoreError } from './errors.js';
import { groupStatesSink, readChangelogPartitions } from './readChangelogPartitions.js';
import type { RestoredGroup } from './restoredGroup.js';
import { restoreOnThreads, splitPartitions } from './restoreOnThreads.js';

export type { RestoredGroup } from './restoredGroup.js';

/** Restore threads: each reads its share of the partitions with its own kafkajs client. */
export interface RestoreThreadsOptions {
  /** Config of the threads' kafkajs clients (structured-clonable: no functions). */
  kafkaConfig: KafkaConfig;
  /** Most threads of one restore (never more than the partitions that hold records). */
  threads: number;
  /**
   * Changelog records (offsets to read) a thread must have at least: a restore of fewer than
   * this many records runs on the main thread, since starting a thread (a new isolate that loads
   * kafkajs and runs its decoder cold) costs more than it saves on a small read.
   */
  minRecordsPerThread: number;
}

/** Options of {@link restoreGroupStates}. */
export interface RestoreGroupStatesOptions {
  kafka: Kafka;
  admin: Admin;
  /** The changelog topic (`analytics.product-state`). */
  topic: string;
  /** Groups (= changelog partitions) to restore. */
  groups: readonly number[];
  /** Give up (retryable `RESTORE_FAILED`) after this long. */
  timeoutMs: number;
  logger: Logger;
  /** Read on worker threads; without it one consumer on this thread reads every partition. */
  threads?: RestoreThreadsOptions;
}

/** Time a restore thread gets beyond `timeoutMs` to disconnect before it is terminated. */
const THREAD_GRACE_MS = 10_000;

/**
 * Reads partitions `groups` of the changelog topic read_committed from the beginning up to the
 * high watermark fetched when the restore starts, each through a short-lived consumer in a
 * throwaway group, and returns the latest state per product of each group. With `threads`, the
 * partitions are split over up to `threads.threads` worker threads (at most one per
 * `minRecordsPerThread` records to read; none below that), each with its own client and
 * consumer, and their states come back as one transferred buffer per group; otherwise one
 * consumer on this thread reads them all. The caller must already hold the groups' transactional
 * producers (initialised, so no transaction of a previous owner is still open and the high
 * watermark is stable).
 * @throws {RestoreError} code `RESTORE_FAILED`: retryable on timeout, consumer crash or a crashed
 *   thread; not retryable when a changelog record or batch cannot be decoded.
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
  const from = new Map<number, bigint>();
  const sizes = new Map<number, bigint>();
  for (const group of groups) {
    const partition = offsets.find((o) => o.partition === group);
    if (!partition)
      throw new RestoreError([group], `changelog ${topic} has no partition ${group}`, { retryable: false });
    const high = BigInt(partition.high);
    if (high > BigInt(partition.low)) {
      targets.set(group, high);
      from.set(group, BigInt(partition.low));
      sizes.set(group, high - BigInt(partition.low));
    }
  }
  if (targets.size === 0) return result;

  let total = 0n;
  for (const size of sizes.values()) total += size;
  const threads =
    options.threads === undefined
      ? 0
      : Math.min(options.threads.threads, Number(total / BigInt(options.threads.minRecordsPerThread)));
  if (options.threads !== undefined && threads > 0) {
    const { kafkaConfig } = options.threads;
    const maxDecompressedBytes = (registeredCodecOptions() ?? DEFAULT_CODEC_OPTIONS).maxDecompressedBytes;
    const restored = await restoreOnThreads({
      tasks: splitPartitions(sizes, threads).map((set) => ({
        kafkaConfig,
        topic,
        targets: set.map(([partition]) => [partition, targets.get(partition)!.toString()] as const),
        from: set.map(([partition]) => [partition, from.get(partition)!.toString()] as const),
        timeoutMs: options.timeoutMs,
        maxDecompressedBytes,
      })),
      graceMs: THREAD_GRACE_MS,
      logger,
    });
    for (const [group, r] of restored) result.set(group, r);
  } else {
    await readChangelogPartitions(
      { kafka, topic, targets, from, timeoutMs: options.timeoutMs, logger },
      groupStatesSink(result, decodeProductState),
    );
  }
  logger.debug('restored group states', {
    groups: [...groups],
    states: [...result.values()].reduce((n, r) => n + r.states.size, 0),
  });
  return result;
}
