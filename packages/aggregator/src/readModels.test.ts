import { describe, expect, it } from 'vitest';
import { averagePrice, averagePrices, sumCategoryPartials, sumSellerPartials } from './readModels.js';

describe('averagePrice', () => {
  it('divides exactly when the sum is a multiple of the count', () => {
    expect(averagePrice(3000n, 3)).toBe(1000n);
  });

  it('rounds half up', () => {
    expect(averagePrice(1001n, 2)).toBe(501n);
    expect(averagePrice(1000n, 3)).toBe(333n);
    expect(averagePrice(2000n, 3)).toBe(667n);
  });

  it('rounds a tie toward positive infinity for a negative sum', () => {
    expect(averagePrice(-3n, 2)).toBe(-1n);
    expect(averagePrice(-5n, 3)).toBe(-2n);
    expect(averagePrice(-4n, 2)).toBe(-2n);
  });

  it('returns null for an empty category', () => {
    expect(averagePrice(0n, 0)).toBeNull();
  });

  it('stays exact beyond the safe integer range', () => {
    const sum = BigInt(Number.MAX_SAFE_INTEGER) * 1_000n + 1n;

    expect(averagePrice(sum, 1_000)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
  });

  it('rejects a negative or fractional product count', () => {
    expect(() => averagePrice(1n, -1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => averagePrice(1n, 0.5)).toThrow(/count must be/);
  });
});

describe('averagePrices', () => {
  it('derives one average per currency that has products, keys in order', () => {
    const averages = averagePrices({ USD: 1001n, JPY: 3000n, KWD: 0n }, { USD: 2, JPY: 3, KWD: 1, EUR: 0 });

    expect(averages).toEqual({ JPY: 1000n, KWD: 0n, USD: 501n });
    expect(Object.keys(averages)).toEqual(['JPY', 'KWD', 'USD']);
  });

  it('treats a missing sum as zero', () => {
    expect(averagePrices({}, { USD: 2 })).toEqual({ USD: 0n });
  });
});

describe('sumSellerPartials', () => {
  it('adds the counts, and the values per currency', () => {
    const total = sumSellerPartials([
      {
        totalProducts: 2,
        activeProducts: 1,
        deletedProducts: 1,
        lowStockCount: 1,
        totalValue: { USD: 10n, JPY: 5n },
      },
      {
        totalProducts: 3,
        activeProducts: 3,
        deletedProducts: 0,
        lowStockCount: 0,
        totalValue: { KWD: 7n, USD: 2n ** 70n },
      },
    ]);

    expect(total).toEqual({
      totalProducts: 5,
      activeProducts: 4,
      deletedProducts: 1,
      lowStockCount: 1,
      totalValue: { JPY: 5n, KWD: 7n, USD: 2n ** 70n + 10n },
    });
    expect(Object.keys(total.totalValue)).toEqual(['JPY', 'KWD', 'USD']);
  });

  it('sums no rows to zeros', () => {
    expect(sumSellerPartials([])).toEqual({
      totalProducts: 0,
      activeProducts: 0,
      deletedProducts: 0,
      lowStockCount: 0,
      totalValue: {},
    });
  });
});

describe('sumCategoryPartials', () => {
  it('adds the sums per currency and derives each average from them, not from partial averages', () => {
    const total = sumCategoryPartials([
      {
        productCount: 2,
        pricedCount: { USD: 1, JPY: 1 },
        totalValue: { USD: 100n, JPY: 900n },
        priceSum: { USD: 100n, JPY: 300n },
      },
      { productCount: 3, pricedCount: { USD: 3 }, totalValue: { USD: 60n }, priceSum: { USD: 3n } },
    ]);

    expect(total).toEqual({
      productCount: 5,
      pricedCount: { JPY: 1, USD: 4 },
      totalValue: { JPY: 900n, USD: 160n },
      priceSum: { JPY: 300n, USD: 103n },
      averagePrice: { JPY: 300n, USD: 26n },
    });
  });

  it('gives no averages when no row holds a product', () => {
    expect(sumCategoryPartials([])).toEqual({
      productCount: 0,
      pricedCount: {},
      totalValue: {},
      priceSum: {},
      averagePrice: {},
    });
  });
});
