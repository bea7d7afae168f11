import { describe, expect, it } from 'vitest';
import { T0 } from '../test/fixtures.js';
import { DecodeError } from './errors.js';
import {
  decodeMetricChange,
  encodeMetricChange,
  foldMetricChanges,
  METRIC_CHANGE_FORMAT,
  metricChangeKey,
} from './metricChanges.js';
import type {
  CategoryMetricChange,
  LowStockMetricChange,
  MetricChange,
  SellerMetricChange,
} from './types.js';

const HUGE = 2n ** 80n + 7n;

function seller(
  group: number,
  id: string,
  totalProducts: number,
  totalValue: Record<string, bigint> = {},
): SellerMetricChange {
  return {
    entity: 'seller',
    group,
    eventTime: T0,
    id,
    values: {
      totalProducts,
      activeProducts: totalProducts,
      deletedProducts: 0,
      lowStockCount: 0,
      totalValue,
    },
  };
}

/** A category whose products are all priced in `currency` (none when `productCount` is 0). */
function category(
  group: number,
  id: string,
  productCount: number,
  priceSum: bigint,
  currency = 'USD',
): CategoryMetricChange {
  const some = productCount > 0;
  return {
    entity: 'category',
    group,
    eventTime: T0,
    id,
    values: {
      productCount,
      pricedCount: some ? { [currency]: productCount } : {},
      totalValue: some ? { [currency]: priceSum * 2n } : {},
      priceSum: some ? { [currency]: priceSum } : {},
    },
  };
}

function lowStock(productId: string, sellerId: string, quantity: number | null): LowStockMetricChange {
  return {
    entity: 'lowStock',
    group: 0,
    eventTime: T0,
    id: productId,
    sellerId,
    values: quantity === null ? null : { productId, sellerId, category: 'books', quantity },
  };
}

describe('metricChangeKey', () => {
  it('keys seller and category rows by group and id, low-stock rows by seller and product', () => {
    expect(metricChangeKey(seller(3, 's-17', 1))).toBe('seller#3#s-17');
    expect(metricChangeKey(category(0, 'books', 1, 1n))).toBe('category#0#books');
    expect(metricChangeKey(lowStock('p-1', 's-2', 1))).toBe('lowStock#s-2#p-1');
  });

  it('URI-encodes ids so that a # inside an id cannot collide with the separator', () => {
    expect(metricChangeKey(seller(1, 'a#b c', 1))).toBe('seller#1#a%23b%20c');
    expect(metricChangeKey(lowStock('p#1', 's#2', null))).toBe('lowStock#s%232#p%231');
  });
});

describe('foldMetricChanges', () => {
  it('keeps the last change of each row and sums rows of the same entity across groups', () => {
    const metrics = foldMetricChanges([
      seller(0, 's-1', 5, { USD: 100n }),
      seller(1, 's-1', 2, { JPY: 3n, USD: HUGE }),
      seller(0, 's-1', 1, { USD: 10n, KWD: 4n }),
      category(0, 'books', 1, 100n),
      category(1, 'books', 2, 1n),
      category(2, 'books', 1, 777n, 'JPY'),
    ]);

    expect(metrics.sellers.get('s-1')).toEqual({
      totalProducts: 3,
      activeProducts: 3,
      deletedProducts: 0,
      lowStockCount: 0,
      totalValue: { JPY: 3n, KWD: 4n, USD: HUGE + 10n },
    });
    expect(metrics.categories.get('books')).toEqual({
      productCount: 4,
      pricedCount: { JPY: 1, USD: 3 },
      totalValue: { JPY: 1554n, USD: 202n },
      priceSum: { JPY: 777n, USD: 101n },
      averagePrice: { JPY: 777n, USD: 34n },
    });
  });

  it('keeps entities whose rows are all zero', () => {
    const metrics = foldMetricChanges([seller(0, 's-1', 1), seller(0, 's-1', 0), category(2, 'toys', 0, 0n)]);

    expect(metrics.sellers.get('s-1')?.totalProducts).toBe(0);
    expect(metrics.categories.get('toys')).toMatchObject({ productCount: 0, averagePrice: {} });
  });

  it('drops low-stock entries whose last change is a removal, per seller row', () => {
    const metrics = foldMetricChanges([
      lowStock('p-1', 's-1', 3),
      lowStock('p-2', 's-1', 1),
      lowStock('p-2', 's-1', null),
      lowStock('p-1', 's-1', null),
      lowStock('p-1', 's-2', 4),
    ]);

    expect([...metrics.lowStock.entries()]).toEqual([
      ['p-1', { productId: 'p-1', sellerId: 's-2', category: 'books', quantity: 4 }],
    ]);
  });
});

describe('encodeMetricChange / decodeMetricChange', () => {
  const examples: MetricChange[] = [
    seller(4, 's-ü#1', 2, { JPY: 0n, KWD: 4125n, USD: HUGE }),
    seller(4, 's-2', 0),
    category(0, 'books & more', 3, HUGE),
    category(0, 'empty', 0, 0n),
    lowStock('p-1', 's-1', 0),
    lowStock('p-1', 's-1', null),
  ];

  it.each(examples.map((change) => [change.entity, change] as const))(
    'round-trips a %s change exactly',
    (_, change) => {
      expect(decodeMetricChange(encodeMetricChange(change))).toEqual(change);
    },
  );

  it('writes format 2 and money per currency as decimal strings', () => {
    const json = JSON.parse(encodeMetricChange(seller(0, 's-1', 1, { JPY: 5n, USD: HUGE })).toString('utf8'));

    expect(json.format).toBe(METRIC_CHANGE_FORMAT);
    expect(METRIC_CHANGE_FORMAT).toBe(2);
    expect(json.values.totalValue).toEqual({ JPY: '5', USD: HUGE.toString() });
  });

  it('refuses a record without a format version (format 1) with a clear error, never misreading it', () => {
    const formatOne = JSON.stringify({
      entity: 'seller',
      group: 0,
      eventTime: T0,
      id: 's-1',
      values: {
        totalProducts: 1,
        activeProducts: 1,
        deletedProducts: 0,
        totalValueCents: '5',
        lowStockCount: 0,
      },
    });

    expect(() => decodeMetricChange(formatOne)).toThrow(
      expect.objectContaining({
        code: 'INVALID_METRIC_CHANGE',
        path: '/format',
        message: expect.stringMatching(/no format version .*knows format 2 only/),
      }),
    );
  });

  it('refuses a record of an unknown format version', () => {
    const next = { ...JSON.parse(encodeMetricChange(seller(0, 's-1', 1)).toString('utf8')), format: 3 };

    expect(() => decodeMetricChange(JSON.stringify(next))).toThrow(
      /unsupported metric-change format: found format 3, this reader knows format 2 only/,
    );
  });

  it('decodes from a string and ignores unknown extra fields', () => {
    const text = JSON.stringify({
      format: 2,
      entity: 'category',
      group: 1,
      eventTime: T0,
      id: 'books',
      extra: true,
      values: {
        productCount: 1,
        pricedCount: { XTS: 1 },
        totalValue: { XTS: '5' },
        priceSum: { XTS: '5' },
        future: 1,
      },
    });

    expect(decodeMetricChange(text)).toEqual({
      entity: 'category',
      group: 1,
      eventTime: T0,
      id: 'books',
      values: { productCount: 1, pricedCount: { XTS: 1 }, totalValue: { XTS: 5n }, priceSum: { XTS: 5n } },
    });
  });

  const valid = JSON.parse(encodeMetricChange(seller(0, 's-1', 1, { USD: 5n })).toString('utf8'));
  const validCategory = JSON.parse(encodeMetricChange(category(0, 'c', 2, 5n)).toString('utf8'));
  const validLow = JSON.parse(encodeMetricChange(lowStock('p-1', 's-1', 2)).toString('utf8'));
  const rejections: Array<[string, unknown, string]> = [
    ['a JSON array', [], ''],
    ['null', null, ''],
    ['an unknown entity', { ...valid, entity: 'shop' }, '/entity'],
    ['a negative group', { ...valid, group: -1 }, '/group'],
    ['a fractional group', { ...valid, group: 0.5 }, '/group'],
    ['a group given as a string', { ...valid, group: '0' }, '/group'],
    ['an unparseable event time', { ...valid, eventTime: 'yesterday' }, '/eventTime'],
    ['a missing event time', { ...valid, eventTime: undefined }, '/eventTime'],
    ['an empty id', { ...valid, id: '' }, '/id'],
    ['missing seller values', { ...valid, values: undefined }, '/values'],
    [
      'a negative count',
      { ...valid, values: { ...valid.values, activeProducts: -1 } },
      '/values/activeProducts',
    ],
    [
      'a money sum as a number',
      { ...valid, values: { ...valid.values, totalValue: { USD: 5 } } },
      '/values/totalValue/USD',
    ],
    [
      'a negative money sum',
      { ...valid, values: { ...valid.values, totalValue: { USD: '-5' } } },
      '/values/totalValue/USD',
    ],
    [
      'a money sum with a leading zero',
      { ...valid, values: { ...valid.values, totalValue: { USD: '05' } } },
      '/values/totalValue/USD',
    ],
    [
      'money as one sum instead of a map',
      { ...valid, values: { ...valid.values, totalValue: '5' } },
      '/values/totalValue',
    ],
    [
      'a currency code in lower case',
      { ...valid, values: { ...valid.values, totalValue: { usd: '5' } } },
      '/values/totalValue/usd',
    ],
    [
      'category values without priceSum',
      { ...validCategory, values: { ...validCategory.values, priceSum: undefined } },
      '/values/priceSum',
    ],
    [
      'a category price sum in other currencies than its counts',
      { ...validCategory, values: { ...validCategory.values, priceSum: { EUR: '5' } } },
      '/values/priceSum',
    ],
    [
      'a category value in other currencies than its counts',
      { ...validCategory, values: { ...validCategory.values, totalValue: { USD: '1', EUR: '5' } } },
      '/values/totalValue',
    ],
    [
      'a zero count of a currency',
      { ...validCategory, values: { ...validCategory.values, pricedCount: { USD: 0 } } },
      '/values/pricedCount/USD',
    ],
    [
      'counts per currency that do not add up to the product count',
      { ...validCategory, values: { ...validCategory.values, productCount: 3 } },
      '/values/productCount',
    ],
    ['a low-stock change without sellerId', { ...validLow, sellerId: undefined }, '/sellerId'],
    ['a low-stock entry that is not an object', { ...validLow, values: 3 }, '/values'],
    [
      'a low-stock entry without quantity',
      { ...validLow, values: { ...validLow.values, quantity: undefined } },
      '/values/quantity',
    ],
    [
      'a low-stock entry of another product',
      { ...validLow, values: { ...validLow.values, productId: 'p-2' } },
      '/values/productId',
    ],
    [
      'a low-stock entry of another seller',
      { ...validLow, values: { ...validLow.values, sellerId: 's-9' } },
      '/values/sellerId',
    ],
  ];

  const removal = JSON.parse(encodeMetricChange(lowStock('p-1', 's-1', null)).toString('utf8'));
  const emptyIds: Array<[string, unknown, string]> = [
    ['the removal of a low-stock entry of an empty seller id', { ...removal, sellerId: '' }, '/sellerId'],
    ['the removal of a low-stock entry of an empty product id', { ...removal, id: '' }, '/id'],
    [
      'a low-stock entry with an empty product id',
      { ...validLow, values: { ...validLow.values, productId: '' } },
      '/values/productId',
    ],
    [
      'a low-stock entry with an empty seller id',
      { ...validLow, values: { ...validLow.values, sellerId: '' } },
      '/values/sellerId',
    ],
  ];

  // An empty id would name no row: the sinks would write (or delete) an item keyed `LOWSTOCK#`.
  it.each(emptyIds)('refuses %s as a DecodeError', (_, value, path) => {
    const decode = () => decodeMetricChange(JSON.stringify(value));

    expect(decode).toThrow(DecodeError);
    expect(decode).toThrow(expect.objectContaining({ code: 'INVALID_METRIC_CHANGE', path }));
  });

  it.each(rejections)('rejects %s with INVALID_METRIC_CHANGE at the field', (_, value, path) => {
    const decode = () => decodeMetricChange(JSON.stringify(value));

    expect(decode).toThrow(DecodeError);
    expect(decode).toThrow(
      expect.objectContaining({ code: 'INVALID_METRIC_CHANGE', path, retryable: false }),
    );
  });

  it('rejects bytes that are not JSON, keeping the parse error as cause', () => {
    const decode = () => decodeMetricChange(Buffer.from('{"entity":'));

    expect(decode).toThrow(
      expect.objectContaining({ code: 'INVALID_METRIC_CHANGE', path: '', cause: expect.any(SyntaxError) }),
    );
  });

  it('rejects bytes that are not UTF-8', () => {
    expect(() => decodeMetricChange(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(/not valid UTF-8/);
  });
});
