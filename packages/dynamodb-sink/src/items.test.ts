import { describe, expect, it } from 'vitest';
import { InvalidItemError, UnsupportedRowFormatError } from './errors.js';
import { isExpired, readRowEpoch, toCategoryValues, toLowStockEntry, toSellerValues } from './items.js';

describe('stored item decoding', () => {
  const format = { rowFormat: { N: '2' } };

  it('reads money per currency back as bigint beyond 2^53', () => {
    const values = toCategoryValues({
      ...format,
      productCount: { N: '3' },
      pricedCount: { M: { USD: { N: '2' }, JPY: { N: '1' } } },
      totalValue: { M: { USD: { N: '123456789012345678901' }, JPY: { N: '0' } } },
      priceSum: { M: { USD: { N: '5' }, JPY: { N: '7' } } },
    });

    expect(values).toEqual({
      productCount: 3,
      pricedCount: { JPY: 1, USD: 2 },
      totalValue: { JPY: 0n, USD: 123456789012345678901n },
      priceSum: { JPY: 7n, USD: 5n },
    });
    expect(Object.keys(values.totalValue)).toEqual(['JPY', 'USD']);
  });

  it('names the row and attribute of a malformed item', () => {
    const item = { ...format, pk: { S: 'SELLER#s-1' }, sk: { S: 'CUR#G0' }, totalProducts: { S: 'x' } };

    expect(() => toSellerValues(item)).toThrow(InvalidItemError);
    expect(() => toSellerValues(item)).toThrow(/SELLER#s-1 \/ CUR#G0: attribute "totalProducts"/);
    const category = { ...format, productCount: { N: '1' }, pricedCount: { M: { USD: { N: '1' } } } };
    expect(() => toCategoryValues({ ...category, totalValue: { N: '1' } })).toThrow(
      /\? \/ \?: attribute "totalValue" is missing or not a map/,
    );
    expect(() => toCategoryValues({ ...category, totalValue: { M: { USD: { N: '1.5' } } } })).toThrow(
      /attribute "totalValue.USD" is not a currency code with a non-negative integer/,
    );
    expect(() => toCategoryValues({ ...category, totalValue: { M: { usd: { N: '1' } } } })).toThrow(
      /attribute "totalValue.usd"/,
    );
    expect(() =>
      toCategoryValues({ ...category, pricedCount: { M: { USD: { N: '1e400' } } }, totalValue: { M: {} } }),
    ).toThrow(/attribute "pricedCount.USD"/);
    expect(() =>
      toCategoryValues({ ...category, pricedCount: { M: { USD: { N: '9007199254740993' } } } }),
    ).toThrow(/attribute "pricedCount.USD"/);
    expect(() => toLowStockEntry({ ...format, productId: { N: '1' } })).toThrow(
      /"productId" is missing or not a string/,
    );
  });

  it('refuses a row without a format version (format 1) or of an unknown one, never misreading it', () => {
    const formatOne = {
      pk: { S: 'SELLER#s-1' },
      sk: { S: 'CUR#G0' },
      totalProducts: { N: '1' },
      activeProducts: { N: '1' },
      deletedProducts: { N: '0' },
      lowStockCount: { N: '0' },
      totalValueCents: { N: '100' },
    };

    expect(() => toSellerValues(formatOne)).toThrow(UnsupportedRowFormatError);
    expect(() => toSellerValues(formatOne)).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED_ROW_FORMAT',
        found: undefined,
        expected: 3,
        message:
          'Row SELLER#s-1 / CUR#G0 has no rowFormat (format 1: one money sum over every currency); this reader knows rowFormat 2 to 3',
      }),
    );
    expect(() => toCategoryValues({ rowFormat: { N: '4' } })).toThrow(
      /Row \? \/ \? has rowFormat 4; this reader knows rowFormat 2 to 3/,
    );
    expect(() => toLowStockEntry({ rowFormat: { S: '2' } })).toThrow(UnsupportedRowFormatError);
  });

  it('reads the epoch of a format-3 row, 0 for a format-2 row, and refuses a format-3 row without one', () => {
    expect(readRowEpoch({ rowFormat: { N: '3' }, epoch: { N: '4' } })).toBe(4);
    expect(readRowEpoch({ rowFormat: { N: '2' } })).toBe(0);
    expect(() => readRowEpoch({ rowFormat: { N: '3' } })).toThrow(InvalidItemError);
    expect(() => readRowEpoch({ rowFormat: { N: '03' } })).toThrow(UnsupportedRowFormatError);
  });

  it('treats an item as expired from the second its ttl names', () => {
    const item = { ttl: { N: '1000' } };

    expect(isExpired(item, 999_999)).toBe(false);
    expect(isExpired(item, 1_000_000)).toBe(true);
    expect(isExpired({}, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});
