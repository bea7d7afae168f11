import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createdEvent, deletedEvent, updatedEvent } from '../test/fixtures.js';
import {
  DATE_TIME_PATTERN,
  eventCheckers,
  fastEventCheckers,
  isCurrencyCode,
  isDateTime,
  ProductDataSchema,
  withoutPatterns,
} from './schema.js';

/** Reference: the pattern, plus a calendar check through Date arithmetic. */
function referenceIsDateTime(text: string): boolean {
  if (!new RegExp(DATE_TIME_PATTERN).test(text)) return false;
  const [year, month, day] = [text.slice(0, 4), text.slice(5, 7), text.slice(8, 10)].map(Number) as [
    number,
    number,
    number,
  ];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCDate() === day;
}

/** Valid date-times in every allowed shape, and small mutations of them. */
const dateTimeLike = fc
  .tuple(
    fc.date({
      min: new Date('0000-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    }),
    fc.integer({ min: 0, max: 11 }),
    fc.constantFrom('Z', '+05:30', '-23:59', '+24:00', '-00:60', '+1:00', 'z', ''),
  )
  .map(([date, digits, zone]) => {
    const base = date.toISOString().slice(0, 19);
    const fraction = digits === 0 ? '' : `.${'123456789012'.slice(0, digits)}`;
    return `${base}${fraction}${zone}`;
  })
  .chain((valid) =>
    fc.oneof(
      fc.constant(valid),
      fc
        .tuple(fc.nat(valid.length), fc.constantFrom(...'0123456789-:T.Z+ x/'.split('')))
        .map(([index, char]) => valid.slice(0, index) + char + valid.slice(index + 1)),
      fc.nat(valid.length).map((index) => valid.slice(0, index) + valid.slice(index + 1)),
      fc
        .tuple(fc.nat(valid.length), fc.constantFrom('0', '9', '3', '2'))
        .map(([index, char]) => valid.slice(0, index) + char + valid.slice(index)),
    ),
  );

describe('isDateTime', () => {
  it.each([
    ['2026-11-25T17:00:00.000Z', true],
    ['2026-11-25T17:00:00Z', true],
    ['2026-11-25T17:00:00.123456789+05:30', true],
    ['2028-02-29T00:00:00-01:00', true],
    ['2000-02-29T00:00:00Z', true],
    ['0000-01-01T00:00:00Z', true],
    ['2026-02-29T00:00:00Z', false],
    ['1900-02-29T00:00:00Z', false],
    ['2026-06-31T00:00:00Z', false],
    ['2026-13-01T00:00:00Z', false],
    ['2026-00-01T00:00:00Z', false],
    ['2026-01-00T00:00:00Z', false],
    ['2026-01-32T00:00:00Z', false],
    ['2026-01-01T24:00:00Z', false],
    ['2026-01-01T23:60:00Z', false],
    ['2026-01-01T23:59:60Z', false],
    ['2026-01-01 00:00:00Z', false],
    ['2026/01/01T00:00:00Z', false],
    ['2026-01-01T00-00:00Z', false],
    ['2026-01-01T00:00-00Z', false],
    ['2026-01-01T00:00:00', false],
    ['2026-01-01T00:00:00.Z', false],
    ['2026-01-01T00:00:00.1234567890Z', false],
    ['2026-01-01T00:00:00Zx', false],
    ['2026-01-01T00:00:00+0100', false],
    ['2026-01-01T00:00:00+01:001', false],
    ['2026-01-01T00:00:00+24:00', false],
    ['2026-01-01T00:00:00+01-00', false],
    ['2026-01-01T00:00:00+01:60', false],
    ['2026-01-01T00:00:00z', false],
    ['x026-01-01T00:00:00Z', false],
    ['20x6-01-01T00:00:00Z', false],
    ['', false],
  ])('says %j is a date-time: %s', (text, expected) => {
    expect(isDateTime(text)).toBe(expected);
    expect(referenceIsDateTime(text)).toBe(expected);
  });

  it('agrees with the pattern plus a calendar check on near-valid and arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(dateTimeLike, fc.string()), (text) => {
        expect(isDateTime(text)).toBe(referenceIsDateTime(text));
      }),
      { numRuns: 5000, seed: 20_261_125 },
    );
  });
});

describe('isCurrencyCode', () => {
  it('agrees with the currency pattern', () => {
    const pattern = /^[A-Z]{3}$/;
    const samples = ['USD', 'EUR', 'usd', 'US', 'USDX', '@AB', 'AB[', 'A1C', 'ÄBC', ''];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...samples), fc.string({ maxLength: 4 })), (text) => {
        expect(isCurrencyCode(text)).toBe(pattern.test(text));
      }),
      { numRuns: 5000, seed: 7 },
    );
    for (const sample of samples) expect(isCurrencyCode(sample)).toBe(pattern.test(sample));
  });
});

describe('fast and full checkers', () => {
  it('drop only the patterns from the schemas', () => {
    const stripped = withoutPatterns(ProductDataSchema);

    expect(stripped.properties.currency).not.toHaveProperty('pattern');
    expect(stripped.properties.sellerId).toMatchObject({ minLength: 1, maxLength: 128 });
    expect(ProductDataSchema.properties.currency.pattern).toBe('^[A-Z]{3}$');
    expect(stripped.required).toEqual(ProductDataSchema.required);
  });

  it('agree on everything but the patterns', () => {
    for (const event of [createdEvent(), updatedEvent(), deletedEvent()]) {
      const type = event.type;
      const badDate = { ...event, occurredAt: 'yesterday' };
      const badVersion = { ...event, version: -1 };

      expect(fastEventCheckers[type].Check(event)).toBe(true);
      expect(eventCheckers[type].Check(event)).toBe(true);
      expect(fastEventCheckers[type].Check(badDate)).toBe(true);
      expect(eventCheckers[type].Check(badDate)).toBe(false);
      expect(fastEventCheckers[type].Check(badVersion)).toBe(false);
    }
  });
});
