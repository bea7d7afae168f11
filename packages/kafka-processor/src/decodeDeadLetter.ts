import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { DEAD_LETTER_HEADERS, REDRIVE_COUNT_HEADER } from './defaults.js';

/** A record of the dead-letter topic, with its `dlq-*` headers decoded. */
export interface DeadLetter {
  /** Partition of the dead-letter topic. */
  partition: number;
  /** Offset in the dead-letter topic. */
  offset: string;
  /** Time the dead letter was written (ms since the epoch, from the record timestamp). */
  timestamp: number;
  /** `dlq-error-code`, e.g. `SCHEMA_VIOLATION`; `UNKNOWN` when the header is missing. */
  code: string;
  /** `dlq-error-message`. */
  message: string;
  /** `dlq-error-path` (JSON pointer of the offending value). */
  path: string;
  /** `dlq-source-topic`: the input topic the record was read from; `''` when missing. */
  sourceTopic: string;
  /** `dlq-source-partition`; `-1` when missing. */
  sourcePartition: number;
  /** `dlq-source-offset`; `''` when missing. */
  sourceOffset: string;
  /** How often the record had been redriven when it was dead-lettered (0 = never). */
  redriveCount: number;
  /** Original key bytes. */
  key: Buffer | null;
  /** Original value bytes. */
  value: Buffer | null;
  /** Original headers of the input record: every header but the `dlq-*` ones and `x-redrive-count`. */
  headers: IHeaders;
}

const DLQ_HEADER_NAMES: ReadonlySet<string> = new Set([
  ...Object.values(DEAD_LETTER_HEADERS),
  REDRIVE_COUNT_HEADER,
]);

function headerText(value: IHeaders[string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

function count(value: IHeaders[string]): number | undefined {
  const text = headerText(value);
  return text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

/**
 * How often a record has been redriven, from its headers: the `x-redrive-count` header a redrive
 * sets, or 0 when absent or not a non-negative integer.
 */
export function redriveCountOf(headers: IHeaders | undefined): number {
  return count(headers?.[REDRIVE_COUNT_HEADER]) ?? 0;
}

/**
 * Decodes a record of the dead-letter topic (as stage 1 writes it, see `DEAD_LETTER_HEADERS`).
 * Never throws: missing headers get neutral values (`code: 'UNKNOWN'`, `sourcePartition: -1`).
 * The redrive count is `dlq-redrive-count`, else the `x-redrive-count` the record carried.
 */
export function decodeDeadLetter(partition: number, message: KafkaMessage): DeadLetter {
  const all = message.headers ?? {};
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(all)) if (!DLQ_HEADER_NAMES.has(name)) headers[name] = value;
  const text = (name: string): string => headerText(all[name]) ?? '';
  return {
    partition,
    offset: message.offset,
    timestamp: Number(message.timestamp),
    code: text(DEAD_LETTER_HEADERS.errorCode) || 'UNKNOWN',
    message: text(DEAD_LETTER_HEADERS.errorMessage),
    path: text(DEAD_LETTER_HEADERS.errorPath),
    sourceTopic: text(DEAD_LETTER_HEADERS.sourceTopic),
    sourcePartition: count(all[DEAD_LETTER_HEADERS.sourcePartition]) ?? -1,
    sourceOffset: text(DEAD_LETTER_HEADERS.sourceOffset),
    redriveCount: count(all[DEAD_LETTER_HEADERS.redriveCount]) ?? redriveCountOf(all),
    key: message.key,
    value: message.value,
    headers,
  };
}

/** Which dead letters a command selects; every given criterion must match. */
export interface DeadLetterFilter {
  /** Error codes (`dlq-error-code`); empty or absent = any. */
  codes?: readonly string[];
  /** Source topics; empty or absent = any. */
  topics?: readonly string[];
  /** Source partition. */
  partition?: number;
  /** Smallest source offset (inclusive). */
  fromOffset?: bigint;
  /** Largest source offset (inclusive). */
  toOffset?: bigint;
}

/** Whether `deadLetter` is selected by `filter`. */
export function matchesDeadLetterFilter(deadLetter: DeadLetter, filter: DeadLetterFilter): boolean {
  if (filter.codes && filter.codes.length > 0 && !filter.codes.includes(deadLetter.code)) return false;
  if (filter.topics && filter.topics.length > 0 && !filter.topics.includes(deadLetter.sourceTopic))
    return false;
  if (filter.partition !== undefined && deadLetter.sourcePartition !== filter.partition) return false;
  if (filter.fromOffset !== undefined || filter.toOffset !== undefined) {
    if (!/^\d+$/.test(deadLetter.sourceOffset)) return false;
    const offset = BigInt(deadLetter.sourceOffset);
    if (filter.fromOffset !== undefined && offset < filter.fromOffset) return false;
    if (filter.toOffset !== undefined && offset > filter.toOffset) return false;
  }
  return true;
}

/**
 * The record a redrive sends for `deadLetter`: original key, value and headers, to the source
 * partition it came from (so the three input topics stay co-partitioned whatever partitioner
 * the producers use), with `x-redrive-count` one higher than the dead letter's count.
 */
export function redriveMessage(deadLetter: DeadLetter): Message & { partition: number } {
  return {
    key: deadLetter.key,
    value: deadLetter.value,
    partition: deadLetter.sourcePartition,
    headers: { ...deadLetter.headers, [REDRIVE_COUNT_HEADER]: String(deadLetter.redriveCount + 1) },
  };
}
