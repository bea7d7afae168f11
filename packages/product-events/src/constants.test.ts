import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPICS,
  HEADERS,
  PRODUCT_EVENT_TYPES,
  SCHEMA_VERSION,
  topicForEventType,
} from './constants.js';

describe('contract constants', () => {
  it('names the three event types, topics and headers of contract v1', () => {
    expect(PRODUCT_EVENT_TYPES).toEqual(['product.created', 'product.updated', 'product.deleted']);
    expect(DEFAULT_TOPICS).toEqual({
      created: 'product.created',
      updated: 'product.updated',
      deleted: 'product.deleted',
    });
    expect(HEADERS).toEqual({
      contentType: 'content-type',
      eventType: 'event-type',
      schemaVersion: 'schema-version',
    });
    expect(SCHEMA_VERSION).toBe(1);
  });

  it('freezes the constants so no consumer can change them for everyone', () => {
    expect(Object.isFrozen(PRODUCT_EVENT_TYPES)).toBe(true);
    expect(Object.isFrozen(DEFAULT_TOPICS)).toBe(true);
    expect(Object.isFrozen(HEADERS)).toBe(true);
  });
});

describe('topicForEventType', () => {
  it('maps each type to its default topic', () => {
    expect(PRODUCT_EVENT_TYPES.map((type) => topicForEventType(type))).toEqual([
      'product.created',
      'product.updated',
      'product.deleted',
    ]);
  });

  it('uses an override and falls back to the default for the others', () => {
    const topics = { deleted: 'catalog.product-deleted' };

    expect(topicForEventType('product.deleted', topics)).toBe('catalog.product-deleted');
    expect(topicForEventType('product.created', topics)).toBe('product.created');
  });
});
