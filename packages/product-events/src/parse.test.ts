import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytes, createdEvent, deletedEvent, nestedArrays, updatedEvent } from '../test/fixtures.js';
import { ProductEventsOptionsError } from './errors.js';
import { DEFAULT_PARSE_OPTIONS, type ParseResult, parseProductEvent } from './parse.js';
import { PARSE_ERROR_CODES } from './parseErrors.js';

function errorOf(result: ParseResult) {
  if (result.ok) throw new Error(`expected an error, got event ${JSON.stringify(result.event)}`);
  return result.error;
}

describe('parseProductEvent: valid events', () => {
  it.each([
    ['product.created', createdEvent()],
    ['product.updated', updatedEvent()],
    ['product.deleted', deletedEvent()],
  ])('accepts a %s event from a Buffer', (_type, event) => {
    const result = parseProductEvent(bytes(event));

    expect(result).toEqual({ ok: true, event });
  });

  it('accepts a Uint8Array view into a larger buffer', () => {
    const payload = bytes(updatedEvent());
    const pool = new Uint8Array(payload.length + 20);
    pool.set(payload, 10);

    const result = parseProductEvent(pool.subarray(10, 10 + payload.length));

    expect(result).toEqual({ ok: true, event: updatedEvent() });
  });

  it('accepts a JSON string', () => {
    expect(parseProductEvent(JSON.stringify(updatedEvent()))).toEqual({ ok: true, event: updatedEvent() });
  });

  it('accepts an already parsed object and returns that same object', () => {
    const event = updatedEvent();

    const result = parseProductEvent(event);

    expect(result.ok && result.event).toBe(event);
  });

  it('keeps unknown extra fields for forward compatibility', () => {
    const event = { ...updatedEvent(), traceId: 'abc', data: { ...updatedEvent().data, color: 'red' } };

    const result = parseProductEvent(bytes(event));

    expect(result).toEqual({ ok: true, event });
  });

  it('accepts a delete without category and a date-time with offset and nanoseconds', () => {
    const event = deletedEvent({
      data: { sellerId: 's-1' },
      occurredAt: '2028-02-29T23:59:59.123456789+05:30',
    });

    // A date in the future of the real clock: `now` is moved past it.
    expect(parseProductEvent(bytes(event), { now: () => Date.UTC(2028, 2, 1) }).ok).toBe(true);
  });

  it('accepts the largest safe integers for price, quantity and version', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const event = updatedEvent({
      version: max,
      data: { ...updatedEvent().data, priceCents: max, quantity: max },
    });

    expect(parseProductEvent(bytes(event)).ok).toBe(true);
  });

  it('accepts non-ASCII text in names and ids', () => {
    const event = updatedEvent({
      productId: 'produit-é-😀',
      data: { ...updatedEvent().data, name: 'Düne 🚀' },
    });

    expect(parseProductEvent(bytes(event), { key: Buffer.from('produit-é-😀') })).toEqual({
      ok: true,
      event,
    });
  });
});

describe('parseProductEvent: size limit', () => {
  it('rejects bytes above maxBytes with PAYLOAD_TOO_LARGE before looking at them', () => {
    const payload = Buffer.concat([bytes(updatedEvent()), Buffer.from([0xff])]);

    const error = errorOf(parseProductEvent(payload, { maxBytes: payload.length - 1 }));

    expect(error).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      path: '',
      message: `Payload of ${payload.length} bytes exceeds maxBytes (${payload.length - 1} bytes)`,
    });
  });

  it('rejects a payload above the default limit of 1 MiB', () => {
    const huge = Buffer.from(
      JSON.stringify({ ...updatedEvent(), padding: 'x'.repeat(DEFAULT_PARSE_OPTIONS.maxBytes) }),
    );

    expect(errorOf(parseProductEvent(huge)).code).toBe('PAYLOAD_TOO_LARGE');
    expect(errorOf(parseProductEvent(huge.toString())).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('accepts a payload of exactly maxBytes', () => {
    const payload = bytes(updatedEvent());

    expect(parseProductEvent(payload, { maxBytes: payload.length }).ok).toBe(true);
  });

  it('measures strings in UTF-8 bytes, not characters', () => {
    const text = JSON.stringify(updatedEvent({ data: { ...updatedEvent().data, name: '€'.repeat(40) } }));
    const utf8Length = Buffer.byteLength(text);

    expect(errorOf(parseProductEvent(text, { maxBytes: utf8Length - 1 })).code).toBe('PAYLOAD_TOO_LARGE');
    expect(parseProductEvent(text, { maxBytes: utf8Length }).ok).toBe(true);
  });

  it('accepts a string of exactly maxBytes characters (ASCII)', () => {
    const text = JSON.stringify(updatedEvent());

    expect(parseProductEvent(text, { maxBytes: text.length }).ok).toBe(true);
  });

  it('rejects a string with more characters than maxBytes', () => {
    const text = JSON.stringify(updatedEvent());

    expect(errorOf(parseProductEvent(text, { maxBytes: 10 })).message).toBe(
      'Payload exceeds maxBytes (10 bytes)',
    );
  });
});

describe('parseProductEvent: UTF-8 and JSON', () => {
  it.each([
    ['a stray continuation byte', [0x80]],
    ['an invalid lead byte', [0xff]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ])('rejects bytes with %s as INVALID_UTF8', (_name, badBytes) => {
    const json = JSON.stringify(updatedEvent({ data: { ...updatedEvent().data, name: '@@' } }));
    const [before, after] = json.split('@@') as [string, string];
    const payload = Buffer.concat([Buffer.from(before), Buffer.from(badBytes), Buffer.from(after)]);

    expect(errorOf(parseProductEvent(payload))).toEqual({
      code: 'INVALID_UTF8',
      path: '',
      message: 'Payload is not valid UTF-8',
    });
  });

  it('accepts valid UTF-8 that encodes the replacement character itself', () => {
    const event = updatedEvent({ data: { ...updatedEvent().data, name: 'broken \ufffd name' } });

    expect(parseProductEvent(bytes(event))).toEqual({ ok: true, event });
  });

  it('flags exactly the byte strings that are not UTF-8', () => {
    // Code points drawn directly: fc.string({ unit: 'binary' }) is slow to sample.
    const codePoint = fc.oneof(
      fc.integer({ min: 0, max: 0xd7ff }),
      fc.integer({ min: 0xe000, max: 0x10ffff }),
    );
    const text = fc
      .array(codePoint, { maxLength: 8 })
      .map((codePoints) => Buffer.from(JSON.stringify(String.fromCodePoint(...codePoints))));
    const mutated = fc
      .tuple(text, fc.nat(), fc.integer({ min: 0x80, max: 0xff }))
      .map(([valid, index, byte]) =>
        Buffer.concat([valid.subarray(0, index % valid.length), Buffer.from([byte])]),
      );
    fc.assert(
      fc.property(fc.oneof(text, mutated, fc.uint8Array({ maxLength: 12 })), (payload) => {
        const result = parseProductEvent(payload);

        expect(!result.ok && result.error.code === 'INVALID_UTF8').toBe(!isUtf8(payload));
      }),
      { numRuns: 2000, seed: 8 },
    );
  });

  it.each([
    ['truncated JSON', JSON.stringify(updatedEvent()).slice(0, -5)],
    ['an empty payload', ''],
    ['plain text', 'hello'],
    ['a trailing comma', '{"a":1,}'],
  ])('rejects %s as INVALID_JSON with the parser message', (_name, text) => {
    const error = errorOf(parseProductEvent(Buffer.from(text)));

    expect(error.code).toBe('INVALID_JSON');
    expect(error.path).toBe('');
    expect(error.message).toMatch(/^Payload is not valid JSON: .+/);
  });
});

describe('parseProductEvent: nesting depth', () => {
  it('rejects nesting deeper than maxDepth with the pointer of the first too-deep container', () => {
    const event = { ...updatedEvent(), extra: { 'a/b': { 'c~d': [[{}]] } } };

    const error = errorOf(parseProductEvent(bytes(event), { maxDepth: 5 }));

    expect(error).toEqual({
      code: 'TOO_DEEP',
      path: '/extra/a~1b/c~0d/0/0',
      message: 'Nesting exceeds maxDepth (5)',
    });
  });

  it('accepts nesting of exactly maxDepth (the event itself is depth 1)', () => {
    const event = { ...updatedEvent(), extra: nestedArrays(31) };

    expect(parseProductEvent(bytes(event)).ok).toBe(true);
    expect(errorOf(parseProductEvent(bytes({ ...event, extra: nestedArrays(32) }))).code).toBe('TOO_DEEP');
  });

  it('rejects a deeply nested array at the root as TOO_DEEP rather than NOT_AN_OBJECT', () => {
    const error = errorOf(parseProductEvent(JSON.stringify(nestedArrays(33))));

    expect(error.code).toBe('TOO_DEEP');
    expect(error.path).toBe(`/0`.repeat(32));
  });

  it('rejects a large, very deep payload before parsing it', () => {
    const depth = 400_000;
    const text = `{"type":"[{\\"",${'['.repeat(depth)}${']'.repeat(depth)}}`;

    const error = errorOf(parseProductEvent(text));

    expect(error).toEqual({ code: 'TOO_DEEP', path: '', message: 'Nesting exceeds maxDepth (32)' });
  });

  it('ignores brackets inside strings when scanning a large payload', () => {
    const event = { ...updatedEvent(), note: `"\\${'[{'.repeat(10_000)}` };

    expect(parseProductEvent(bytes(event))).toEqual({ ok: true, event });
  });

  it('rejects text nested too deep in objects only (no arrays) as TOO_DEEP', () => {
    let extra: unknown = 0;
    for (let level = 0; level < 32; level++) extra = { a: extra };

    const error = errorOf(parseProductEvent(bytes({ ...updatedEvent(), extra })));

    expect(error.code).toBe('TOO_DEEP');
    expect(error.path).toBe(`/extra${'/a'.repeat(31)}`);
  });

  it('accepts a large payload with many shallow containers side by side', () => {
    const event = {
      ...updatedEvent(),
      items: Array.from({ length: 2000 }, (_, i) => ({ id: i, tags: [i] })),
    };

    expect(JSON.stringify(event).length).toBeGreaterThan(8192);
    expect(parseProductEvent(JSON.stringify(event))).toEqual({ ok: true, event });
  });

  it('accepts a large payload whose strings hold many brackets', () => {
    const event = { ...updatedEvent(), note: '['.repeat(10_000), more: '{'.repeat(10_000) };

    expect(parseProductEvent(JSON.stringify(event))).toEqual({ ok: true, event });
  });

  it('rejects a cyclic object as TOO_DEEP instead of looping', () => {
    const event: Record<string, unknown> = { ...updatedEvent() };
    event['self'] = event;

    expect(errorOf(parseProductEvent(event)).code).toBe('TOO_DEEP');
  });
});

describe('parseProductEvent: envelope', () => {
  it.each([
    ['an array', '[]', 'an array'],
    ['null', 'null', 'null'],
    ['a number', '42', 'number 42'],
    ['a string', '"product.updated"', '"product.updated"'],
  ])('rejects %s as NOT_AN_OBJECT', (_name, text, described) => {
    expect(errorOf(parseProductEvent(text))).toEqual({
      code: 'NOT_AN_OBJECT',
      path: '',
      message: `Expected a JSON object, got ${described}`,
    });
  });

  it('rejects undefined as NOT_AN_OBJECT', () => {
    expect(errorOf(parseProductEvent(undefined)).message).toBe('Expected a JSON object, got nothing');
  });

  it.each([
    ['an unknown type', 'product.archived', 'Unknown event type "product.archived"'],
    ['a missing type', undefined, 'Unknown event type nothing'],
    ['a numeric type', 3, 'Unknown event type number 3'],
    ['a type naming an Object.prototype member', 'toString', 'Unknown event type "toString"'],
    ['an object as type', { name: 'product.created' }, 'Unknown event type an object'],
  ])('rejects %s as UNKNOWN_TYPE at /type', (_name, type, message) => {
    const event = { ...updatedEvent(), type };

    expect(errorOf(parseProductEvent(event))).toEqual({ code: 'UNKNOWN_TYPE', path: '/type', message });
  });

  it('shortens long values in messages', () => {
    const error = errorOf(parseProductEvent({ ...updatedEvent(), type: 'x'.repeat(200) }));

    expect(error.message).toBe(`Unknown event type "${'x'.repeat(64)}…"`);
  });

  it.each([
    [2, 'number 2'],
    ['1', '"1"'],
    [undefined, 'nothing'],
  ])('rejects schemaVersion %j as UNSUPPORTED_SCHEMA_VERSION', (schemaVersion, described) => {
    const event = { ...updatedEvent(), schemaVersion };

    expect(errorOf(parseProductEvent(event))).toEqual({
      code: 'UNSUPPORTED_SCHEMA_VERSION',
      path: '/schemaVersion',
      message: `Unsupported schemaVersion ${described}; this parser supports 1`,
    });
  });

  it('reports an unknown type before an unsupported schema version', () => {
    expect(errorOf(parseProductEvent({ type: 'x', schemaVersion: 9 })).code).toBe('UNKNOWN_TYPE');
  });
});

describe('parseProductEvent: schema', () => {
  const data = updatedEvent().data;
  it.each([
    ['an empty productId', { productId: '' }, '/productId', 'Expected string length greater or equal to 1'],
    [
      'a productId of 129 characters',
      { productId: 'p'.repeat(129) },
      '/productId',
      'Expected string length less or equal to 128',
    ],
    ['a missing eventId', { eventId: undefined }, '/eventId', 'Expected required property'],
    ['version 0', { version: 0 }, '/version', 'Expected integer to be greater or equal to 1'],
    ['a fractional version', { version: 1.5 }, '/version', 'Expected integer'],
    [
      'an unsafe version',
      { version: 2 ** 53 },
      '/version',
      'Expected integer to be less or equal to 9007199254740991',
    ],
    [
      'a date without time zone',
      { occurredAt: '2026-11-25T17:00:00' },
      '/occurredAt',
      'Expected string to match',
    ],
    ['a non-ISO date', { occurredAt: 'Wed Nov 25 2026' }, '/occurredAt', 'Expected string to match'],
    ['hour 24', { occurredAt: '2026-11-25T24:00:00Z' }, '/occurredAt', 'Expected string to match'],
    [
      'February 30',
      { occurredAt: '2026-02-30T10:00:00Z' },
      '/occurredAt',
      'Expected an existing calendar date',
    ],
    [
      'February 29 of a common year',
      { occurredAt: '2100-02-29T10:00:00Z' },
      '/occurredAt',
      'Expected an existing calendar date',
    ],
    ['April 31', { occurredAt: '2026-04-31T10:00:00Z' }, '/occurredAt', 'Expected an existing calendar date'],
    ['missing data', { data: undefined }, '/data', 'Expected required property'],
    ['data as an array', { data: [] }, '/data', 'Expected object'],
    [
      'a negative price',
      { data: { ...data, priceCents: -1 } },
      '/data/priceCents',
      'Expected integer to be greater or equal to 0',
    ],
    [
      'a price as a string',
      { data: { ...data, priceCents: '1999' } },
      '/data/priceCents',
      'Expected integer',
    ],
    ['a fractional quantity', { data: { ...data, quantity: 2.5 } }, '/data/quantity', 'Expected integer'],
    [
      'a lowercase currency',
      { data: { ...data, currency: 'usd' } },
      '/data/currency',
      'Expected string to match',
    ],
    [
      'an unknown status',
      { data: { ...data, status: 'archived' } },
      '/data/status',
      'Expected one of "active", "inactive"',
    ],
    [
      'a missing sellerId',
      { data: { ...data, sellerId: undefined } },
      '/data/sellerId',
      'Expected required property',
    ],
    ['a missing name', { data: { ...data, name: undefined } }, '/data/name', 'Expected required property'],
  ])('rejects %s as SCHEMA_VIOLATION with its path', (_name, overrides, path, message) => {
    const event = JSON.parse(JSON.stringify({ ...updatedEvent(), ...overrides }));

    const error = errorOf(parseProductEvent(event));

    expect(error.code).toBe('SCHEMA_VIOLATION');
    expect(error.path).toBe(path);
    expect(error.message).toContain(`${message}`);
    expect(error.message).toContain(` at ${path}, got `);
  });

  it('requires a non-empty sellerId on deletes and checks an optional category', () => {
    expect(errorOf(parseProductEvent(deletedEvent({ data: { sellerId: '' } }))).path).toBe('/data/sellerId');
    expect(errorOf(parseProductEvent(deletedEvent({ data: { sellerId: 's', category: '' } }))).path).toBe(
      '/data/category',
    );
  });

  it('describes the offending value in the message', () => {
    const event = updatedEvent({ data: { ...updatedEvent().data, status: null as never } });

    expect(errorOf(parseProductEvent(event)).message).toBe(
      'Expected one of "active", "inactive" at /data/status, got null',
    );
  });

  it('returns an error instead of throwing when reading the value throws', () => {
    const event = { ...updatedEvent() };
    Object.defineProperty(event, 'data', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const hostile = {
      get type(): string {
        throw 'not an error';
      },
    };

    expect(errorOf(parseProductEvent(event))).toEqual({
      code: 'SCHEMA_VIOLATION',
      path: '',
      message: 'The value could not be read: boom',
    });
    expect(errorOf(parseProductEvent(hostile)).message).toBe('The value could not be read: not an error');
  });
});

describe('parseProductEvent: key', () => {
  it('does not check the key when none is given', () => {
    expect(parseProductEvent(updatedEvent(), { headers: {} }).ok).toBe(true);
  });

  it.each([
    ['a string', 'p-1042'],
    ['bytes', Buffer.from('p-1042')],
  ])('accepts a key (%s) equal to productId', (_name, key) => {
    expect(parseProductEvent(bytes(updatedEvent()), { key }).ok).toBe(true);
  });

  it.each([
    ['null', null],
    ['an empty string', ''],
    ['empty bytes', new Uint8Array(0)],
  ])('rejects a key that is %s as MISSING_KEY', (_name, key) => {
    expect(errorOf(parseProductEvent(updatedEvent(), { key }))).toEqual({
      code: 'MISSING_KEY',
      path: '',
      message: 'The record has no key; expected the productId "p-1042"',
    });
  });

  it.each([
    ['a different string', 'p-1043'],
    ['different bytes of the same length', Buffer.from('p-1043')],
    ['a longer key', Buffer.from('p-10420')],
    ['a key that decodes to the productId only lossily', Buffer.from([0x70, 0x2d, 0xff])],
  ])('rejects %s as KEY_MISMATCH at /productId', (_name, key) => {
    const event = updatedEvent({ productId: key.length === 3 ? 'p-\ufffd' : 'p-1042' });

    const error = errorOf(parseProductEvent(event, { key }));

    expect(error.code).toBe('KEY_MISMATCH');
    expect(error.path).toBe('/productId');
    expect(error.message).toMatch(/^Record key ".+" does not equal productId ".+"$/);
  });

  it('compares a non-ASCII key by its text', () => {
    const event = updatedEvent({ productId: 'café' });

    expect(parseProductEvent(event, { key: Buffer.from('café') }).ok).toBe(true);
    expect(errorOf(parseProductEvent(event, { key: Buffer.from('cafe') })).code).toBe('KEY_MISMATCH');
  });

  it('reports a schema violation before a key mismatch', () => {
    expect(errorOf(parseProductEvent({ ...updatedEvent(), version: 0 }, { key: 'x' })).code).toBe(
      'SCHEMA_VIOLATION',
    );
  });
});

describe('parseProductEvent: headers', () => {
  it.each([
    ['a string', 'product.updated'],
    ['bytes', Buffer.from('product.updated')],
    ['repeated equal values', ['product.updated', Buffer.from('product.updated')]],
    ['an empty list', []],
    ['absent', undefined],
    ['null (a header without a value)', null as never],
  ])('accepts an event-type header that is %s', (_name, value) => {
    const headers = { 'event-type': value, 'content-type': 'text/plain' };

    expect(parseProductEvent(updatedEvent(), { key: 'p-1042', headers }).ok).toBe(true);
  });

  it.each([
    ['a different string', 'product.created', 'product.created'],
    ['different bytes', Buffer.from('product.deleted'), 'product.deleted'],
    ['one different repeated value', ['product.updated', 'product.created'], 'product.created'],
  ])('rejects an event-type header that is %s as HEADER_MISMATCH', (_name, value, shown) => {
    const error = errorOf(parseProductEvent(updatedEvent(), { headers: { 'event-type': value } }));

    expect(error).toEqual({
      code: 'HEADER_MISMATCH',
      path: '/type',
      message: `Header event-type "${shown}" does not equal type "product.updated"`,
    });
  });

  it('reports a key mismatch before a header mismatch', () => {
    const options = { key: 'other', headers: { 'event-type': 'product.created' } };

    expect(errorOf(parseProductEvent(updatedEvent(), options)).code).toBe('KEY_MISMATCH');
  });
});

describe('parseProductEvent: options and robustness', () => {
  it.each([
    ['maxBytes', 0],
    ['maxBytes', 1.5],
    ['maxDepth', -1],
    ['maxDepth', Number.NaN],
  ])('throws INVALID_OPTIONS for %s = %s', (field, limit) => {
    const act = () => parseProductEvent('{}', { [field]: limit });

    expect(act).toThrow(ProductEventsOptionsError);
    expect(act).toThrow(`Invalid option "${field}": expected an integer >= 1, got ${limit}`);
  });

  it('never throws and always returns a known code, whatever the input', () => {
    const input = fc.oneof(
      fc.anything(),
      fc.string(),
      fc.uint8Array({ maxLength: 64 }),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.record({
        type: fc.constantFrom('product.created', 'product.deleted'),
        schemaVersion: fc.constant(1),
      }),
    );

    fc.assert(
      fc.property(input, fc.option(fc.string(), { nil: undefined }), (value, key) => {
        const result = parseProductEvent(value, { key, maxDepth: 4 });

        expect(result.ok || PARSE_ERROR_CODES.includes(result.error.code)).toBe(true);
      }),
    );
  });
});

describe('parseProductEvent: event time', () => {
  const NOW = Date.parse('2026-11-27T12:00:00.000Z');
  const now = () => NOW;
  const occurredAtOf = (result: ParseResult): string => {
    if (!result.ok) throw new Error(`expected an event, got ${result.error.code}: ${result.error.message}`);
    return result.event.occurredAt;
  };

  it.each([
    ['an offset', '2026-11-25T23:30:00-05:00', '2026-11-26T04:30:00.000Z'],
    ['a positive offset across midnight', '2026-11-26T01:15:00+05:30', '2026-11-25T19:45:00.000Z'],
    ['no fraction', '2026-11-25T17:00:00Z', '2026-11-25T17:00:00.000Z'],
    ['one fractional digit', '2026-11-25T17:00:00.5Z', '2026-11-25T17:00:00.500Z'],
    ['nine fractional digits (cut to ms)', '2026-11-25T17:00:00.123456789Z', '2026-11-25T17:00:00.123Z'],
    ['the canonical form (kept as is)', '2026-11-25T17:00:00.000Z', '2026-11-25T17:00:00.000Z'],
  ])('normalises occurredAt with %s to the canonical UTC instant', (_name, occurredAt, canonical) => {
    expect(occurredAtOf(parseProductEvent(bytes(updatedEvent({ occurredAt })), { now }))).toBe(canonical);
  });

  it('orders normalised instants like time, unlike their original text', () => {
    const early = occurredAtOf(
      parseProductEvent(updatedEvent({ occurredAt: '2026-11-25T23:30:00-05:00' }), { now }),
    );
    const late = occurredAtOf(
      parseProductEvent(updatedEvent({ occurredAt: '2026-11-26T01:00:00Z' }), { now }),
    );
    // As text, '2026-11-25T23:30:00-05:00' < '2026-11-26T01:00:00Z', but it is 04:30Z on the 26th.
    expect(late < early).toBe(true);
  });

  it('rejects an instant past the year 9999 in UTC as SCHEMA_VIOLATION', () => {
    const event = updatedEvent({ occurredAt: '9999-12-31T23:59:59-01:00' });
    const error = errorOf(parseProductEvent(event, { now: () => Date.UTC(9999, 11, 31) }));
    expect(error).toMatchObject({ code: 'SCHEMA_VIOLATION', path: '/occurredAt' });
    expect(error.message).toContain('within the years 0000-9999');
  });

  it('rejects an instant before the year 0000 in UTC as SCHEMA_VIOLATION', () => {
    const event = updatedEvent({ occurredAt: '0000-01-01T00:30:00+01:00' });
    expect(errorOf(parseProductEvent(event)).code).toBe('SCHEMA_VIOLATION');
  });

  it('accepts occurredAt up to maxFutureSkewMs ahead of now and rejects later as EVENT_TIME_IN_FUTURE', () => {
    const at = (occurredAt: string, options = {}) =>
      parseProductEvent(updatedEvent({ occurredAt }), { now, ...options });

    expect(at('2026-11-28T12:00:00.000Z').ok).toBe(true);
    expect(at('2026-11-28T07:00:00-05:00').ok).toBe(true);
    expect(errorOf(at('2026-11-28T12:00:00.001Z'))).toEqual({
      code: 'EVENT_TIME_IN_FUTURE',
      path: '/occurredAt',
      message:
        'occurredAt 2026-11-28T12:00:00.001Z lies more than 86400000 ms ahead of now (latest accepted 2026-11-28T12:00:00.000Z)',
    });
    expect(errorOf(at('9999-12-31T23:59:59Z')).code).toBe('EVENT_TIME_IN_FUTURE');
    expect(at('2026-11-27T12:00:00.000Z', { maxFutureSkewMs: 0 }).ok).toBe(true);
    expect(errorOf(at('2026-11-27T12:00:01+00:00', { maxFutureSkewMs: 0 })).code).toBe(
      'EVENT_TIME_IN_FUTURE',
    );
  });

  it('uses the real clock by default, and accepts anything when now + skew lies past the year 9999', () => {
    expect(errorOf(parseProductEvent(updatedEvent({ occurredAt: '9999-12-31T23:59:59Z' }))).code).toBe(
      'EVENT_TIME_IN_FUTURE',
    );
    const farFuture = { now: () => Date.UTC(9999, 11, 31, 12) };
    expect(parseProductEvent(updatedEvent({ occurredAt: '9999-12-31T23:59:59Z' }), farFuture).ok).toBe(true);
  });

  it.each([
    ['maxFutureSkewMs', -1, 'expected an integer >= 0, got -1'],
    ['now', 'yesterday', 'expected a function, got "yesterday"'],
  ])('throws INVALID_OPTIONS for %s = %s', (field, value, problem) => {
    expect(() => parseProductEvent('{}', { [field]: value })).toThrow(
      `Invalid option "${field}": ${problem}`,
    );
  });
});

describe('parseProductEvent: error messages stay short', () => {
  it('quotes only a prefix of a 200 KB mismatched key, with its size', () => {
    const key = Buffer.alloc(200_000, 0x6b);

    const error = errorOf(parseProductEvent(bytes(updatedEvent()), { key }));

    expect(error.code).toBe('KEY_MISMATCH');
    expect(error.message).toBe(
      `Record key "${'k'.repeat(64)}…" (200000 bytes) does not equal productId "p-1042"`,
    );
  });

  it('quotes only a prefix of a long mismatched key string and header value', () => {
    const key = errorOf(parseProductEvent(updatedEvent(), { key: 'x'.repeat(1000) }));
    expect(key.message).toBe(
      `Record key "${'x'.repeat(64)}…" (1000 characters) does not equal productId "p-1042"`,
    );
    const header = errorOf(
      parseProductEvent(updatedEvent(), { headers: { 'event-type': Buffer.alloc(5000, 0x79) } }),
    );
    expect(header.message).toBe(
      `Header event-type "${'y'.repeat(64)}…" (5000 bytes) does not equal type "product.updated"`,
    );
  });

  it('cuts a long error of the JSON parser', () => {
    const error = errorOf(parseProductEvent(`{"a": ${'1'.repeat(50)}${'x'.repeat(5000)}`));
    expect(error.code).toBe('INVALID_JSON');
    expect(error.message.length).toBeLessThanOrEqual(260);
  });

  it('cuts a long error raised while reading an already parsed value', () => {
    const hostile = {
      get type(): string {
        throw new Error('boom '.repeat(100));
      },
    };
    const error = errorOf(parseProductEvent(hostile));
    expect(error.code).toBe('SCHEMA_VIOLATION');
    expect(error.message).toBe(`The value could not be read: ${'boom '.repeat(40)}…`);
  });
});
