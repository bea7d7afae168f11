import type { ProductState } from '@marketplace/analytics-aggregator';
import type { InvalidMessage, RawMessage } from '@marketplace/worker-pool';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { redriveCountOf } from './decodeDeadLetter.js';
import { DEAD_LETTER_HEADERS } from './defaults.js';

/** The JSON value of a low-stock alert on `inventory.low-stock` (key = productId). */
export interface LowStockAlert {
  productId: string;
  sellerId: string;
  category: string;
  quantity: number;
  threshold: number;
  /** `occurredAt` of the event that took the product below the threshold. */
  occurredAt: string;
  /** Product version of that event. */
  version: number;
}

/** The first value of a Kafka header (kafkajs gives arrays for repeated headers). */
function firstHeaderValue(value: IHeaders[string]): Buffer | string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A kafkajs message as the worker pool's raw input (buffers are copied by the pool before transfer). */
export function toRawMessage(message: KafkaMessage): RawMessage {
  const headers: Record<string, Uint8Array | string | undefined> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = firstHeaderValue(value);
  return { key: message.key, value: message.value, headers, offset: message.offset };
}

/**
 * The dead letter of an invalid message: original key, value and headers, plus `dlq-*` headers
 * naming the source position, the validation error and how often the record was redriven.
 */
export function deadLetterMessage(
  source: { topic: string; partition: number },
  message: KafkaMessage,
  invalid: InvalidMessage,
  partition: number,
): Message {
  return {
    key: message.key,
    value: message.value,
    partition,
    headers: {
      ...(message.headers ?? {}),
      [DEAD_LETTER_HEADERS.sourceTopic]: source.topic,
      [DEAD_LETTER_HEADERS.sourcePartition]: String(source.partition),
      [DEAD_LETTER_HEADERS.sourceOffset]: message.offset,
      [DEAD_LETTER_HEADERS.errorCode]: invalid.code,
      [DEAD_LETTER_HEADERS.errorMessage]: invalid.message,
      [DEAD_LETTER_HEADERS.errorPath]: invalid.path,
      [DEAD_LETTER_HEADERS.redriveCount]: String(redriveCountOf(message.headers)),
    },
  };
}

/** The alert record for a product that went below `threshold`. */
export function lowStockAlertMessage(state: ProductState, threshold: number, partition: number): Message {
  const alert: LowStockAlert = {
    productId: state.productId,
    sellerId: state.sellerId,
    category: state.category,
    quantity: state.quantity,
    threshold,
    occurredAt: state.updatedAt,
    version: state.version,
  };
  return {
    key: state.productId,
    value: JSON.stringify(alert),
    partition,
    headers: { 'content-type': 'application/json' },
  };
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** Approximate encoded size of a record (payload plus a fixed per-record overhead). */
export function approximateSize(message: Message): number {
  let size = 64 + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size += Buffer.byteLength(name);
    for (const v of Array.isArray(value) ? value : [value]) size += byteLength(v);
  }
  return size;
}

/**
 * Splits records into consecutive chunks of at most `maxBytes` (approximately; a single larger
 * record gets a chunk of its own), so no produce request exceeds the broker's record-batch limit,
 * and of at most `maxRecords` records. Order is kept.
 */
export function chunkBySize(
  messages: readonly Message[],
  maxBytes: number,
  maxRecords = Number.POSITIVE_INFINITY,
): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let size = 0;
  for (const message of messages) {
    const next = approximateSize(message);
    if (current.length > 0 && (size + next > maxBytes || current.length >= maxRecords)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += next;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
