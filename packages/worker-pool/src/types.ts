import type { ProductState } from '@marketplace/analytics-aggregator';
import type { ParseErrorCode, ProductEventType } from '@marketplace/product-events';

/** A header value as kafkajs delivers it (a Buffer, a string, several of them, or nothing). */
export type RawHeaderValue = Uint8Array | string | (Uint8Array | string)[] | undefined;

/**
 * One raw Kafka message of a batch: bytes as received (kafkajs `Buffer`s fit, including views
 * into a larger pooled buffer: the pool copies them, never transfers them).
 */
export interface RawMessage {
  /** Message key (the productId, UTF-8); `null` when missing (an invalid message). */
  key: Uint8Array | null;
  /** Message value (JSON, UTF-8); `null` for a tombstone (an invalid message). */
  value: Uint8Array | null;
  /** Kafka headers (`event-type`, `content-type`, `schema-version`, ...). */
  headers?: Record<string, RawHeaderValue>;
  /** Offset, a decimal string (kafkajs style). */
  offset: string;
}

/** A batch to reduce: the messages of one topic-partition, and the prior states of their keys. */
export interface ReduceTask {
  /** Topic the messages were read from. */
  topic: string;
  /** Partition the messages were read from. */
  partition: number;
  /** Messages in offset order. */
  messages: readonly RawMessage[];
  /**
   * Latest known states, by productId, before this batch. Only the keys of the batch are looked
   * up; a larger map (e.g. a whole group's state) is fine, the pool sends only what is needed.
   */
  priorStates: ReadonlyMap<string, ProductState>;
  /**
   * How far `occurredAt` may lie ahead of the clock, in ms; later events are invalid
   * (`EVENT_TIME_IN_FUTURE`).
   * @default 86400000 (24 hours, `DEFAULT_PARSE_OPTIONS.maxFutureSkewMs` of `@marketplace/product-events`)
   */
  maxFutureSkewMs?: number;
  /**
   * Largest accepted message value in bytes; larger ones are invalid (`PAYLOAD_TOO_LARGE`).
   * @default 1048576 (the `maxBytes` default of `parseProductEvent`)
   */
  maxEventBytes?: number;
}

/** A message that failed parsing/validation, with the parser's error. */
export interface InvalidMessage {
  /** Offset of the message. */
  offset: string;
  /** Error code from `parseProductEvent`. */
  code: ParseErrorCode;
  /** JSON pointer to the offending field (`''` = the root). */
  path: string;
  /** Human-readable reason. */
  message: string;
}

/** What happened to the messages of a batch. */
export interface ReduceCounts {
  /** Valid events that changed a product's state. */
  applied: number;
  /** Valid events whose version equals the state's (redeliveries, producer retries). */
  duplicate: number;
  /** Valid events whose version is lower than the state's (late arrivals). */
  stale: number;
  /** Messages that are not valid events. */
  invalid: number;
  /** Valid events by type (applied, duplicate and stale alike). */
  byType: Record<ProductEventType, number>;
}

/** Outcome of reducing a batch. */
export interface ReduceResult {
  /** Final state of every product the batch changed (one per product, in order of first change). */
  states: ProductState[];
  /** Invalid messages, in offset order. */
  invalid: InvalidMessage[];
  /** Counts by outcome and type. */
  counts: ReduceCounts;
  /**
   * Highest `occurredAt` of the applied events, normalised to `YYYY-MM-DDTHH:mm:ss.sssZ`;
   * `null` when nothing was applied.
   */
  maxOccurredAt: string | null;
}
