import { describe, expect, it } from 'vitest';
import { created, deleted, updated } from '../test/fixtures.js';
import { expectedOutcomes, lastEventPerProduct, oracleMetrics } from '../test/independentOracle.js';

/* The independent oracle against values computed by hand. */

describe('independent oracle', () => {
  it('counts the last event of each product by version, whatever the delivery order', () => {
    const events = [
      // p-1: updated before its create arrived; the update (v3) is the latest.
      updated('p-1', 3, { sellerId: 's-1', category: 'books', priceCents: 1000, quantity: 4 }),
      created('p-1', 1, { sellerId: 's-1', category: 'books', priceCents: 500, quantity: 50 }),
      // p-2: created, then deleted (v2): counts only as a deleted product of s-1.
      created('p-2', 1, { sellerId: 's-1', category: 'games', priceCents: 7000, quantity: 2 }),
      deleted('p-2', 2, { sellerId: 's-1' }),
      // p-3: deleted, then brought back by a higher version, inactive, in another seller.
      deleted('p-3', 4, { sellerId: 's-2' }),
      created('p-3', 5, {
        sellerId: 's-2',
        category: 'books',
        priceCents: 333,
        quantity: 12,
        status: 'inactive',
      }),
      // A duplicate delivery changes nothing.
      created('p-3', 5, {
        sellerId: 's-2',
        category: 'books',
        priceCents: 333,
        quantity: 12,
        status: 'inactive',
      }),
    ];

    const metrics = oracleMetrics(events);

    // s-1: p-1 (active, 1000 x 4 = 4000, low stock) and p-2 (deleted).
    expect(metrics.sellers.get('s-1')).toEqual({
      totalProducts: 2,
      activeProducts: 1,
      deletedProducts: 1,
      totalValueCents: 4000n,
      lowStockCount: 1,
    });
    // s-2: p-3 (inactive, 333 x 12 = 3996, not low).
    expect(metrics.sellers.get('s-2')).toEqual({
      totalProducts: 1,
      activeProducts: 0,
      deletedProducts: 0,
      totalValueCents: 3996n,
      lowStockCount: 0,
    });
    // books: p-1 and p-3; prices 1000 + 333 = 1333, average 666.5 rounds half up to 667.
    expect(metrics.categories.get('books')).toEqual({
      productCount: 2,
      totalValueCents: 7996n,
      priceSumCents: 1333n,
      averagePriceCents: 667n,
    });
    // games held only the deleted p-2.
    expect(metrics.categories.has('games')).toBe(false);
    expect([...metrics.lowStock.values()]).toEqual([
      { productId: 'p-1', sellerId: 's-1', category: 'books', quantity: 4 },
    ]);
  });

  it('rounds an average below one half down and applies the given low-stock threshold', () => {
    const events = [
      created('a', 1, { category: 'c', priceCents: 10, quantity: 5 }),
      created('b', 1, { category: 'c', priceCents: 11, quantity: 5 }),
      created('c', 1, { category: 'c', priceCents: 11, quantity: 5 }),
    ];

    const metrics = oracleMetrics(events, 5);

    // (10 + 11 + 11) / 3 = 10.67 -> 11; no quantity is below 5.
    expect(metrics.categories.get('c')?.averagePriceCents).toBe(11n);
    expect(metrics.sellers.get('s-1')?.lowStockCount).toBe(0);
    const third = oracleMetrics(
      [...events, created('d', 1, { category: 'c', priceCents: 0, quantity: 4 })],
      5,
    );
    // (10 + 11 + 11 + 0) / 4 = 8.0 exactly; d is low on stock at threshold 5.
    expect(third.categories.get('c')?.averagePriceCents).toBe(8n);
    expect(third.sellers.get('s-1')?.lowStockCount).toBe(1);
    const down = oracleMetrics([
      created('x', 1, { category: 'k', priceCents: 7 }),
      created('y', 1, { category: 'k', priceCents: 0 }),
      created('z', 1, { category: 'k', priceCents: 0 }),
    ]);
    // 7 / 3 = 2.33 -> 2.
    expect(down.categories.get('k')?.averagePriceCents).toBe(2n);
  });

  it('refuses two different events with the same version of one product', () => {
    expect(() => lastEventPerProduct([created('p', 2), updated('p', 2, { quantity: 1 })])).toThrow(
      /two different events with version 2/,
    );
  });

  it('classifies deliveries by the version rule alone', () => {
    const delivered = [created('p', 2), created('p', 2), created('p', 1), updated('p', 3), created('q', 1)];

    expect(expectedOutcomes(delivered)).toEqual({ applied: 3, duplicate: 1, stale: 1 });
  });
});
