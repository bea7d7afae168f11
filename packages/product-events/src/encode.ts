import { HEADERS, SCHEMA_VERSION } from './constants.js';
import { InvalidEventError } from './errors.js';
import { parseProductEvent } from './parse.js';
import type { ProductEvent } from './types.js';

/** A Kafka record ready for a producer (kafkajs `Message` shape). */
export interface EncodedProductEvent {
  /** The productId (Kafka partitions by it, so all events of a product stay in order). */
  key: string;
  /** The event as UTF-8 JSON. */
  value: Buffer;
  /** `content-type`, `event-type` and `schema-version` headers. */
  headers: Record<string, string>;
}

/** Builds the record without validating (the generator's events are valid by construction). */
export function encodeUnchecked(event: ProductEvent): EncodedProductEvent {
  return {
    key: event.productId,
    value: Buffer.from(JSON.stringify(event), 'utf8'),
    headers: {
      [HEADERS.contentType]: 'application/json',
      [HEADERS.eventType]: event.type,
      [HEADERS.schemaVersion]: String(SCHEMA_VERSION),
    },
  };
}

/**
 * Encodes an event as a Kafka record: key = productId, value = UTF-8 JSON, headers
 * `content-type: application/json`, `event-type: <type>`, `schema-version: 1`. The event is
 * validated first (an `occurredAt` more than 24 hours ahead of the clock included), so a
 * producer cannot publish what consumers would reject; `occurredAt` is written in its canonical
 * UTC form (`2026-11-25T22:30:00.000Z`), the caller's object is not changed.
 *
 * @param event - the event to publish
 * @returns `{ key, value, headers }`; send it to `topicForEventType(event.type)`
 * @throws {InvalidEventError} `INVALID_EVENT` when the event breaks the contract (its
 *   `parseError` says where)
 * @example
 * const record = encodeProductEvent(event);
 * await producer.send({ topic: topicForEventType(event.type), messages: [record] });
 */
export function encodeProductEvent(event: ProductEvent): EncodedProductEvent {
  // A shallow copy: the parser normalises `occurredAt` in place, the caller's event stays as it is.
  const result = parseProductEvent({ ...event });
  if (!result.ok) throw new InvalidEventError(result.error);
  return encodeUnchecked(result.event);
}
