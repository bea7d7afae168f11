import type { ProductEventType } from './types.js';

/** The three event types of contract version 1, in lifecycle order. */
export const PRODUCT_EVENT_TYPES: readonly ProductEventType[] = Object.freeze([
  'product.created',
  'product.updated',
  'product.deleted',
] as const);

/**
 * Default Kafka topic of each event type. The topic names equal the event types; every
 * deployment may override them (see {@link topicForEventType}).
 */
export const DEFAULT_TOPICS: Readonly<{
  created: 'product.created';
  updated: 'product.updated';
  deleted: 'product.deleted';
}> = Object.freeze({
  created: 'product.created',
  updated: 'product.updated',
  deleted: 'product.deleted',
});

/** Names of the Kafka record headers that producers set (see {@link encodeProductEvent}). */
export const HEADERS: Readonly<{
  contentType: 'content-type';
  eventType: 'event-type';
  schemaVersion: 'schema-version';
}> = Object.freeze({
  contentType: 'content-type',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
});

/** The contract version implemented by this package (`schemaVersion` field and header). */
export const SCHEMA_VERSION = 1;

/** Topic names, e.g. {@link DEFAULT_TOPICS} with some entries overridden. */
export type ProductTopics = { [K in keyof typeof DEFAULT_TOPICS]: string };

const TOPIC_FIELD: Readonly<Record<ProductEventType, keyof typeof DEFAULT_TOPICS>> = Object.freeze({
  'product.created': 'created',
  'product.updated': 'updated',
  'product.deleted': 'deleted',
});

/**
 * The Kafka topic that carries events of `type`.
 *
 * @param type - the event type
 * @param topics - topic overrides; missing entries fall back to {@link DEFAULT_TOPICS}
 * @returns the topic name
 * @example
 * topicForEventType('product.deleted'); // 'product.deleted'
 * topicForEventType('product.deleted', { deleted: 'catalog.product-deleted' }); // 'catalog.product-deleted'
 */
export function topicForEventType(type: ProductEventType, topics?: Partial<ProductTopics>): string {
  const field = TOPIC_FIELD[type];
  return topics?.[field] ?? DEFAULT_TOPICS[field];
}
