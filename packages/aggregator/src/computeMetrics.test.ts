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
      totalValue: { USD: 2150n },
      lowStockCount: 1,
    });
    expect(sellers.get('s-2')).toEqual({
      totalProducts: 1,
      activeProducts: 1,
      deletedProducts: 0,
      totalValue: { USD: 0n },
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
      pricedCount: { USD: 2 },
      totalValue: { USD: 2102n },
      priceSum: { USD: 151n },
      averagePrice: { USD: 76n },
    });
    expect(categories.has('music')).toBe(false);
  });

  it('keeps money per currency, deleted products in none', () => {
    const { sellers, categories } = computeMetrics([
      state({ productId: 'p-1', priceCents: 1500, currency: 'JPY', quantity: 3 }),
      state({ productId: 'p-2', priceCents: 1250, currency: 'USD', quantity: 2 }),
      state({ productId: 'p-3', priceCents: 4125, currency: 'KWD', quantity: 20 }),
      state({ productId: 'p-4', priceCents: 1000, currency: 'JPY', quantity: 1 }),
      state({ productId: 'p-5', priceCents: 9, currency: 'EUR', quantity: 1, deleted: true }),
    ]);

    expect(sellers.get('s-1')?.totalValue).toEqual({ JPY: 5500n, KWD: 82500n, USD: 2500n });
    expect(Object.keys(sellers.get('s-1')?.totalValue ?? {})).toEqual(['JPY', 'KWD', 'USD']);
    expect(categories.get('books')).toEqual({
      productCount: 4,
      pricedCount: { JPY: 2, KWD: 1, USD: 1 },
      totalValue: { JPY: 5500n, KWD: 82500n, USD: 2500n },
      priceSum: { JPY: 2500n, KWD: 4125n, USD: 1250n },
      averagePrice: { JPY: 1250n, KWD: 4125n, USD: 1250n },
    });
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
      expect.objectContaining({ code: 'INVALID_OPTIONS', field: 'lowStockThreshold' }),
    );
  });
});
