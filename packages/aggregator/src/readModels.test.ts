import { describe, expect, it } from 'vitest';
import { averagePriceCents, sumCategoryPartials, sumSellerPartials } from './readModels.js';

describe('averagePriceCents', () => {
  it('divides exactly when the sum is a multiple of the count', () => {
    expect(averagePriceCents(3000n, 3)).toBe(1000n);
  });

  it('rounds half up', () => {
    expect(averagePriceCents(1001n, 2)).toBe(501n);
    expect(averagePriceCents(1000n, 3)).toBe(333n);
    expect(averagePriceCents(2000n, 3)).toBe(667n);
  });

  it('rounds a tie toward positive infinity for a negative sum', () => {
    expect(averagePriceCents(-3n, 2)).toBe(-1n);
    expect(averagePriceCents(-5n, 3)).toBe(-2n);
    expect(averagePriceCents(-4n, 2)).toBe(-2n);
  });

  it('returns null for an empty category', () => {
    expect(averagePriceCents(0n, 0)).toBeNull();
  });

  it('stays exact beyond the safe integer range', () => {
    const sum = BigInt(Number.MAX_SAFE_INTEGER) * 1_000n + 1n;

    expect(averagePriceCents(sum, 1_000)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
  });

  it('rejects a negative or fractional product count', () => {
    expect(() => averagePriceCents(1n, -1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => averagePriceCents(1n, 0.5)).toThrow(/productCount/);
  });
});

describe('sumSellerPartials', () => {
  it('adds every field of the partial rows', () => {
    const total = sumSellerPartials([
      { totalProducts: 2, activeProducts: 1, deletedProducts: 1, totalValueCents: 10n, lowStockCount: 1 },
      {
        totalProducts: 3,
        activeProducts: 3,
        deletedProducts: 0,
        totalValueCents: 2n ** 70n,
        lowStockCount: 0,
      },
    ]);

    expect(total).toEqual({
      totalProducts: 5,
      activeProducts: 4,
      deletedProducts: 1,
      totalValueCents: 2n ** 70n + 10n,
      lowStockCount: 1,
    });
  });

  it('sums no rows to zeros', () => {
    expect(sumSellerPartials([])).toEqual({
      totalProducts: 0,
      activeProducts: 0,
      deletedProducts: 0,
      totalValueCents: 0n,
      lowStockCount: 0,
    });
  });
});

describe('sumCategoryPartials', () => {
  it('adds the sums and derives the average from them, not from partial averages', () => {
    const total = sumCategoryPartials([
      { productCount: 1, totalValueCents: 100n, priceSumCents: 100n },
      { productCount: 3, totalValueCents: 60n, priceSumCents: 3n },
    ]);

    expect(total).toEqual({
      productCount: 4,
      totalValueCents: 160n,
      priceSumCents: 103n,
      averagePriceCents: 26n,
    });
  });

  it('gives a null average when no row holds a product', () => {
    expect(sumCategoryPartials([])).toEqual({
      productCount: 0,
      totalValueCents: 0n,
      priceSumCents: 0n,
      averagePriceCents: null,
    });
  });
});
