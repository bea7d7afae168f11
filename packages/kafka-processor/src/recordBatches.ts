import kafkajs from 'kafkajs';
import type { AbortedTransaction } from './changelogFetch.js';

const { CompressionCodecs } = kafkajs;

/**
 * Kafka record batches (message format v2, the only one Kafka 4 serves) read in place: batch
 * headers first ({@link scanBatches}, cheap, so the next fetch can be sent before the records are
 * read), then the records of the batches a read_committed reader may see ({@link readBatches}).
 * A record reaches the handler as offsets into a buffer: no object, string or `BigInt` per record.
 */

/** Bytes before the first record of a v2 batch; the header fields' offsets within it. */
const HEADER = 61;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const PRODUCER_ID = 43;
const RECORD_COUNT = 57;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
/** Control record type of an abort marker (the key is version int16, type int16). */
const ABORT_MARKER = 0;

/** One complete record batch of a partition's record bytes. */
export interface BatchHeader {
  /** Byte range of the batch within the record bytes. */
  start: number;
  end: number;
  baseOffset: bigint;
  lastOffset: bigint;
  attributes: number;
  producerId: bigint;
}

/** A batch the reader cannot read: its offsets and why. */
export class UnreadableBatchError extends Error {
  constructor(
    readonly firstOffset: bigint,
    readonly lastOffset: bigint,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'UnreadableBatchError';
  }
}

/**
 * The complete batches of a partition's record bytes, in order. A fetch response may end inside
 * a batch (the broker cuts at the byte limit); that last part is left out.
 * @throws {UnreadableBatchError} on a batch of another message format than v2.
 */
export function scanBatches(records: Buffer): BatchHeader[] {
  const batches: BatchHeader[] = [];
  let start = 0;
  while (start + HEADER <= records.length) {
    const end = start + 12 + records.readInt32BE(start + 8);
    if (end > records.length) break;
    const baseOffset = records.readBigInt64BE(start);
    const lastOffset = baseOffset + BigInt(records.readInt32BE(start + LAST_OFFSET_DELTA));
    const magic = records[start + 16];
    if (magic !== 2)
      throw new UnreadableBatchError(
        baseOffset,
        lastOffset,
        `is in message format v${magic} (only v2 is read)`,
      );
    batches.push({
      start,
      end,
      baseOffset,
      lastOffset,
      attributes: records.readInt16BE(start + ATTRIBUTES),
      producerId: records.readBigInt64BE(start + PRODUCER_ID),
    });
    start = end;
  }
  return batches;
}

/**
 * Receives one record: key and value as byte ranges of `buffer` (`valueStart` -1 for a null
 * value; a null key arrives as an empty one), and its offset as the batch's base offset plus a
 * delta (computed only when the handler needs it, e.g. for an error).
 */
export type RecordHandler = (
  buffer: Buffer,
  keyStart: number,
  keyEnd: number,
  valueStart: number,
  valueEnd: number,
  baseOffset: bigint,
  offsetDelta: number,
) => void;

// The read position of the varint readers below (one record is read at a time, synchronously).
let pos = 0;

/** Reads a zigzag varint (Kafka's record fields) at `pos`. */
function varint(b: Buffer): number {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = b[pos++]!;
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80 && shift < 35);
  return (value >>> 1) ^ -(value & 1);
}

/** Skips a varint or varlong at `pos`. */
function skipVarint(b: Buffer): void {
  while (b[pos++]! & 0x80) {}
}

/** Control type of a control batch's first record (its key is version int16, type int16). */
function controlType(records: Buffer, batch: BatchHeader): number {
  pos = batch.start + HEADER;
  varint(records); // length
  pos += 1; // attributes
  skipVarint(records); // timestamp delta
  varint(records); // offset delta
  const keyLength = varint(records);
  return keyLength >= 4 ? records.readInt16BE(pos + 2) : -1;
}

/** The records of a batch, decompressed when the batch is. */
async function recordBytes(records: Buffer, batch: BatchHeader): Promise<Buffer> {
  const codec = batch.attributes & 0x07;
  const payload = records.subarray(batch.start + HEADER, batch.end);
  if (codec === 0) return payload;
  const factory = (
    CompressionCodecs as Record<number, (() => { decompress(b: Buffer): Promise<Buffer> }) | undefined>
  )[codec];
  try {
    if (factory === undefined) throw new Error(`no codec is registered for compression type ${codec}`);
    return await factory().decompress(payload);
  } catch (cause) {
    throw new UnreadableBatchError(batch.baseOffset, batch.lastOffset, 'could not be decompressed', {
      cause,
    });
  }
}

/** Calls `handler` for each of the `count` records `buffer` (a batch's records) holds. */
function readRecords(
  buffer: Buffer,
  count: number,
  batch: BatchHeader,
  window: { from: bigint; to: bigint },
  handler: RecordHandler,
): void {
  // Records before `from` (a fetch offset inside a batch) or from `to` on are not delivered;
  // only a batch that crosses either bound pays for the comparison.
  const low = batch.baseOffset < window.from ? Number(window.from - batch.baseOffset) : 0;
  const high = batch.lastOffset >= window.to ? Number(window.to - batch.baseOffset) : Number.MAX_SAFE_INTEGER;
  pos = 0;
  for (let i = 0; i < count; i++) {
    const length = varint(buffer);
    const end = pos + length;
    pos += 1; // attributes
    skipVarint(buffer); // timestamp delta
    const offsetDelta = varint(buffer);
    const keyLength = varint(buffer);
    const keyStart = pos;
    const keyEnd = keyLength > 0 ? pos + keyLength : pos;
    pos = keyEnd;
    const valueLength = varint(buffer);
    const valueStart = valueLength < 0 ? -1 : pos;
    const valueEnd = valueLength < 0 ? -1 : pos + valueLength;
    if (end > buffer.length || valueEnd > end)
      throw new UnreadableBatchError(batch.baseOffset, batch.lastOffset, 'has a record that overruns it');
    // The handler may read varints itself (a nested decoder), so `pos` is set after it.
    if (offsetDelta >= low && offsetDelta < high)
      handler(buffer, keyStart, keyEnd, valueStart, valueEnd, batch.baseOffset, offsetDelta);
    pos = end;
  }
}

/**
 * Hands `handler` every record a read_committed consumer sees in `batches` (from
 * {@link scanBatches} over the same bytes), within offsets `[window.from, window.to)`: records of
 * aborted transactions and control batches are left out, as the Java consumer does. `aborted` is
 * what the same Fetch response listed for this partition (in any order; the broker lists them in
 * the order they were aborted).
 * @throws {UnreadableBatchError} when a batch cannot be decompressed or a record overruns it.
 */
export async function readBatches(
  records: Buffer,
  batches: readonly BatchHeader[],
  aborted: readonly AbortedTransaction[],
  window: { from: bigint; to: bigint },
  handler: RecordHandler,
): Promise<void> {
  const pending = [...aborted].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
  );
  let next = 0;
  const aborting = new Set<bigint>();
  for (const batch of batches) {
    const transactional = (batch.attributes & TRANSACTIONAL) !== 0;
    if (transactional) {
      // Every aborted transaction that started at or before this batch's last record.
      while (next < pending.length && pending[next]!.firstOffset <= batch.lastOffset) {
        aborting.add(pending[next]!.producerId);
        next++;
      }
    }
    if ((batch.attributes & CONTROL) !== 0) {
      if (controlType(records, batch) === ABORT_MARKER) aborting.delete(batch.producerId);
      continue;
    }
    if (transactional && aborting.has(batch.producerId)) continue;
    // Outside the window: only its transaction bookkeeping above counts.
    if (batch.lastOffset < window.from || batch.baseOffset >= window.to) continue;
    const bytes = await recordBytes(records, batch);
    const count = records.readInt32BE(batch.start + RECORD_COUNT);
    readRecords(bytes, count, batch, window, handler);
  }
}
