import { replayToStates } from '@marketplace/analytics-aggregator';
import { describe, expect, it } from 'vitest';
import { messageOf, productEvent, productState, rawMessage } from '../test/fixtures.js';
import { reduceBatch } from './reduceBatch.js';
import type { RawMessage } from './types.js';

const task = (messages: RawMessage[], priorStates = new Map()) => ({
  topic: 'product.updated',
  partition: 0,
  messages,
  priorStates,
});

describe('reduceBatch', () => {
  it('returns one final state per changed product, applying events in offset order', () => {
    const events = [
      productEvent('product.created', 'p-1', 1, { quantity: 3 }),
      productEvent('product.created', 'p-2', 1),
      productEvent('product.updated', 'p-1', 2, { quantity: 7 }),
    ];

    const result = reduceBatch(task(events.map((event, i) => messageOf(event, 100 + i))));

    expect(result.states).toEqual([...replayToStates(events).values()]);
    expect(result.states.find((s) => s.productId === 'p-1')).toMatchObject({ version: 2, quantity: 7 });
    expect(result.counts).toEqual({
      applied: 3,
      duplicate: 0,
      stale: 0,
      invalid: 0,
      byType: { 'product.created': 2, 'product.updated': 1, 'product.deleted': 0 },
    });
  });

  it('applies against the prior states and leaves out products the batch did not change', () => {
    const prior = new Map([
      ['p-1', productState('p-1', 5)],
      ['p-2', productState('p-2', 2)],
    ]);
    const messages = [
      messageOf(productEvent('product.updated', 'p-1', 5), 1), // duplicate of the stored version
      messageOf(productEvent('product.updated', 'p-1', 4), 2), // stale
      messageOf(productEvent('product.deleted', 'p-2', 3), 3), // applied
    ];

    const result = reduceBatch(task(messages, prior));

    expect(result.states).toEqual([expect.objectContaining({ productId: 'p-2', version: 3, deleted: true })]);
    expect(result.counts).toMatchObject({ applied: 1, duplicate: 1, stale: 1, invalid: 0 });
    expect(result.counts.byType).toEqual({
      'product.created': 0,
      'product.updated': 2,
      'product.deleted': 1,
    });
  });

  it('compares later events of a batch with the state earlier events of the same batch produced', () => {
    const messages = [
      messageOf(productEvent('product.updated', 'p-1', 3), 1),
      messageOf(productEvent('product.updated', 'p-1', 3), 2),
      messageOf(productEvent('product.created', 'p-1', 1), 3),
    ];

    const result = reduceBatch(task(messages));

    expect(result.states).toEqual([expect.objectContaining({ productId: 'p-1', version: 3 })]);
    expect(result.counts).toMatchObject({ applied: 1, duplicate: 1, stale: 1 });
  });

  it('reports each invalid message with its offset, code, path and reason, and goes on', () => {
    const valid = productEvent('product.created', 'p-9', 1);
    const messages = [
      rawMessage('p-1', '{"not json', 10),
      rawMessage(null, JSON.stringify(valid), 11),
      rawMessage('p-other', JSON.stringify(valid), 12),
      rawMessage('p-1', null, 13),
      messageOf(valid, 14),
    ];

    const result = reduceBatch(task(messages));

    expect(result.invalid.map(({ offset, code }) => ({ offset, code }))).toEqual([
      { offset: '10', code: 'INVALID_JSON' },
      { offset: '11', code: 'MISSING_KEY' },
      { offset: '12', code: 'KEY_MISMATCH' },
      { offset: '13', code: expect.any(String) },
    ]);
    for (const entry of result.invalid) {
      expect(typeof entry.path).toBe('string');
      expect(entry.message.length).toBeGreaterThan(0);
    }
    expect(result.counts.invalid).toBe(4);
    expect(result.states).toEqual([expect.objectContaining({ productId: 'p-9' })]);
  });

  it('rejects a message whose event-type header contradicts its body', () => {
    const message = messageOf(productEvent('product.created', 'p-1', 1), 7);
    message.headers = { ...message.headers, 'event-type': Buffer.from('product.deleted') };

    const result = reduceBatch(task([message]));

    expect(result.invalid).toEqual([expect.objectContaining({ offset: '7', code: 'HEADER_MISMATCH' })]);
  });

  it('reports the latest occurredAt among applied events only, normalised to milliseconds', () => {
    const prior = new Map([['p-2', productState('p-2', 9)]]);
    const messages = [
      messageOf(productEvent('product.created', 'p-1', 1, { occurredAt: '2026-11-25T17:00:00Z' }), 1),
      messageOf(productEvent('product.updated', 'p-1', 2, { occurredAt: '2026-11-25T17:00:00.250Z' }), 2),
      messageOf(productEvent('product.updated', 'p-1', 3, { occurredAt: '2026-11-25T16:59:00.000Z' }), 3),
      // stale, and later than everything applied: must not move the watermark
      messageOf(productEvent('product.updated', 'p-2', 4, { occurredAt: '2026-11-25T18:00:00.000Z' }), 4),
    ];

    const result = reduceBatch(task(messages, prior));

    expect(result.maxOccurredAt).toBe('2026-11-25T17:00:00.250Z');
  });

  it('orders events with zone offsets by instant, not by text (updatedAt is canonical UTC)', () => {
    const messages = [
      // 23:30-05:00 is 04:30Z on the 26th: later than 01:00Z, although it sorts first as text.
      messageOf(productEvent('product.created', 'p-1', 1, { occurredAt: '2026-11-25T23:30:00-05:00' }), 1),
      messageOf(productEvent('product.created', 'p-2', 1, { occurredAt: '2026-11-26T01:00:00Z' }), 2),
    ];

    const result = reduceBatch(task(messages));

    expect(result.maxOccurredAt).toBe('2026-11-26T04:30:00.000Z');
    expect(result.states.map((s) => s.updatedAt)).toEqual([
      '2026-11-26T04:30:00.000Z',
      '2026-11-26T01:00:00.000Z',
    ]);
  });

  it('rejects an event too far in the future as EVENT_TIME_IN_FUTURE, with the skew of the task', () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const messages = [
      // Written without the encoder, which refuses such events.
      rawMessage(
        'p-1',
        JSON.stringify(productEvent('product.created', 'p-1', 1, { occurredAt: '9999-12-31T23:59:59Z' })),
        1,
      ),
      messageOf(productEvent('product.created', 'p-2', 1, { occurredAt: inAnHour }), 2),
    ];

    expect(reduceBatch(task(messages)).invalid.map((i) => [i.offset, i.code])).toEqual([
      ['1', 'EVENT_TIME_IN_FUTURE'],
    ]);
    expect(reduceBatch({ ...task(messages), maxFutureSkewMs: 60_000 }).invalid.map((i) => i.code)).toEqual([
      'EVENT_TIME_IN_FUTURE',
      'EVENT_TIME_IN_FUTURE',
    ]);
  });

  it('reports no occurredAt and no states when nothing was applied', () => {
    const result = reduceBatch(task([rawMessage('p-1', '[]', 1)]));

    expect(result).toEqual({
      states: [],
      invalid: [expect.objectContaining({ offset: '1' })],
      counts: expect.objectContaining({ applied: 0, invalid: 1 }),
      maxOccurredAt: null,
    });
  });

  it('accepts messages without headers', () => {
    const { headers: _ignored, ...message } = messageOf(productEvent('product.created', 'p-1', 1), 1);

    const result = reduceBatch(task([message]));

    expect(result.counts.applied).toBe(1);
  });
});
