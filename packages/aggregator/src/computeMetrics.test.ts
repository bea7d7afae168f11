import { describe, expect, it } from 'vitest';
import { state } from '../test/fixtures.js';
import { computeMetrics } from './computeMetrics.js';

describe('computeMetrics', () => {
  it('computes every seller metric from the definitions', () => {
    const { sellers } = computeMetrics([
      state({ productId: 'p-1', priceCents: 100, quantity: 20 }),
      state({ productId: 'p-2', priceCents: 50, quantity: 3, status: 'inactive' }),
      state({ productId: 'p-3', priceCents: 999, quantity: 1, deleted: true }),
      state({ productId: 'p-4', sellerId: 's-2', quantity: 0 }),
    ]);

    expect(sellers.get('s-1')).toEqual({
      totalProducts: 3,
      activeProducts: 1,
      deletedProducts: 1,
      totalValueCents: 2150n,
      lowStockCount: 1,
    });
    expect(sellers.get('s-2')).toEqual({
      totalProducts: 1,
      activeProducts: 1,
      deletedProducts: 0,
      totalValueCents: 0n,
      lowStockCount: 1,
    });
  });

  it('counts only products not deleted in categories and derives the average', () => {
    const { categories } = computeMetrics([
      state({ productId: 'p-1', category: 'books', priceCents: 100, quantity: 20 }),
      state({ productId: 'p-2', category: 'books', priceCents: 51, quantity: 2, status: 'inactive' }),
      state({ productId: 'p-3', category: 'books', priceCents: 999, deleted: true }),
      state({ productId: 'p-4', category: 'music', deleted: true }),
    ]);

    expect(categories.get('books')).toEqual({
      productCount: 2,
      totalValueCents: 2102n,
      priceSumCents: 151n,
      averagePriceCents: 76n,
    });
    expect(categories.has('music')).toBe(false);
  });

  it('lists low-stock products below the threshold, not deleted ones', () => {
    const { lowStock } = computeMetrics(
      [
        state({ productId: 'p-1', quantity: 4, category: 'toys' }),
        state({ productId: 'p-2', quantity: 5 }),
        state({ productId: 'p-3', quantity: 0, deleted: true }),
      ],
      { lowStockThreshold: 5 },
    );

    expect([...lowStock.values()]).toEqual([
      { productId: 'p-1', sellerId: 's-1', category: 'toys', quantity: 4 },
    ]);
  });

  it('returns empty maps for no products', () => {
    expect(computeMetrics([])).toEqual({ sellers: new Map(), categories: new Map(), lowStock: new Map() });
  });

  it('rejects an invalid lowStockThreshold', () => {
    expect(() => computeMetrics([], { lowStockThreshold: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', option: 'lowStockThreshold' }),
    );
  });
});
