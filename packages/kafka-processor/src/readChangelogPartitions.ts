import type { Logger } from '@marketplace/options';
import type { Kafka } from 'kafkajs';
import {
  encodeFetchRequest,
  fetchRequest,
  kafkajsWire,
  parseFetchResponse,
  partitionOf,
  type WireCluster,
  type WireRequest,
} from './changelogFetch.js';
import { RestoreError } from './errors.js';
import { decodeGroupEpochMarker } from './pipelineEpoch.js';
import { type RecordHandler, readBatches, scanBatches, UnreadableBatchError } from './recordBatches.js';

/** Where the records of {@link readChangelogPartitions} go, per partition (= group). */
export interface ChangelogSink {
  /**
   * A product state record (key not empty, value not null), the latest of its product in one
   * fetch response; calls come in offset order per partition after each response. Throwing stops the read with a
   * non-retryable `RESTORE_FAILED` naming the offset (the value is not a product state). `value`
   * is a view into the fetch response: copy it to keep it.
   */
  put(partition: number, key: string, value: Buffer): void;
  /** A tombstone (null value) of a product. */
  remove(partition: number, key: string): void;
  /** The group's epoch marker (key `''`); 0 for a null marker. */
  epoch(partition: number, epoch: number): void;
  /**
   * `count` product records were read and left out: a later record of the same product in the
   * same fetch response supersedes them (they are counted, never decoded).
   */
  superseded(partition: number, count: number): void;
}

/** What a restore keeps of one group: the latest value per product, records read, epoch. */
export interface GroupStates<T> {
  readonly states: Map<string, T>;
  records: number;
  epoch: number;
}

/**
 * The sink that fills `groups` (one entry per partition read): `toValue` turns a product state
 * record into what is kept (it validates; throwing refuses the record); tombstones remove the
 * product; every product record, superseded ones included, counts in `records`.
 */
export function groupStatesSink<T>(
  groups: ReadonlyMap<number, GroupStates<T>>,
  toValue: (value: Buffer) => T,
): ChangelogSink {
  return {
    put(group, key, value) {
      const restored = groups.get(group)!;
      restored.records += 1;
      restored.states.set(key, toValue(value));
    },
    remove(group, key) {
      const restored = groups.get(group)!;
      restored.records += 1;
      restored.states.delete(key);
    },
    epoch(group, epoch) {
      groups.get(group)!.epoch = epoch;
    },
    superseded(group, count) {
      groups.get(group)!.records += count;
    },
  };
}

/** Options of {@link readChangelogPartitions}. */
export interface ReadChangelogOptions {
  kafka: Kafka;
  topic: string;
  /**
   * Partition -> high watermark fetched before the read: records up to it are read. Not empty,
   * and only partitions holding records (high > low): the read ends when each is reached.
   */
  targets: ReadonlyMap<number, bigint>;
  /** Partition -> first offset to read (the low watermark fetched with `targets`); default 0. */
  from?: ReadonlyMap<number, bigint>;
  timeoutMs: number;
  logger: Logger;
  /** Fetch sizes; the defaults ({@link CHANGELOG_FETCH_LIMITS}) suit every restore (tests shrink them). */
  fetchLimits?: FetchLimits;
}

/** Sizes of the restore's Fetch requests. */
export interface FetchLimits {
  /** How long the broker may wait for data (only at the end of a partition). */
  readonly maxWaitMs: number;
  /** Most bytes of one response. */
  readonly maxBytes: number;
  /** Most bytes of one partition in a response (at least one batch is always returned). */
  readonly partitionMaxBytes: number;
}

/**
 * Fetch sizes of the restore: large responses, few round trips (the restore reads whole
 * partitions; a response is read in place, so its size is the memory it takes, and the larger it
 * is, the more superseded values are skipped undecoded).
 */
export const CHANGELOG_FETCH_LIMITS: FetchLimits = Object.freeze({
  maxWaitMs: 250,
  maxBytes: 32 * 1024 * 1024,
  partitionMaxBytes: 8 * 1024 * 1024,
});
/** Request timeout of one fetch (kafkajs' default `requestTimeout`). */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Reads partitions of the changelog topic read_committed from their first offset up to the given
 * high watermarks, handing every record to `sink`: Fetch requests to each partition's leader over
 * kafkajs' connections, one in flight per leader and sent before the previous response is read,
 * the responses read in place (`recordBatches.ts`). No consumer group is joined. Used on the main
 * thread and inside the restore threads.
 * @throws {RestoreError} code `RESTORE_FAILED`: retryable on timeout, a lost connection or a
 *   partition the broker no longer leads; not retryable when a batch cannot be read (e.g.
 *   decompressed) or `sink.put` refuses a value.
 */
export async function readChangelogPartitions(
  options: ReadChangelogOptions,
  sink: ChangelogSink,
): Promise<void> {
  const { kafka, topic, targets, logger } = options;
  const limits = options.fetchLimits ?? CHANGELOG_FETCH_LIMITS;
  const partitions = [...targets.keys()];
  const positions = new Map(partitions.map((p) => [p, options.from?.get(p) ?? 0n]));
  const pending = new Set(partitions.filter((p) => positions.get(p)! < targets.get(p)!));
  let stopped = false;
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
  // Raced below; this no-op handler only keeps a late rejection from going unhandled.
  timeout.catch(() => {});

  // One loop per partition, each with one Fetch in flight: the broker answers a connection's
  // requests in order, so the first partition's response arrives (and is read) while the
  // others are still being sent, instead of one large response for all of them.
  const readPartition = async (send: (request: WireRequest) => Promise<Buffer>, partition: number) => {
    const target = targets.get(partition)!;
    const fetch = (): Promise<Buffer> => {
      const body = encodeFetchRequest(topic, [{ partition, offset: positions.get(partition)! }], limits);
      const sent = send(fetchRequest(body, limits.maxWaitMs, REQUEST_TIMEOUT_MS));
      sent.catch(() => {});
      return sent;
    };
    const collector = latestPerProduct(sink, logger);
    let inFlight: Promise<Buffer> | undefined = fetch();
    while (inFlight !== undefined && !stopped) {
      const fetched = parseFetchResponse(await inFlight);
      const f = partitionOf(fetched, partition);
      const from = positions.get(partition)!;
      const batches = unreadable(partition, () => scanBatches(f.records));
      if (batches.length > 0) positions.set(partition, batches[batches.length - 1]!.lastOffset + 1n);
      const done = positions.get(partition)! >= target;
      if (done) pending.delete(partition);
      // The next request goes out before this response is read, so the broker works meanwhile.
      inFlight = done ? undefined : fetch();
      await unreadableAsync(partition, () =>
        readBatches(f.records, batches, f.aborted, { from, to: target }, collector.collect(partition)),
      );
      collector.flush(partition);
    }
  };

  let wire: Promise<WireCluster> | undefined;
  try {
    wire = kafkajsWire(kafka, topic);
    wire.catch(() => {});
    const leaders = await Promise.race([wire.then((w) => w.leaders([...pending])), timeout]);
    const reads = leaders.flatMap((l) => l.partitions.map((p) => readPartition(l.broker.send, p)));
    await Promise.race([Promise.all(reads), timeout]);
  } catch (error) {
    if (error instanceof RestoreError) throw error;
    throw new RestoreError([...pending], 'the changelog fetch failed', { cause: error });
  } finally {
    stopped = true;
    clearTimeout(timer);
    if (wire !== undefined) await wire.then((w) => w.disconnect()).catch(() => {});
  }
}

/**
 * Collects the records of one partition's response, latest per product, and hands them to the
 * sink: a value superseded within the same response is never decoded (a changelog holds several
 * versions of a product until the log cleaner compacts it). Parallel arrays, reused, so no object
 * per record. One per partition loop.
 */
function latestPerProduct(
  sink: ChangelogSink,
  logger: Logger,
): { collect(partition: number): RecordHandler; flush(partition: number): void } {
  const latest = new Map<string, number>();
  const buffers: Buffer[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const bases: bigint[] = [];
  const deltas: number[] = [];

  const collect = (partition: number): RecordHandler => {
    return (buffer, keyStart, keyEnd, valueStart, valueEnd, baseOffset, offsetDelta) => {
      // A compacted topic refuses null keys; the empty key is the group's epoch marker (no
      // product id is empty).
      if (keyEnd === keyStart) {
        // A marker that cannot be read (a foreign writer's record) is skipped: without a marker
        // the group only writes its snapshot once more.
        try {
          sink.epoch(
            partition,
            valueStart < 0 ? 0 : decodeGroupEpochMarker(buffer.subarray(valueStart, valueEnd)),
          );
        } catch {
          logger.warn('skipping a changelog record with an empty key that is not an epoch marker', {
            partition,
            offset: String(baseOffset + BigInt(offsetDelta)),
          });
        }
        return;
      }
      const i = buffers.length;
      buffers.push(buffer);
      starts.push(valueStart);
      ends.push(valueEnd);
      bases.push(baseOffset);
      deltas.push(offsetDelta);
      latest.set(buffer.toString('utf8', keyStart, keyEnd), i);
    };
  };

  /** Hands the collected records of `partition` to the sink and empties the collection. */
  const flush = (partition: number): void => {
    sink.superseded(partition, buffers.length - latest.size);
    try {
      for (const [key, i] of latest) {
        if (starts[i]! < 0) {
          sink.remove(partition, key);
          continue;
        }
        try {
          sink.put(partition, key, buffers[i]!.subarray(starts[i], ends[i]));
        } catch (error) {
          throw new RestoreError(
            [partition],
            `record at offset ${bases[i]! + BigInt(deltas[i]!)} is not a product state`,
            { cause: error, retryable: false },
          );
        }
      }
    } finally {
      latest.clear();
      buffers.length = 0;
      starts.length = 0;
      ends.length = 0;
      bases.length = 0;
      deltas.length = 0;
    }
  };

  return { collect, flush };
}

function unreadable<T>(partition: number, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw asRestoreError(partition, error);
  }
}

async function unreadableAsync(partition: number, read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch (error) {
    throw asRestoreError(partition, error);
  }
}

function asRestoreError(partition: number, error: unknown): unknown {
  if (!(error instanceof UnreadableBatchError)) return error;
  // Skipping it would silently lose states: the stage stops instead (onFatal).
  return new RestoreError(
    [partition],
    `the changelog batch at offsets ${error.firstOffset}..${error.lastOffset} ${error.message}`,
    { cause: error, retryable: false },
  );
}
