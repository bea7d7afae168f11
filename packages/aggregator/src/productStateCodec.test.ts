import { describe, expect, it } from 'vitest';
import { state } from '../test/fixtures.js';
import { DecodeError } from './errors.js';
import { decodeProductState, encodeProductState } from './productStateCodec.js';

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
    }
  });

  it('writes compact JSON with short field names', () => {
    const bytes = encodeProductState(state({ productId: 'p-1' }));

    expect(bytes.toString('utf8')).toBe(
      '{"p":"p-1","v":1,"s":"s-1","c":"books","pc":1999,"cu":"USD","q":50,"st":"active","d":false,"t":"2026-11-25T17:00:00.000Z"}',
    );
  });

  it('reads an updatedAt written with a zone offset as canonical UTC (changelogs from before normalisation)', () => {
    const bytes = encodeProductState(state({ productId: 'p-1', updatedAt: '2026-11-25T23:30:00-05:00' }));

    expect(decodeProductState(bytes).updatedAt).toBe('2026-11-26T04:30:00.000Z');
  });

  const valid = JSON.parse(encodeProductState(state({ productId: 'p-1' })).toString('utf8'));
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

    expect(decodeProductState(encodeProductState(priced)).currency).toBe('EUR');
    expect(decodeProductState(encodeProductState(unpriced)).currency).toBe('');
  });

  it('rejects bytes that are not JSON', () => {
    expect(() => decodeProductState('not json')).toThrow(/\(root\): a product state is not valid JSON/);
  });
});
