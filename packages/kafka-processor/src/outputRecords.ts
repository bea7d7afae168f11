import { createRequire } from 'node:module';

/**
 * The record batch (message format v2, uncompressed) of one partition of a produce request,
 * written byte for byte as kafkajs' own encoder writes it, at a fraction of its cost: kafkajs
 * builds an `Encoder` per record and per header, a `Buffer` per varint (`Buffer.from` of a byte
 * array), `Long` arithmetic per timestamp delta, and grows and copies each encoder as it writes.
 * Here every size is computed first, the batch is written into one buffer, and only its CRC32C is
 * computed by kafkajs' function.
 *
 * A message outside the plain case (a key, value or header value that is neither a string, a
 * `Buffer` nor, for key and value, null; a timestamp delta that is not a safe integer; a record
 * count or delta past the 4-byte varints this writer emits) makes {@link encodeOutputBatch} return
 * `undefined`, and kafkajs encodes the batch as before.
 */

/** A message as kafkajs' producer hands it to the produce request (after partitioning). */
export interface OutputMessage {
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: Readonly<Record<string, unknown>>;
  readonly timestamp?: unknown;
}

/** What kafkajs' produce request knows of a partition's batch when it encodes it. */
export interface OutputBatchContext {
  readonly messages: readonly OutputMessage[];
  /** `Date.now()` of this request: the timestamp of a message without one. */
  readonly dateNow: number;
  /** The batch's first and max timestamps as kafkajs chose them (numbers or decimal strings). */
  readonly firstTimestamp: unknown;
  readonly maxTimestamp: unknown;
  /** kafkajs `Long`, string or number. */
  readonly producerId: unknown;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  readonly transactional: boolean;
}

const require = createRequire(import.meta.url);
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number;

/** Bytes from `firstOffset` to the CRC's end, and from `attributes` to the record count's end. */
const HEADER = 61;
const CRC_START = 21;
const TRANSACTIONAL = 0x10;
const MAX_SMALL_VARINT = 2 ** 27;
/** Timestamp deltas whose zigzag form (2|n| or 2|n| - 1) is still exact as a number. */
const MAX_DELTA = 2 ** 52;

function isInt64(n: bigint): boolean {
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/** Bytes of the zigzag varint of `n` (|n| < 2^27). */
function varintSize(n: number): number {
  const z = n >= 0 ? n * 2 : -n * 2 - 1;
  return z < 0x80 ? 1 : z < 0x4000 ? 2 : z < 0x200000 ? 3 : 4;
}

/** Bytes of the zigzag varlong of `n` (a safe integer). */
function varlongSize(n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

let pos = 0;

function writeVarint(b: Buffer, n: number): void {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 0x80) {
    b[pos++] = (z & 0x7f) | 0x80;
    z = Math.floor(z / 128);
  }
  b[pos++] = z;
}

/** Bytes of a key, value or header value (-1: null), or -2 when it is none of those kafkajs writes plainly. */
function bytesLength(value: unknown, nullable: boolean): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Buffer.isBuffer(value)) return value.length;
  if (nullable && value == null) return -1;
  return -2;
}

function writeBytes(b: Buffer, value: unknown, length: number): void {
  writeVarint(b, length);
  if (length <= 0) return;
  if (typeof value === 'string') b.write(value, pos, length);
  else (value as Buffer).copy(b, pos);
  pos += length;
}

/** The headers as kafkajs writes them: arrays flattened to one header per value, in key order. */
function headerPairs(headers: unknown): [string, unknown][] | undefined {
  if (headers === undefined) return [];
  if (headers === null || typeof headers !== 'object') return undefined;
  const pairs: [string, unknown][] = [];
  for (const name of Object.keys(headers)) {
    const value = (headers as Record<string, unknown>)[name];
    if (Array.isArray(value)) for (const item of value) pairs.push([name, item]);
    else pairs.push([name, value]);
  }
  return pairs;
}

/**
 * Encodes the uncompressed record batch of one partition as kafkajs' produce request does (from
 * `firstOffset` to the last record), for the same messages and context.
 * @returns the batch, or `undefined` when a message is outside the plain case (see the module
 *   comment) and kafkajs must encode the batch.
 */
export function encodeOutputBatch(context: OutputBatchContext): Buffer | undefined {
  const { messages, dateNow } = context;
  const count = messages.length;
  if (count >= MAX_SMALL_VARINT) return undefined;
  let firstTimestamp: bigint;
  let maxTimestamp: bigint;
  let producerId: bigint;
  try {
    firstTimestamp = BigInt(String(context.firstTimestamp));
    maxTimestamp = BigInt(String(context.maxTimestamp));
    producerId = BigInt(String(context.producerId));
  } catch {
    return undefined;
  }
  if (!isInt64(firstTimestamp) || !isInt64(maxTimestamp) || !isInt64(producerId)) return undefined;
  // First pass: every record's size, and whether it is plain; the byte lengths it measures are
  // kept for the second pass, which writes them.
  const bodies = new Array<number>(count);
  const deltas = new Array<number>(count);
  const keyLengths = new Array<number>(count);
  const valueLengths = new Array<number>(count);
  const pairsOf = new Array<[string, unknown][]>(count);
  /** Per record, each header's name and value byte lengths, in turn. */
  const headerLengthsOf = new Array<number[]>(count);
  let total = HEADER;
  for (let i = 0; i < count; i++) {
    const m = messages[i]!;
    // kafkajs' own expression (a string timestamp is coerced by the subtraction).
    const delta = ((m.timestamp as number | undefined) || dateNow) - (context.firstTimestamp as number);
    const keyLength = bytesLength(m.key, true);
    const valueLength = bytesLength(m.value, true);
    const pairs = headerPairs(m.headers);
    if (
      !Number.isSafeInteger(delta) ||
      Math.abs(delta) >= MAX_DELTA ||
      keyLength === -2 ||
      valueLength === -2 ||
      pairs === undefined
    )
      return undefined;
    let body =
      1 +
      varlongSize(delta) +
      varintSize(i) +
      varintSize(keyLength) +
      Math.max(0, keyLength) +
      varintSize(valueLength) +
      Math.max(0, valueLength) +
      varintSize(pairs.length);
    const headerLengths: number[] = [];
    for (const [name, value] of pairs) {
      const nameLength = Buffer.byteLength(name);
      const headerLength = bytesLength(value, false);
      if (headerLength === -2 || nameLength >= MAX_SMALL_VARINT || headerLength >= MAX_SMALL_VARINT)
        return undefined;
      body += varintSize(nameLength) + nameLength + varintSize(headerLength) + headerLength;
      headerLengths.push(nameLength, headerLength);
    }
    if (body >= MAX_SMALL_VARINT || keyLength >= MAX_SMALL_VARINT || valueLength >= MAX_SMALL_VARINT)
      return undefined;
    bodies[i] = body;
    deltas[i] = delta;
    keyLengths[i] = keyLength;
    valueLengths[i] = valueLength;
    pairsOf[i] = pairs;
    headerLengthsOf[i] = headerLengths;
    total += varintSize(body) + body;
  }
  const b = Buffer.allocUnsafe(total);
  b.writeBigInt64BE(0n, 0); // firstOffset: the broker assigns it
  b.writeInt32BE(total - 12, 8); // length: everything after this field
  b.writeInt32BE(0, 12); // partitionLeaderEpoch
  b.writeInt8(2, 16); // magic
  b.writeInt16BE(context.transactional ? TRANSACTIONAL : 0, CRC_START);
  b.writeInt32BE(count - 1, 23); // lastOffsetDelta
  b.writeBigInt64BE(BigInt.asIntN(64, firstTimestamp), 27);
  b.writeBigInt64BE(BigInt.asIntN(64, maxTimestamp), 35);
  b.writeBigInt64BE(BigInt.asIntN(64, producerId), 43);
  b.writeInt16BE(context.producerEpoch, 51);
  b.writeInt32BE(context.firstSequence, 53);
  b.writeInt32BE(count, 57);
  pos = HEADER;
  for (let i = 0; i < count; i++) {
    const m = messages[i]!;
    writeVarint(b, bodies[i]!);
    b[pos++] = 0; // attributes
    writeVarint(b, deltas[i]!);
    writeVarint(b, i);
    writeBytes(b, m.key, keyLengths[i]!);
    writeBytes(b, m.value, valueLengths[i]!);
    const pairs = pairsOf[i]!;
    const headerLengths = headerLengthsOf[i]!;
    writeVarint(b, pairs.length);
    for (let h = 0; h < pairs.length; h++) {
      writeBytes(b, pairs[h]![0], headerLengths[2 * h]!);
      writeBytes(b, pairs[h]![1], headerLengths[2 * h + 1]!);
    }
  }
  b.writeUInt32BE(crc32C(b.subarray(CRC_START)), 17);
  return b;
}

type RecordBatchEncoderHook = (encoder: typeof encodeOutputBatch | undefined) => void;

/**
 * Makes the kafkajs of this thread encode the uncompressed record batches of its produce requests
 * with {@link encodeOutputBatch}, through the hook the workspace's kafkajs patch adds to its produce
 * request. Only stage 1's stream threads install it (like `installInputRecordsDecoder`).
 * @returns whether the loaded kafkajs has the hook (without it, kafkajs keeps its own encoder).
 */
export function installOutputBatchEncoder(): boolean {
  const { setRecordBatchEncoder } = require('kafkajs/src/protocol/requests/produce/v3/request.js') as {
    setRecordBatchEncoder?: RecordBatchEncoderHook;
  };
  if (typeof setRecordBatchEncoder !== 'function') return false;
  setRecordBatchEncoder(encodeOutputBatch);
  return true;
}
