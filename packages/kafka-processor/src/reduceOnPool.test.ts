import type { ProductState } from '@marketplace/analytics-aggregator';
import { encodeProductEvent } from '@marketplace/product-events';
import { ReducerPool } from '@marketplace/worker-pool';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { event } from '../test/fixtures/fakeKafka.js';
import { reduceOnPool } from './reduceOnPool.js';

const pool = new ReducerPool({ inline: true });
afterAll(() => pool.destroy());

const message = (offset: number, key: string | null, value: Buffer): KafkaMessage =>
  ({
    key: key === null ? null : Buffer.from(key),
    value,
    offset: String(offset),
    timestamp: '0',
    attributes: 0,
    headers: {},
  }) as KafkaMessage;

const prior: ProductState = {
  productId: 'p-1',
  version: 1,
  sellerId: 's-1',
  category: 'books',
  priceCents: 100,
  currency: 'USD',
  quantity: 5,
  status: 'active',
  deleted: false,
  updatedAt: '2026-11-27T10:00:00.000Z',
};

describe('reduceOnPool', () => {
  it('reduces nothing for a batch with no record to apply here', async () => {
    const result = await reduceOnPool(pool, new Map(), {
      topic: 'product.updated',
      partition: 0,
      messages: [],
      maxFutureSkewMs: undefined,
    });
    expect(result).toMatchObject({ states: [], invalid: [], counts: { applied: 0 } });
  });

  it('hands the pool the prior states of the keyed records and the future-skew bound', async () => {
    const inAnHour = { ...event('p-2', 1), occurredAt: new Date(Date.now() + 3_600_000).toISOString() };
    const value = (e: ReturnType<typeof event>): Buffer => Buffer.from(encodeProductEvent(e).value);
    const result = await reduceOnPool(pool, new Map([['p-1', prior]]), {
      topic: 'product.updated',
      partition: 0,
      messages: [
        // Version 1 again: a duplicate of the prior state, applied only if the pool lacked it.
        message(0, 'p-1', value(event('p-1', 1))),
        // Within the default 24 h of skew, beyond the batch's 60 s.
        message(1, 'p-2', value(inAnHour)),
        // No key: no prior state to look up, and invalid.
        message(2, null, Buffer.from('{}')),
      ],
      maxFutureSkewMs: 60_000,
    });
    expect(result.states).toEqual([]);
    expect(result.counts).toMatchObject({ applied: 0, invalid: 2 });
    expect(result.counts.duplicate + result.counts.stale).toBe(1);
    expect(result.invalid.map((i) => i.offset)).toEqual(['1', '2']);
  });
});
