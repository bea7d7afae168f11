import { describe, expect, it } from 'vitest';
import { state } from '../test/fixtures.js';
import { DecodeError } from './errors.js';
import {
  decodeProductState,
  encodeProductState,
  encodeProductStateJson,
  PRODUCT_STATE_FORMAT,
} from './productStateCodec.js';

describe('encodeProductState / decodeProductState', () => {
  it('round-trips live and deleted states exactly, including the largest safe values', () => {
    const examples = [
      state({ productId: 'p-ü 1', priceCents: Number.MAX_SAFE_INTEGER, quantity: Number.MAX_SAFE_INTEGER }),
      state({
        productId: 'p-2',
        version: 9,
        category: '',
        status: 'inactive',
        deleted: true,
        priceCents: 0,
        currency: '',
        quantity: 0,
      }),
      state({ productId: 'p-3', currency: 'JPY', deleted: true }),
      state({ productId: 'p-4', currency: 'XTS' }),
    ];

    for (const example of examples) {
      expect(decodeProductState(encodeProductState(example))).toEqual(example);
      expect(decodeProductState(encodeProductStateJson(example))).toEqual(example);
    }
  });

  it('writes compact JSON with short field names through encodeProductStateJson', () => {
    const bytes = encodeProductStateJson(state({ productId: 'p-1' }));

    expect(bytes.toString('utf8')).toBe(
      '{"p":"p-1","v":1,"s":"s-1","c":"books","pc":1999,"cu":"USD","q":50,"st":"active","d":false,"t":"2026-11-25T17:00:00.000Z"}',
    );
  });

  it('reads an updatedAt written with a zone offset as canonical UTC (changelogs from before normalisation)', () => {
    const offset = state({ productId: 'p-1', updatedAt: '2026-11-25T23:30:00-05:00' });

    expect(decodeProductState(encodeProductStateJson(offset)).updatedAt).toBe('2026-11-26T04:30:00.000Z');
    expect(decodeProductState(encodeProductState(offset)).updatedAt).toBe('2026-11-26T04:30:00.000Z');
  });

  const valid = JSON.parse(encodeProductStateJson(state({ productId: 'p-1' })).toString('utf8'));
  const rejections: Array<[string, unknown, string]> = [
    ['a JSON string', 'p-1', ''],
    ['an empty product id', { ...valid, p: '' }, '/p'],
    ['version 0', { ...valid, v: 0 }, '/v'],
    ['an unsafe version', { ...valid, v: 2 ** 60 }, '/v'],
    ['a missing seller', { ...valid, s: undefined }, '/s'],
    ['a numeric category', { ...valid, c: 5 }, '/c'],
    ['a negative price', { ...valid, pc: -1 }, '/pc'],
    ['a state written before per-currency money (no currency)', { ...valid, cu: undefined }, '/cu'],
    ['a lower-case currency', { ...valid, cu: 'usd' }, '/cu'],
    ['an empty currency on a live product', { ...valid, cu: '' }, '/cu'],
    ['a lower-case currency on a tombstone', { ...valid, d: true, cu: 'usd' }, '/cu'],
    ['a four-letter currency on a tombstone', { ...valid, d: true, cu: 'EURO' }, '/cu'],
    ['a currency given as an array', { ...valid, cu: ['USD'] }, '/cu'],
    ['an empty seller id', { ...valid, s: '' }, '/s'],
    ['a fractional quantity', { ...valid, q: 1.5 }, '/q'],
    ['an unknown status', { ...valid, st: 'archived' }, '/st'],
    ['a deleted flag as a number', { ...valid, d: 1 }, '/d'],
    ['an unparseable timestamp', { ...valid, t: 'now' }, '/t'],
  ];

  it.each(rejections)('rejects %s with INVALID_PRODUCT_STATE at the field', (_, value, path) => {
    const decode = () => decodeProductState(Buffer.from(JSON.stringify(value)));

    expect(decode).toThrow(DecodeError);
    expect(decode).toThrow(expect.objectContaining({ code: 'INVALID_PRODUCT_STATE', path }));
  });

  it('restores a tombstone that kept its currency with that currency, and one without it with none', () => {
    const priced = state({ productId: 'p-1', currency: 'EUR', deleted: true });
    const unpriced = state({ productId: 'p-2', currency: '', deleted: true });

    for (const encode of [encodeProductState, encodeProductStateJson]) {
      expect(decodeProductState(encode(priced)).currency).toBe('EUR');
      expect(decodeProductState(encode(unpriced)).currency).toBe('');
    }
  });

  it('rejects bytes that are not JSON', () => {
    expect(() => decodeProductState('not json')).toThrow(/\(root\): a product state is not valid JSON/);
  });
});

describe('binary product state format', () => {
  const live = state({ productId: 'p-1' });

  /** The binary value of `live` with bytes replaced, or cut (`end`), or extended. */
  const edited = (edit: (bytes: number[]) => number[]): Buffer =>
    Buffer.from(edit([...encodeProductState(live)]));

  it('writes the format version first and the fields in the documented layout', () => {
    const bytes = encodeProductState(
      state({ productId: 'p-1', version: 300, priceCents: 1999, quantity: 5 }),
    );

    expect(PRODUCT_STATE_FORMAT).toBe(1);
    expect([...bytes]).toEqual([
      1, // format
      0b10, // flags: active, not deleted
      0xac,
      0x02, // version 300 as LEB128
      0xcf,
      0x0f, // priceCents 1999
      5, // quantity
      3,
      ...Buffer.from('p-1'),
      3,
      ...Buffer.from('s-1'),
      5,
      ...Buffer.from('books'),
      3,
      ...Buffer.from('USD'),
      24,
      ...Buffer.from('2026-11-25T17:00:00.000Z'),
    ]);
  });

  it('reads a plain Uint8Array (a view into a larger buffer) as well as a Buffer', () => {
    const bytes = encodeProductState(live);
    const larger = new Uint8Array(bytes.length + 8);
    larger.set(bytes, 4);

    expect(decodeProductState(larger.subarray(4, 4 + bytes.length))).toEqual(live);
  });

  it('is smaller than the JSON format', () => {
    expect(encodeProductState(live).length).toBeLessThan(encodeProductStateJson(live).length / 2);
  });

  it('round-trips text beyond ASCII, long text and empty text', () => {
    const example = state({
      productId: 'p-ü-日本-😀',
      sellerId: 's'.repeat(200),
      category: '',
      status: 'inactive',
    });

    expect(decodeProductState(encodeProductState(example))).toEqual(example);
    expect(decodeProductState(encodeProductState({ ...example, sellerId: `ü${'s'.repeat(40)}` }))).toEqual({
      ...example,
      sellerId: `ü${'s'.repeat(40)}`,
    });
  });

  it('writes a state holding a lone surrogate as JSON, which keeps it exactly', () => {
    for (const field of ['productId', 'sellerId', 'category', 'currency', 'updatedAt'] as const) {
      const odd = { ...live, [field]: `${live[field]}\ud800` };
      const bytes = encodeProductState(odd);

      expect(bytes[0]).toBe(0x7b);
      expect(bytes).toEqual(encodeProductStateJson(odd));
    }
    const lone = state({ productId: 'p-\ud800' });
    expect(decodeProductState(encodeProductState(lone))).toEqual(lone);
  });

  it('still reads JSON values, also with leading white space', () => {
    const json = encodeProductStateJson(live).toString('utf8');

    for (const prefix of ['', ' ', '\n', '\r\n', '\t']) {
      expect(decodeProductState(Buffer.from(`${prefix}${json}`))).toEqual(live);
    }
  });

  const rejections: Array<[string, Buffer, string, RegExp]> = [
    ['an empty value', Buffer.alloc(0), '', /cannot be empty/],
    ['another format version', edited((b) => [2, ...b.slice(1)]), '', /unknown product state format 2/],
    ['format version 0', edited((b) => [0, ...b.slice(1)]), '', /unknown product state format 0/],
    ['unknown flags', edited((b) => [b[0]!, 4, ...b.slice(2)]), '/d', /flags/],
    ['a value cut after the format byte', edited((b) => b.slice(0, 1)), '/d', /flags/],
    ['version 0', edited((b) => [b[0]!, b[1]!, 0, ...b.slice(3)]), '/v', />= 1/],
    ['a version cut inside its varint', edited((b) => [b[0]!, b[1]!, 0x80]), '/v', /ends inside/],
    [
      'a version above the safe integers',
      edited((b) => [b[0]!, b[1]!, ...Array(8).fill(0xff), 0x7f]),
      '/v',
      /safe integer/,
    ],
    ['a price cut off', edited((b) => b.slice(0, 3)), '/pc', /ends inside/],
    ['an empty product id', edited((b) => [...b.slice(0, 6), 0, ...b.slice(10)]), '/p', /non-empty/],
    [
      'a product id longer than the value',
      edited((b) => [...b.slice(0, 6), 100, ...b.slice(7)]),
      '/p',
      /ends inside/,
    ],
    ['an empty seller id', edited((b) => [...b.slice(0, 10), 0, ...b.slice(14)]), '/s', /non-empty/],
    [
      'a currency that is not ISO 4217',
      edited((b) => b.map((x, i) => (i === 21 ? 0x75 : x))),
      '/cu',
      /ISO 4217/,
    ],
    ['a timestamp that is not one', edited((b) => b.map((x, i) => (i === 26 ? 0x78 : x))), '/t', /ISO-8601/],
    ['bytes after the last field', edited((b) => [...b, 0]), '', /1 bytes after the last field/],
  ];

  it.each(rejections)('rejects %s with INVALID_PRODUCT_STATE', (_, bytes, path, message) => {
    const decode = () => decodeProductState(bytes);

    expect(decode).toThrow(DecodeError);
    expect(decode).toThrow(expect.objectContaining({ code: 'INVALID_PRODUCT_STATE', path }));
    expect(decode).toThrow(message);
  });

  it('rejects text that is not UTF-8', () => {
    const bytes = edited((b) => [...b.slice(0, 6), 3, 0xc3, 0x28, 0x41, ...b.slice(10)]);

    expect(() => decodeProductState(bytes)).toThrow(
      expect.objectContaining({ code: 'INVALID_PRODUCT_STATE', path: '/p' }),
    );
  });
});
