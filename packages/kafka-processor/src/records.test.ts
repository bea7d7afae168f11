import type { ProductState } from '@marketplace/analytics-aggregator';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { approximateSize, chunkBySize, lowStockAlertMessage, toRawMessage } from './records.js';

const kafkaMessage = (headers: KafkaMessage['headers']): KafkaMessage =>
  ({
    key: Buffer.from('p-1'),
    value: Buffer.from('{"broken"'),
    offset: '41',
    timestamp: '0',
    attributes: 0,
    headers,
  }) as KafkaMessage;

describe('toRawMessage', () => {
  it('keeps key, value and offset, and takes the first value of a repeated header', () => {
    const raw = toRawMessage(
      kafkaMessage({ 'event-type': [Buffer.from('product.created'), Buffer.from('x')], a: 'b' }),
    );
    expect(raw.key?.toString()).toBe('p-1');
    expect(raw.offset).toBe('41');
    expect(raw.headers?.['event-type']?.toString()).toBe('product.created');
    expect(raw.headers?.a).toBe('b');
  });

  it('accepts a message without headers', () => {
    expect(
      toRawMessage({ ...kafkaMessage({}), headers: undefined } as unknown as KafkaMessage).headers,
    ).toEqual({});
  });
});

describe('lowStockAlertMessage', () => {
  it('describes the product that went below the threshold, keyed by product id', () => {
    const state: ProductState = {
      productId: 'p-7',
      version: 3,
      sellerId: 's-1',
      category: 'books',
      priceCents: 100,
      currency: 'USD',
      quantity: 2,
      status: 'active',
      deleted: false,
      updatedAt: '2026-11-25T10:00:00.000Z',
    };
    const alert = lowStockAlertMessage(state, 10, 1);
    expect(alert.key).toBe('p-7');
    expect(alert.partition).toBe(1);
    expect(JSON.parse(String(alert.value))).toEqual({
      productId: 'p-7',
      sellerId: 's-1',
      category: 'books',
      quantity: 2,
      threshold: 10,
      occurredAt: '2026-11-25T10:00:00.000Z',
      version: 3,
    });
  });
});

describe('chunkBySize', () => {
  const record = (bytes: number) => ({
    key: 'k',
    value: Buffer.alloc(bytes),
    headers: { h: ['a', Buffer.from('b')] },
  });

  it('keeps order and splits so that no chunk exceeds the limit', () => {
    const records = Array.from({ length: 10 }, () => record(300));
    const chunks = chunkBySize(records, 1_000);
    expect(chunks.flat()).toEqual(records);
    for (const chunk of chunks)
      expect(chunk.reduce((n, m) => n + approximateSize(m), 0)).toBeLessThanOrEqual(1_000);
    expect(chunks.length).toBeGreaterThan(1);
  });

  it('gives a record larger than the limit a chunk of its own', () => {
    expect(chunkBySize([record(10), record(5_000), record(10)], 1_000).map((c) => c.length)).toEqual([
      1, 1, 1,
    ]);
  });

  it('returns no chunks for no records and counts null keys and values as empty', () => {
    expect(chunkBySize([], 1_000)).toEqual([]);
    expect(approximateSize({ key: null, value: null })).toBe(64);
    expect(approximateSize({ value: 'abc' })).toBe(67);
  });

  it('also caps the records per chunk, keeping their order', () => {
    const records = Array.from({ length: 7 }, () => record(10));

    const chunks = chunkBySize(records, 1_000_000, 3);

    expect(chunks.map((c) => c.length)).toEqual([3, 3, 1]);
    expect(chunks.flat()).toEqual(records);
  });
});
