import { describe, expect, it } from 'vitest';
import { InvalidItemError } from './errors.js';
import { isExpired, toCategoryValues, toLowStockEntry, toSellerValues } from './items.js';

describe('stored item decoding', () => {
  it('reads money back as bigint beyond 2^53', () => {
    const values = toCategoryValues({
      productCount: { N: '3' },
      totalValueCents: { N: '123456789012345678901' },
      priceSumCents: { N: '-5' },
    });

    expect(values).toEqual({ productCount: 3, totalValueCents: 123456789012345678901n, priceSumCents: -5n });
  });

  it('names the row and attribute of a malformed item', () => {
    const item = { pk: { S: 'SELLER#s-1' }, sk: { S: 'CUR#G0' }, totalProducts: { S: 'x' } };

    expect(() => toSellerValues(item)).toThrow(InvalidItemError);
    expect(() => toSellerValues(item)).toThrow(/SELLER#s-1 \/ CUR#G0: attribute "totalProducts"/);
    expect(() => toCategoryValues({ productCount: { N: '1' }, totalValueCents: { N: '1.5' } })).toThrow(
      /\? \/ \?: attribute "totalValueCents"/,
    );
    expect(() => toLowStockEntry({ productId: { N: '1' } })).toThrow(
      /"productId" is missing or not a string/,
    );
  });

  it('treats an item as expired from the second its ttl names', () => {
    const item = { ttl: { N: '1000' } };

    expect(isExpired(item, 999_999)).toBe(false);
    expect(isExpired(item, 1_000_000)).toBe(true);
    expect(isExpired({}, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});
