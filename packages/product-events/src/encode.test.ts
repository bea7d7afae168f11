import { describe, expect, it } from 'vitest';
import { createdEvent, deletedEvent, updatedEvent } from '../test/fixtures.js';
import { encodeProductEvent } from './encode.js';
import { InvalidEventError, ProductEventsError } from './errors.js';
import { parseProductEvent } from './parse.js';
import type { ProductEvent } from './types.js';

describe('encodeProductEvent', () => {
  it('builds a Kafka record keyed by productId with the contract headers', () => {
    const record = encodeProductEvent(updatedEvent());

    expect(record.key).toBe('p-1042');
    expect(record.headers).toEqual({
      'content-type': 'application/json',
      'event-type': 'product.updated',
      'schema-version': '1',
    });
    expect(JSON.parse(record.value.toString('utf8'))).toEqual(updatedEvent());
  });

  it('accepts any well-formed ISO 4217 code, known or not (XTS), and refuses one that is not three upper-case letters', () => {
    for (const currency of ['JPY', 'KWD', 'XTS']) {
      const record = encodeProductEvent(createdEvent({ data: { ...createdEvent().data, currency } }));

      const result = parseProductEvent(record.value, { key: record.key, headers: record.headers });

      expect(result.ok && result.event.type !== 'product.deleted' && result.event.data.currency).toBe(
        currency,
      );
    }
    for (const currency of ['usd', 'US', 'EURO', 'U$D']) {
      const bytes = Buffer.from(JSON.stringify(createdEvent({ data: { ...createdEvent().data, currency } })));

      expect(parseProductEvent(bytes)).toMatchObject({
        ok: false,
        error: { code: 'SCHEMA_VIOLATION', path: '/data/currency' },
      });
    }
  });

  it.each([
    createdEvent(),
    updatedEvent({ productId: 'produit-é', data: { ...updatedEvent().data, name: 'Café ☕' } }),
    deletedEvent(),
    deletedEvent({ data: { sellerId: 's-1' } }),
  ])('round-trips $type through parseProductEvent with key and headers', (event) => {
    const record = encodeProductEvent(event);

    const result = parseProductEvent(record.value, {
      key: Buffer.from(record.key),
      headers: Object.fromEntries(
        Object.entries(record.headers).map(([name, value]) => [name, Buffer.from(value)]),
      ),
    });

    expect(result).toEqual({ ok: true, event });
  });

  it('refuses to encode an event that consumers would reject', () => {
    const event = { ...updatedEvent(), version: 0 } as ProductEvent;

    const act = () => encodeProductEvent(event);

    expect(act).toThrow(InvalidEventError);
    try {
      act();
    } catch (error) {
      expect(error).toBeInstanceOf(ProductEventsError);
      expect(error).toMatchObject({
        code: 'INVALID_EVENT',
        retryable: false,
        name: 'InvalidEventError',
        parseError: { code: 'SCHEMA_VIOLATION', path: '/version' },
      });
      expect((error as Error).message).toMatch(
        /^Invalid product event \(SCHEMA_VIOLATION at "\/version"\): /,
      );
    }
  });

  it("writes occurredAt as canonical UTC and leaves the caller's event unchanged", () => {
    const event = updatedEvent({ occurredAt: '2026-11-25T23:30:00-05:00' });

    const record = encodeProductEvent(event);

    expect(JSON.parse(record.value.toString('utf8')).occurredAt).toBe('2026-11-26T04:30:00.000Z');
    expect(event.occurredAt).toBe('2026-11-25T23:30:00-05:00');
  });

  it('refuses an event more than 24 hours ahead of the clock', () => {
    expect(() => encodeProductEvent(updatedEvent({ occurredAt: '9999-12-31T23:59:59Z' }))).toThrow(
      /EVENT_TIME_IN_FUTURE/,
    );
  });
});
