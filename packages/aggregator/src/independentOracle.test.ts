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
      totalValue: { USD: 4000n },
      lowStockCount: 1,
    });
    // s-2: p-3 (inactive, 333 x 12 = 3996, not low).
    expect(metrics.sellers.get('s-2')).toEqual({
      totalProducts: 1,
      activeProducts: 0,
      deletedProducts: 0,
      totalValue: { USD: 3996n },
      lowStockCount: 0,
    });
    // books: p-1 and p-3; prices 1000 + 333 = 1333, average 666.5 rounds half up to 667.
    expect(metrics.categories.get('books')).toEqual({
      productCount: 2,
      pricedCount: { USD: 2 },
      totalValue: { USD: 7996n },
      priceSum: { USD: 1333n },
      averagePrice: { USD: 667n },
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
    expect(metrics.categories.get('c')?.averagePrice).toEqual({ USD: 11n });
    expect(metrics.sellers.get('s-1')?.lowStockCount).toBe(0);
    const third = oracleMetrics(
      [...events, created('d', 1, { category: 'c', priceCents: 0, quantity: 4 })],
      5,
    );
    // (10 + 11 + 11 + 0) / 4 = 8.0 exactly; d is low on stock at threshold 5.
    expect(third.categories.get('c')?.averagePrice).toEqual({ USD: 8n });
    expect(third.sellers.get('s-1')?.lowStockCount).toBe(1);
    const down = oracleMetrics([
      created('x', 1, { category: 'k', priceCents: 7 }),
      created('y', 1, { category: 'k', priceCents: 0 }),
      created('z', 1, { category: 'k', priceCents: 0 }),
    ]);
    // 7 / 3 = 2.33 -> 2.
    expect(down.categories.get('k')?.averagePrice).toEqual({ USD: 2n });
  });

  it('keeps money per currency: JPY, USD and KWD never add up', () => {
    const events = [
      // 1,500 JPY x 3 (JPY has no minor digits).
      created('jp', 1, { sellerId: 's-1', category: 'tea', priceCents: 1500, currency: 'JPY', quantity: 3 }),
      // 12.50 USD x 2 = 1250 cents x 2.
      created('us', 1, { sellerId: 's-1', category: 'tea', priceCents: 1250, currency: 'USD', quantity: 2 }),
      // 4.125 KWD x 20 = 4125 fils x 20 (three minor digits).
      created('kw', 1, { sellerId: 's-1', category: 'tea', priceCents: 4125, currency: 'KWD', quantity: 20 }),
      // A second JPY product: 999 JPY x 0, in stock nowhere but priced.
      created('jp2', 1, { sellerId: 's-2', category: 'tea', priceCents: 999, currency: 'JPY', quantity: 0 }),
    ];

    const metrics = oracleMetrics(events);

    expect(metrics.sellers.get('s-1')?.totalValue).toEqual({ JPY: 4500n, USD: 2500n, KWD: 82500n });
    // s-2's only product is worth 0 JPY: the currency is present with 0.
    expect(metrics.sellers.get('s-2')?.totalValue).toEqual({ JPY: 0n });
    expect(metrics.categories.get('tea')).toEqual({
      productCount: 4,
      pricedCount: { JPY: 2, USD: 1, KWD: 1 },
      totalValue: { JPY: 4500n, USD: 2500n, KWD: 82500n },
      priceSum: { JPY: 2499n, USD: 1250n, KWD: 4125n },
      // (1500 + 999) / 2 = 1249.5 -> 1250 JPY; one product each in USD and KWD.
      averagePrice: { JPY: 1250n, USD: 1250n, KWD: 4125n },
    });
  });

  it('moves value to the new currency on a currency change and removes it on a delete', () => {
    const events = [
      created('a', 1, { category: 'c', priceCents: 1000, currency: 'USD', quantity: 2 }),
      // a is repriced in JPY: its 2,000 cents leave USD, 150 JPY x 2 = 300 JPY arrive.
      updated('a', 2, { category: 'c', priceCents: 150, currency: 'JPY', quantity: 2 }),
      created('b', 1, { category: 'c', priceCents: 700, currency: 'USD', quantity: 1 }),
      // b, last counted in USD, is deleted: USD empties and disappears.
      deleted('b', 2, { sellerId: 's-1' }),
      // An unknown but well-formed code is a bucket of its own.
      created('x', 1, { category: 'c', priceCents: 5, currency: 'XTS', quantity: 7 }),
    ];

    const metrics = oracleMetrics(events);

    expect(metrics.sellers.get('s-1')).toEqual({
      totalProducts: 3,
      activeProducts: 2,
      deletedProducts: 1,
      lowStockCount: 2,
      totalValue: { JPY: 300n, XTS: 35n },
    });
    expect(metrics.categories.get('c')).toEqual({
      productCount: 2,
      pricedCount: { JPY: 1, XTS: 1 },
      totalValue: { JPY: 300n, XTS: 35n },
      priceSum: { JPY: 150n, XTS: 5n },
      averagePrice: { JPY: 150n, XTS: 5n },
    });
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
