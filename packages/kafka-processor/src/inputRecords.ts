/**
 * The records of a record batch (message format v2) decoded into the objects kafkajs' consumer
 * hands to `eachBatch` (`KafkaMessage`: offset and timestamp as decimal strings, key and value as
 * `Buffer` views, headers as an object whose repeated names hold arrays), with the same values as
 * kafkajs' own record decoder gives, at a fraction of its cost: kafkajs builds a `Decoder` per
 * record, adds offsets and timestamps in `Long` and parses the batch's first offset and timestamp
 * again for every record, and collects headers through an array of pairs and a `Map`. Here the
 * varints are read in place, offsets and timestamps are added as numbers, and a header name seen
 * in the previous record is reused instead of decoded again.
 *
 * Anything outside the plain case (a field that would leave its record, a negative length other
 * than -1, a varint of 5 bytes or more, an offset or timestamp beyond 2^53, a `__proto__` header)
 * makes {@link decodeInputRecords} return `undefined`, and the batch goes to kafkajs' decoder, so
 * hostile input meets exactly the behaviour it met before.
 */

import { createRequire } from 'node:module';

/** What kafkajs' record batch decoder knows of the batch when it decodes its records. */
export interface InputBatchContext {
  readonly firstOffset: string;
  readonly firstTimestamp: string;
  readonly maxTimestamp: string;
  /** 0 create time, 1 log-append time (kafkajs' `TimestampTypes`). */
  readonly timestampType: number;
  readonly isControlBatch?: boolean;
  readonly magicByte?: number;
}

/** One record as kafkajs' record decoder returns it. */
export interface InputRecord {
  magicByte: number | undefined;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | (Buffer | null)[]>;
  isControlRecord: boolean;
  batchContext: InputBatchContext;
}

const LOG_APPEND_TIME = 1;

// Read position and failure flag of the readers below (one batch is decoded at a time,
// synchronously, so module state is safe and avoids an object per read).
let pos = 0;
let bad = false;

/** A zigzag varint of at most 4 bytes (every length and offset delta below 2^27). */
function varint(b: Buffer): number {
  let byte = b[pos++]!;
  let value = byte & 0x7f;
  if (byte & 0x80) {
    byte = b[pos++]!;
    value |= (byte & 0x7f) << 7;
    if (byte & 0x80) {
      byte = b[pos++]!;
      value |= (byte & 0x7f) << 14;
      if (byte & 0x80) {
        byte = b[pos++]!;
        value |= (byte & 0x7f) << 21;
        if (byte & 0x80) bad = true;
      }
    }
  }
  return (value >>> 1) ^ -(value & 1);
}

/** A zigzag varlong of at most 7 bytes (49 bits), as a number. */
function varlong(b: Buffer): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    const byte = b[pos++]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    scale *= 128;
  }
  bad = true;
  return 0;
}

/** Bytes of length `length` at `pos` (kafkajs: -1 is null), or a failure past `end`. */
function bytes(b: Buffer, length: number, end: number): Buffer | null {
  if (length === -1) return null;
  if (length < 0 || pos + length > end) {
    bad = true;
    return null;
  }
  const view = b.subarray(pos, pos + length);
  pos += length;
  return view;
}

// Header names of the previous records with their bytes: producers send the same few names on
// every record, so comparing a handful of bytes replaces a UTF-8 decode and a string.
const NAME_CACHE = 8;
const cachedNames: string[] = [];
const cachedBytes: Buffer[] = [];
let nextSlot = 0;

function sameBytes(b: Buffer, start: number, length: number, cached: Buffer): boolean {
  if (cached.length !== length) return false;
  for (let i = 0; i < length; i++) if (b[start + i] !== cached[i]) return false;
  return true;
}

function headerName(b: Buffer, length: number, end: number): string | null {
  if (length === -1) return null;
  if (length < 0 || pos + length > end) {
    bad = true;
    return null;
  }
  const start = pos;
  pos += length;
  for (let i = 0; i < cachedBytes.length; i++) {
    if (sameBytes(b, start, length, cachedBytes[i]!)) return cachedNames[i]!;
  }
  const name = b.toString('utf8', start, start + length);
  if (length <= 64) {
    cachedNames[nextSlot] = name;
    cachedBytes[nextSlot] = Buffer.from(b.subarray(start, start + length));
    nextSlot = (nextSlot + 1) % NAME_CACHE;
  }
  return name;
}

function headersOf(b: Buffer, end: number): InputRecord['headers'] {
  const count = varint(b);
  const headers: InputRecord['headers'] = {};
  if (count <= 0) {
    if (count < -1) bad = true;
    return headers;
  }
  let repeated: Set<string> | undefined;
  for (let i = 0; i < count && !bad; i++) {
    const name = String(headerName(b, varint(b), end));
    const value = bytes(b, varint(b), end);
    if (name === '__proto__') bad = true;
    else if (!Object.hasOwn(headers, name)) headers[name] = value;
    else if (repeated?.has(name)) (headers[name] as (Buffer | null)[]).push(value);
    else {
      headers[name] = [headers[name] as Buffer | null, value];
      repeated ??= new Set();
      repeated.add(name);
    }
  }
  return headers;
}

/**
 * Decodes the `count` records that start at `start` in `buffer` (an uncompressed batch's record
 * bytes after the record count, or a decompressed batch's records), as kafkajs' record decoder
 * would with the same batch context.
 * @returns the records, or `undefined` when the batch is outside the plain case (see the module
 *   comment) and must be decoded by kafkajs.
 */
export function decodeInputRecords(
  buffer: Buffer,
  start: number,
  count: number,
  context: InputBatchContext,
): InputRecord[] | undefined {
  const firstOffset = Number(context.firstOffset);
  const firstTimestamp = Number(context.firstTimestamp);
  if (
    count < 0 ||
    !Number.isSafeInteger(firstOffset) ||
    !Number.isSafeInteger(firstOffset + 2 ** 31) ||
    !Number.isSafeInteger(firstTimestamp)
  )
    return undefined;
  const appendTime =
    context.timestampType === LOG_APPEND_TIME && context.maxTimestamp ? context.maxTimestamp : undefined;
  const magicByte = context.magicByte;
  const isControlRecord = context.isControlBatch ?? false;
  const records = new Array<InputRecord>(count);
  pos = start;
  bad = false;
  for (let i = 0; i < count; i++) {
    const length = varint(buffer);
    const end = pos + length;
    if (bad || length < 0 || end > buffer.length) return undefined;
    const attributes = buffer.readInt8(pos++);
    const timestampDelta = varlong(buffer);
    const offsetDelta = varint(buffer);
    const key = bytes(buffer, varint(buffer), end);
    const value = bytes(buffer, varint(buffer), end);
    const headers = headersOf(buffer, end);
    const timestamp = firstTimestamp + timestampDelta;
    if (bad || pos > end || !Number.isSafeInteger(timestamp)) return undefined;
    records[i] = {
      magicByte,
      attributes,
      timestamp: appendTime ?? String(timestamp),
      offset: String(firstOffset + offsetDelta),
      key,
      value,
      headers,
      isControlRecord,
      batchContext: context,
    };
    pos = end;
  }
  return records;
}

type RecordsDecoderHook = (decoder: typeof decodeInputRecords | undefined) => void;

/**
 * Makes the kafkajs of this thread (each worker thread loads its own) decode the records of
 * every fetched batch with {@link decodeInputRecords}, through the hook the workspace's kafkajs
 * patch adds to its record batch decoder. Only stage 1's stream threads install it: the main
 * thread's kafkajs, which a service shares with its own consumers, keeps kafkajs' decoder.
 * @returns whether the loaded kafkajs has the hook (without it, kafkajs keeps its own decoder).
 */
export function installInputRecordsDecoder(): boolean {
  const require = createRequire(import.meta.url);
  const { setRecordsDecoder } = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as {
    setRecordsDecoder?: RecordsDecoderHook;
  };
  if (typeof setRecordsDecoder !== 'function') return false;
  setRecordsDecoder(decodeInputRecords);
  return true;
}
