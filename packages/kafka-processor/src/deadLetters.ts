import { createHash } from 'node:crypto';
import type { ParseErrorCode } from '@marketplace/product-events';
import type { InvalidMessage } from '@marketplace/worker-pool';
import type { KafkaMessage, Message } from 'kafkajs';
import { approximateSize } from './chunkBySize.js';
import { redriveCountOf } from './decodeDeadLetter.js';
import { DEAD_LETTER_HEADERS } from './defaults.js';

/**
 * Why a record was dead-lettered: a validation code of `parseProductEvent`, or a record batch
 * that could not be decompressed (`DECOMPRESSED_TOO_LARGE` over `maxDecompressedBytes`,
 * `DECOMPRESSION_FAILED` when corrupt).
 */
export type DeadLetterCode =
  | ParseErrorCode
  | 'DECOMPRESSED_TOO_LARGE'
  | 'DECOMPRESSION_FAILED'
  | 'REROUTE_NOT_OWNER';

/**
 * What a dead letter carries (header `dlq-form`):
 * - `full`: the original key, value and headers;
 * - `truncated`: the record was over `maxDeadLetterBytes`: a prefix of key and value, no original
 *   headers, with the sizes and SHA-256 of the original key and value;
 * - `reference`: no key, value or original headers, only where the input lies (a batch that could
 *   not be decompressed, or a dead letter the broker refused as too large).
 */
export type DeadLetterForm = 'full' | 'truncated' | 'reference';

/** A batch kafkajs could not decompress, as the patched kafkajs decoder hands it on. */
export interface UndecodableBatch {
  /** First offset of the record batch. */
  firstOffset: string;
  /** Last offset of the record batch (the offset of the record standing for it). */
  lastOffset: string;
  /** Records the batch declares. */
  recordCount: number;
  /** Size of the compressed records in bytes. */
  compressedBytes: number;
  /** What the codec threw (a `CodecError` for the codecs of `registerKafkaCodecs`). */
  error: unknown;
}

/** The undecodable batch a record stands for, or undefined for an ordinary record. */
export function undecodableBatchOf(message: KafkaMessage): UndecodableBatch | undefined {
  return (message as KafkaMessage & { undecodableBatch?: UndecodableBatch }).undecodableBatch;
}

/** The dead-letter code of an undecodable batch. */
export function undecodableBatchCode(batch: UndecodableBatch): DeadLetterCode {
  return (batch.error as { code?: unknown } | null)?.code === 'DECOMPRESSED_TOO_LARGE'
    ? 'DECOMPRESSED_TOO_LARGE'
    : 'DECOMPRESSION_FAILED';
}

const DEAD_LETTER_HEADER_NAMES: readonly string[] = Object.values(DEAD_LETTER_HEADERS);

/** Bytes of the original key a truncated dead letter keeps. */
const KEY_PREFIX_BYTES = 256;
/** Longest error message a dead letter carries, in characters. */
const MAX_ERROR_MESSAGE_LENGTH = 512;
/** Room left for the dead letter's own headers and record overhead. */
const HEADER_ALLOWANCE = 2048;

type Bytes = Buffer | string | null | undefined;

function toBuffer(value: Bytes): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function sha256(value: Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

function errorHeaders(code: DeadLetterCode, message: string, path: string): Record<string, string> {
  return {
    [DEAD_LETTER_HEADERS.errorCode]: code,
    [DEAD_LETTER_HEADERS.errorMessage]:
      message.length > MAX_ERROR_MESSAGE_LENGTH ? `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…` : message,
    [DEAD_LETTER_HEADERS.errorPath]: path,
  };
}

/** Size and SHA-256 of the original key and value (absent ones are left out). */
function digestHeaders(key: Buffer | null, value: Buffer | null): Record<string, string> {
  const headers: Record<string, string> = {};
  if (key !== null) {
    headers[DEAD_LETTER_HEADERS.keyBytes] = String(key.length);
    headers[DEAD_LETTER_HEADERS.keySha256] = sha256(key);
  }
  if (value !== null) {
    headers[DEAD_LETTER_HEADERS.valueBytes] = String(value.length);
    headers[DEAD_LETTER_HEADERS.valueSha256] = sha256(value);
  }
  return headers;
}

/**
 * The dead letter of an invalid message: the original key, value and headers plus `dlq-*`
 * headers naming the source position and the validation error (`dlq-form: full`). A record over
 * `maxBytes` (approximate encoded size) keeps only a prefix of its key (256 bytes) and of its
 * value (what fits in `maxBytes`), drops the original headers and carries the original sizes and
 * SHA-256 digests instead (`dlq-form: truncated`), so that it always fits the broker's limit.
 */
export function invalidRecordDeadLetter(
  source: { topic: string; partition: number },
  message: KafkaMessage,
  invalid: { code: DeadLetterCode; message: string; path: string; offset?: string },
  partition: number,
  maxBytes: number,
): Message {
  const position = {
    [DEAD_LETTER_HEADERS.sourceTopic]: source.topic,
    [DEAD_LETTER_HEADERS.sourcePartition]: String(source.partition),
    [DEAD_LETTER_HEADERS.sourceOffset]: message.offset,
    // How often the record was redriven before it failed again (`x-redrive-count`, else 0).
    [DEAD_LETTER_HEADERS.redriveCount]: String(redriveCountOf(message.headers)),
  };
  const error = errorHeaders(invalid.code, invalid.message, invalid.path);
  const full: Message = {
    key: message.key,
    value: message.value,
    partition,
    headers: { ...(message.headers ?? {}), ...position, ...error, [DEAD_LETTER_HEADERS.form]: 'full' },
  };
  if (approximateSize(full) <= maxBytes) return full;
  const key = toBuffer(message.key);
  const value = toBuffer(message.value);
  const keyPrefix = key === null ? null : key.subarray(0, KEY_PREFIX_BYTES);
  const valueRoom = Math.max(0, maxBytes - HEADER_ALLOWANCE - (keyPrefix?.length ?? 0));
  return {
    key: keyPrefix,
    value: value === null ? null : value.subarray(0, valueRoom),
    partition,
    headers: {
      ...position,
      ...error,
      ...digestHeaders(key, value),
      [DEAD_LETTER_HEADERS.originalHeaderCount]: String(Object.keys(message.headers ?? {}).length),
      [DEAD_LETTER_HEADERS.form]: 'truncated',
    },
  };
}

/**
 * The dead letter of a record batch that could not be decompressed, by reference: no key or
 * value, headers naming topic, partition, offset range (`dlq-source-offset` ..
 * `dlq-source-last-offset`), record count, compressed size and the code (`dlq-form: reference`).
 */
export function undecodableBatchDeadLetter(
  source: { topic: string; partition: number },
  batch: UndecodableBatch,
  partition: number,
): Message {
  const cause = batch.error instanceof Error ? batch.error.message : String(batch.error);
  return {
    key: null,
    value: null,
    partition,
    headers: {
      [DEAD_LETTER_HEADERS.sourceTopic]: source.topic,
      [DEAD_LETTER_HEADERS.sourcePartition]: String(source.partition),
      [DEAD_LETTER_HEADERS.sourceOffset]: batch.firstOffset,
      [DEAD_LETTER_HEADERS.sourceLastOffset]: batch.lastOffset,
      [DEAD_LETTER_HEADERS.recordCount]: String(batch.recordCount),
      [DEAD_LETTER_HEADERS.compressedBytes]: String(batch.compressedBytes),
      ...errorHeaders(undecodableBatchCode(batch), cause, ''),
      [DEAD_LETTER_HEADERS.form]: 'reference',
    },
  };
}

/**
 * A dead letter reduced to its reference form: no key or value, only its `dlq-*` headers (source
 * position, error, and the sizes and SHA-256 of the original key and value). Used when the broker
 * refused a batch's output as too large.
 */
export function referenceDeadLetter(deadLetter: Message): Message {
  const headers: Record<string, string> = {};
  const original = deadLetter.headers ?? {};
  for (const name of DEAD_LETTER_HEADER_NAMES) {
    const value = original[name];
    if (typeof value === 'string') headers[name] = value;
  }
  if (headers[DEAD_LETTER_HEADERS.form] === 'full') {
    Object.assign(headers, digestHeaders(toBuffer(deadLetter.key), toBuffer(deadLetter.value)));
  }
  headers[DEAD_LETTER_HEADERS.form] = 'reference';
  return { key: null, value: null, partition: deadLetter.partition, headers };
}

/** A batch's messages split into those kafkajs decoded and those standing for undecodable batches. */
export function splitUndecodable(messages: readonly KafkaMessage[]): {
  decodable: KafkaMessage[];
  undecodable: { message: KafkaMessage; batch: UndecodableBatch }[];
} {
  const decodable: KafkaMessage[] = [];
  const undecodable: { message: KafkaMessage; batch: UndecodableBatch }[] = [];
  for (const message of messages) {
    const batch = undecodableBatchOf(message);
    if (batch === undefined) decodable.push(message);
    else undecodable.push({ message, batch });
  }
  return { decodable, undecodable };
}

/**
 * Every dead letter of one input batch, in offset order of their sources: the invalid records the
 * reduction reported (bounded by `maxBytes`, see {@link invalidRecordDeadLetter}) and the
 * undecodable record batches (by reference), with their count per code.
 */
export function deadLettersOf(
  source: { topic: string; partition: number },
  decodable: readonly KafkaMessage[],
  invalid: readonly InvalidMessage[],
  undecodable: readonly { message: KafkaMessage; batch: UndecodableBatch }[],
  options: {
    partition: number;
    maxBytes: number;
    /**
     * Where an invalid record was first consumed, when that is not `source` (records of the
     * reroute topic): its dead letter names that position and carries the record as it was there.
     */
    sourceOf?: (
      message: KafkaMessage,
    ) => { topic: string; partition: number; message: KafkaMessage } | undefined;
  },
): { deadLetters: Message[]; invalidByCode: Partial<Record<DeadLetterCode, number>> } {
  const invalidByCode: Partial<Record<DeadLetterCode, number>> = {};
  const bySourceOffset: { offset: bigint; deadLetter: Message }[] = [];
  const byOffset = new Map(decodable.map((m) => [m.offset, m]));
  for (const item of invalid) {
    invalidByCode[item.code] = (invalidByCode[item.code] ?? 0) + 1;
    const original = byOffset.get(item.offset);
    if (original === undefined) continue;
    const first = options.sourceOf?.(original);
    bySourceOffset.push({
      offset: BigInt(original.offset),
      deadLetter: invalidRecordDeadLetter(
        first ?? source,
        first?.message ?? original,
        item,
        options.partition,
        options.maxBytes,
      ),
    });
  }
  for (const { message, batch } of undecodable) {
    const code = undecodableBatchCode(batch);
    invalidByCode[code] = (invalidByCode[code] ?? 0) + 1;
    bySourceOffset.push({
      offset: BigInt(message.offset),
      deadLetter: undecodableBatchDeadLetter(source, batch, options.partition),
    });
  }
  bySourceOffset.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  return { deadLetters: bySourceOffset.map((entry) => entry.deadLetter), invalidByCode };
}
