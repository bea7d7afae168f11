import { describe, expect, it } from 'vitest';
import { state, T0 } from '../test/fixtures.js';
import { computeMetrics } from './computeMetrics.js';
import { AggregatorError, AggregatorOptionsError } from './errors.js';
import { PartialAggregates } from './PartialAggregates.js';
import type { MetricChange, ProductState } from './types.js';

const MAX = Number.MAX_SAFE_INTEGER;

/** Applies a sequence of states of products (each replacing the product's previous one). */
function feed(partials: PartialAggregates, states: ProductState[], known = new Map<string, ProductState>()) {
  for (const next of states) {
    partials.replace(known.get(next.productId), next);
    known.set(next.productId, next);
  }
  return known;
}

function take(partials: PartialAggregates): MetricChange[] {
  return partials.takeChanges(0, T0);
}

describe('PartialAggregates.replace', () => {
  it('adds a new product to its seller, its category and reports both rows with absolute values', () => {
    const partials = new PartialAggregates();

    partials.replace(undefined, state({ productId: 'p-1', priceCents: 250, quantity: 12 }));

    expect(take(partials)).toEqual([
      {
        entity: 'seller',
        group: 0,
        eventTime: T0,
        id: 's-1',
        values: {
          totalProducts: 1,
          activeProducts: 1,
          deletedProducts: 0,
          lowStockCount: 0,
          totalValue: { USD: 3000n },
        },
      },
      {
        entity: 'category',
        group: 0,
        eventTime: T0,
        id: 'books',
        values: {
          productCount: 1,
          pricedCount: { USD: 1 },
          totalValue: { USD: 3000n },
          priceSum: { USD: 250n },
        },
      },
    ]);
  });

  it('subtracts the old contribution and adds the new one when price and quantity change', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [
      state({ productId: 'p-1', priceCents: 100, quantity: 20 }),
      state({ productId: 'p-2', priceCents: 300, quantity: 10 }),
    ]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, priceCents: 150, quantity: 40 })], known);

    expect(partials.seller('s-1')).toEqual({
      totalProducts: 2,
      activeProducts: 2,
      deletedProducts: 0,
      lowStockCount: 0,
      totalValue: { USD: 9000n },
    });
    expect(partials.category('books')).toEqual({
      productCount: 2,
      pricedCount: { USD: 2 },
      totalValue: { USD: 9000n },
      priceSum: { USD: 450n },
    });
  });

  it('reports nothing when a new version leaves every metric unchanged', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', quantity: 3 })]);
    take(partials);

    feed(
      partials,
      [state({ productId: 'p-1', version: 2, quantity: 3, updatedAt: '2026-11-25T18:00:00.000Z' })],
      known,
    );

    expect(partials.hasChanges).toBe(false);
    expect(take(partials)).toEqual([]);
  });

  it('reports only the seller when only the status changes', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1' })]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, status: 'inactive' })], known);

    const changes = take(partials);
    expect(changes.map((c) => `${c.entity}:${c.id}`)).toEqual(['seller:s-1']);
    expect(partials.seller('s-1')?.activeProducts).toBe(0);
  });

  it('moves a product between sellers, reporting both sellers and leaving the category alone', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [
      state({ productId: 'p-1', sellerId: 's-1', priceCents: 10, quantity: 20 }),
      state({ productId: 'p-2', sellerId: 's-1', priceCents: 1, quantity: 20 }),
    ]);
    take(partials);

    feed(
      partials,
      [state({ productId: 'p-1', version: 2, sellerId: 's-2', priceCents: 10, quantity: 20 })],
      known,
    );

    const changes = take(partials);
    expect(changes.map((c) => `${c.entity}:${c.id}`)).toEqual(['seller:s-1', 'seller:s-2']);
    expect(partials.seller('s-1')).toMatchObject({ totalProducts: 1, totalValue: { USD: 20n } });
    expect(partials.seller('s-2')).toMatchObject({ totalProducts: 1, totalValue: { USD: 200n } });
  });

  it('moves a product between categories, reporting both categories and leaving the seller alone', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [
      state({ productId: 'p-1', category: 'books', priceCents: 5, quantity: 20 }),
    ]);
    take(partials);

    feed(
      partials,
      [state({ productId: 'p-1', version: 2, category: 'music', priceCents: 5, quantity: 20 })],
      known,
    );

    expect(take(partials)).toEqual([
      {
        entity: 'category',
        group: 0,
        eventTime: T0,
        id: 'books',
        values: { productCount: 0, pricedCount: {}, totalValue: {}, priceSum: {} },
      },
      {
        entity: 'category',
        group: 0,
        eventTime: T0,
        id: 'music',
        values: {
          productCount: 1,
          pricedCount: { USD: 1 },
          totalValue: { USD: 100n },
          priceSum: { USD: 5n },
        },
      },
    ]);
  });

  it('reports a category that became empty with zeros once, then drops it', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', category: 'books' })]);
    take(partials);
    feed(partials, [state({ productId: 'p-1', version: 2, category: 'music' })], known);

    take(partials);

    expect(partials.category('books')).toBeUndefined();
    expect(partials.snapshot().categories.has('books')).toBe(false);
    expect(take(partials)).toEqual([]);
  });

  it('reports a seller whose last product moved away with zeros, then drops it', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', sellerId: 's-1' })]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, sellerId: 's-2' })], known);
    expect(partials.seller('s-1')).toBeUndefined();
    const changes = take(partials);

    expect(changes[0]).toMatchObject({
      entity: 'seller',
      id: 's-1',
      values: {
        totalProducts: 0,
        activeProducts: 0,
        deletedProducts: 0,
        lowStockCount: 0,
        totalValue: {},
      },
    });
    expect(partials.snapshot().sellers.has('s-1')).toBe(false);
  });

  it('takes an inactive product out of its old seller without touching activeProducts', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [
      state({ productId: 'p-1', sellerId: 's-1', status: 'active' }),
      state({ productId: 'p-2', sellerId: 's-1', status: 'inactive', quantity: 2 }),
    ]);

    feed(
      partials,
      [state({ productId: 'p-2', version: 2, sellerId: 's-2', status: 'inactive', quantity: 2 })],
      known,
    );

    expect(partials.seller('s-1')).toMatchObject({ totalProducts: 1, activeProducts: 1, lowStockCount: 0 });
    expect(partials.seller('s-2')).toMatchObject({ totalProducts: 1, activeProducts: 0, lowStockCount: 1 });
  });

  it('leaves rows emptied since the last takeChanges out of the snapshot', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [
      state({ productId: 'p-1', sellerId: 's-1', category: 'books', quantity: 1 }),
    ]);

    feed(
      partials,
      [state({ productId: 'p-1', version: 2, sellerId: 's-2', category: 'music', quantity: 50 })],
      known,
    );

    const snapshot = partials.snapshot();
    expect([...snapshot.sellers.keys()]).toEqual(['s-2']);
    expect([...snapshot.categories.keys()]).toEqual(['music']);
    expect(snapshot.lowStock.size).toBe(0);
    expect(partials.lowStock('p-1')).toBeUndefined();
  });

  it('counts a deleted product in totalProducts and deletedProducts but not in values or its category', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [
      state({ productId: 'p-1', priceCents: 100, quantity: 20 }),
      state({ productId: 'p-2', priceCents: 7, quantity: 20 }),
    ]);
    take(partials);

    feed(
      partials,
      [state({ productId: 'p-1', version: 2, priceCents: 100, quantity: 20, deleted: true })],
      known,
    );

    expect(partials.seller('s-1')).toEqual({
      totalProducts: 2,
      activeProducts: 1,
      deletedProducts: 1,
      lowStockCount: 0,
      totalValue: { USD: 140n },
    });
    expect(partials.category('books')).toEqual({
      productCount: 1,
      pricedCount: { USD: 1 },
      totalValue: { USD: 140n },
      priceSum: { USD: 7n },
    });
  });

  it('adds a product first seen as deleted to its seller only', () => {
    const partials = new PartialAggregates();

    partials.replace(
      undefined,
      state({ productId: 'p-1', deleted: true, category: '', priceCents: 0, quantity: 0 }),
    );

    expect(take(partials).map((c) => `${c.entity}:${c.id}`)).toEqual(['seller:s-1']);
    expect(partials.seller('s-1')).toMatchObject({ totalProducts: 1, deletedProducts: 1, lowStockCount: 0 });
    expect(partials.lowStock('p-1')).toBeUndefined();
  });

  it('moves a tombstone between sellers when a newer delete names another seller', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', deleted: true })]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, sellerId: 's-2', deleted: true })], known);

    expect(take(partials).map((c) => `${c.entity}:${c.id}`)).toEqual(['seller:s-1', 'seller:s-2']);
    expect(partials.seller('s-2')).toMatchObject({ totalProducts: 1, deletedProducts: 1 });
  });

  it('reports nothing for a newer delete of an already deleted product of the same seller', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', deleted: true })]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, deleted: true, quantity: 1 })], known);

    expect(take(partials)).toEqual([]);
  });

  it('brings a revived product back into values, its category and low stock', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [
      state({ productId: 'p-1', priceCents: 3, quantity: 2 }),
      state({ productId: 'p-1', version: 2, priceCents: 3, quantity: 2, deleted: true }),
    ]);
    take(partials);
    expect(partials.lowStock('p-1')).toBeUndefined();

    feed(partials, [state({ productId: 'p-1', version: 3, priceCents: 3, quantity: 2 })], known);

    expect(partials.seller('s-1')).toEqual({
      totalProducts: 1,
      activeProducts: 1,
      deletedProducts: 0,
      lowStockCount: 1,
      totalValue: { USD: 6n },
    });
    expect(partials.category('books')).toEqual({
      productCount: 1,
      pricedCount: { USD: 1 },
      totalValue: { USD: 6n },
      priceSum: { USD: 3n },
    });
    expect(partials.lowStock('p-1')).toEqual({
      productId: 'p-1',
      sellerId: 's-1',
      category: 'books',
      quantity: 2,
    });
  });
});

describe('PartialAggregates.hasChanges', () => {
  // A caller skips the write of a batch when nothing is pending: each kind of row alone must count.
  const cases: Array<[string, ProductState, ProductState, string[]]> = [
    [
      'only a seller row changed (status)',
      state({ productId: 'p-1' }),
      state({ productId: 'p-1', version: 2, status: 'inactive' }),
      ['seller:s-1'],
    ],
    [
      'only category rows changed (a move between categories)',
      state({ productId: 'p-1', category: 'books' }),
      state({ productId: 'p-1', version: 2, category: 'music' }),
      ['category:books', 'category:music'],
    ],
    // No case for a low-stock entry alone: its seller, category or quantity changed, so a seller
    // or category row changed with it.
  ];

  it.each(cases)('says changes are pending when %s, until they are taken', (_, before, after, rows) => {
    const partials = new PartialAggregates();
    partials.replace(undefined, before);
    take(partials);
    expect(partials.hasChanges).toBe(false);

    partials.replace(before, after);

    expect(partials.hasChanges).toBe(true);
    expect(take(partials).map((c) => `${c.entity}:${c.id}`)).toEqual(rows);
    expect(partials.hasChanges).toBe(false);
  });
});

describe('PartialAggregates low stock', () => {
  const lowRows = (changes: MetricChange[]) => changes.filter((c) => c.entity === 'lowStock');

  it('adds an entry when a product crosses below the threshold', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', quantity: 10 })]);
    expect(lowRows(take(partials))).toEqual([]);

    feed(partials, [state({ productId: 'p-1', version: 2, quantity: 9 })], known);

    expect(lowRows(take(partials))).toEqual([
      {
        entity: 'lowStock',
        group: 0,
        eventTime: T0,
        id: 'p-1',
        sellerId: 's-1',
        values: { productId: 'p-1', sellerId: 's-1', category: 'books', quantity: 9 },
      },
    ]);
    expect(partials.seller('s-1')?.lowStockCount).toBe(1);
  });

  it('removes the entry when the product goes back to the threshold or above', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', quantity: 0 })]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, quantity: 10 })], known);

    expect(lowRows(take(partials))).toEqual([
      { entity: 'lowStock', group: 0, eventTime: T0, id: 'p-1', sellerId: 's-1', values: null },
    ]);
    expect(partials.lowStock('p-1')).toBeUndefined();
    expect(partials.seller('s-1')?.lowStockCount).toBe(0);
  });

  it('updates the entry when the quantity changes while still low', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', quantity: 5 })]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, quantity: 4 })], known);

    expect(lowRows(take(partials)).map((c) => c.values)).toEqual([
      { productId: 'p-1', sellerId: 's-1', category: 'books', quantity: 4 },
    ]);
  });

  it('updates the entry when a low product moves to another category', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', quantity: 5 })]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, quantity: 5, category: 'music' })], known);

    expect(lowRows(take(partials)).map((c) => c.values?.category)).toEqual(['music']);
  });

  it('does not report the entry when only the price of a low product changes', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', quantity: 5, priceCents: 1 })]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, quantity: 5, priceCents: 2 })], known);

    expect(lowRows(take(partials))).toEqual([]);
  });

  it('removes the entry from the old seller row and adds it to the new one when a low product moves seller', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', sellerId: 's-1', quantity: 1 })]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, sellerId: 's-2', quantity: 1 })], known);

    expect(lowRows(take(partials))).toEqual([
      { entity: 'lowStock', group: 0, eventTime: T0, id: 'p-1', sellerId: 's-1', values: null },
      {
        entity: 'lowStock',
        group: 0,
        eventTime: T0,
        id: 'p-1',
        sellerId: 's-2',
        values: { productId: 'p-1', sellerId: 's-2', category: 'books', quantity: 1 },
      },
    ]);
    expect(partials.seller('s-1')).toBeUndefined();
    expect(partials.seller('s-2')?.lowStockCount).toBe(1);
  });

  it('removes the entry when a low product is deleted', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', quantity: 1 })]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, quantity: 1, deleted: true })], known);

    expect(lowRows(take(partials))).toEqual([
      { entity: 'lowStock', group: 0, eventTime: T0, id: 'p-1', sellerId: 's-1', values: null },
    ]);
  });

  it('reports nothing for a product that went low and back within one window', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', quantity: 50 })]);
    take(partials);

    feed(
      partials,
      [
        state({ productId: 'p-1', version: 2, quantity: 1 }),
        state({ productId: 'p-1', version: 3, quantity: 50 }),
      ],
      known,
    );

    expect(lowRows(take(partials))).toEqual([]);
  });

  it('reports the final entry only once after several changes within one window', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', sellerId: 's-1', quantity: 1 })]);
    take(partials);

    feed(
      partials,
      [
        state({ productId: 'p-1', version: 2, sellerId: 's-1', quantity: 2 }),
        state({ productId: 'p-1', version: 3, sellerId: 's-1', quantity: 3 }),
      ],
      known,
    );

    expect(lowRows(take(partials)).map((c) => c.values?.quantity)).toEqual([3]);
  });

  it('uses the configured threshold', () => {
    const partials = new PartialAggregates({ lowStockThreshold: 3 });

    feed(partials, [state({ productId: 'p-1', quantity: 3 }), state({ productId: 'p-2', quantity: 2 })]);

    expect(partials.lowStockThreshold).toBe(3);
    expect(partials.lowStock('p-1')).toBeUndefined();
    expect(partials.lowStock('p-2')).toEqual({
      productId: 'p-2',
      sellerId: 's-1',
      category: 'books',
      quantity: 2,
    });
  });

  it('tracks no low stock with a threshold of 0', () => {
    const partials = new PartialAggregates({ lowStockThreshold: 0 });

    feed(partials, [state({ productId: 'p-1', quantity: 0 })]);

    expect(partials.seller('s-1')?.lowStockCount).toBe(0);
    expect(lowRows(take(partials))).toEqual([]);
  });
});

describe('PartialAggregates money per currency', () => {
  it('keeps each currency in its own bucket, keys in order', () => {
    const partials = new PartialAggregates();

    feed(partials, [
      state({ productId: 'p-1', priceCents: 1500, currency: 'JPY', quantity: 3 }),
      state({ productId: 'p-2', priceCents: 1250, currency: 'USD', quantity: 2 }),
      state({ productId: 'p-3', priceCents: 4125, currency: 'KWD', quantity: 20 }),
    ]);

    const seller = partials.seller('s-1');
    expect(seller?.totalValue).toEqual({ JPY: 4500n, KWD: 82500n, USD: 2500n });
    expect(Object.keys(seller?.totalValue ?? {})).toEqual(['JPY', 'KWD', 'USD']);
    expect(partials.category('books')).toEqual({
      productCount: 3,
      pricedCount: { JPY: 1, KWD: 1, USD: 1 },
      totalValue: { JPY: 4500n, KWD: 82500n, USD: 2500n },
      priceSum: { JPY: 1500n, KWD: 4125n, USD: 1250n },
    });
  });

  it('moves value from the old currency to the new one when a product changes currency', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [
      state({ productId: 'p-1', priceCents: 1000, currency: 'USD', quantity: 2 }),
      state({ productId: 'p-2', priceCents: 10, currency: 'USD', quantity: 1 }),
    ]);
    take(partials);

    feed(
      partials,
      [state({ productId: 'p-1', version: 2, priceCents: 150, currency: 'JPY', quantity: 2 })],
      known,
    );

    expect(take(partials)).toEqual([
      expect.objectContaining({
        entity: 'seller',
        values: expect.objectContaining({ totalValue: { JPY: 300n, USD: 10n } }),
      }),
      expect.objectContaining({
        entity: 'category',
        values: {
          productCount: 2,
          pricedCount: { JPY: 1, USD: 1 },
          totalValue: { JPY: 300n, USD: 10n },
          priceSum: { JPY: 150n, USD: 10n },
        },
      }),
    ]);
  });

  it('removes a deleted product from the currency it was last counted in, dropping an empty currency', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [
      state({ productId: 'p-1', priceCents: 4125, currency: 'KWD', quantity: 2 }),
      state({ productId: 'p-2', priceCents: 5, currency: 'XTS', quantity: 1 }),
    ]);
    take(partials);

    feed(partials, [state({ productId: 'p-1', version: 2, currency: 'KWD', deleted: true })], known);

    expect(partials.seller('s-1')?.totalValue).toEqual({ XTS: 5n });
    expect(partials.category('books')).toEqual({
      productCount: 1,
      pricedCount: { XTS: 1 },
      totalValue: { XTS: 5n },
      priceSum: { XTS: 5n },
    });
  });

  it('moves a product between currencies and sellers at once', () => {
    const partials = new PartialAggregates();
    const known = feed(partials, [state({ productId: 'p-1', priceCents: 7, currency: 'EUR', quantity: 3 })]);
    take(partials);

    feed(
      partials,
      [
        state({
          productId: 'p-1',
          version: 2,
          sellerId: 's-2',
          category: 'music',
          currency: 'BHD',
          priceCents: 7,
          quantity: 3,
        }),
      ],
      known,
    );

    expect(partials.seller('s-2')?.totalValue).toEqual({ BHD: 21n });
    expect(partials.category('music')?.priceSum).toEqual({ BHD: 7n });
    expect(partials.snapshot()).toEqual(computeMetrics([...known.values()]));
  });
});

describe('PartialAggregates exactness', () => {
  it('keeps totals exact for many products with price and quantity near MAX_SAFE_INTEGER', () => {
    const partials = new PartialAggregates();
    const states: ProductState[] = [];
    for (let i = 0; i < 1000; i += 1) {
      states.push(state({ productId: `p-${i}`, priceCents: MAX - i, quantity: MAX - 2 * i }));
    }
    let expectedValue = 0n;
    let expectedPrice = 0n;
    for (const s of states) {
      expectedValue += BigInt(s.priceCents) * BigInt(s.quantity);
      expectedPrice += BigInt(s.priceCents);
    }

    const known = feed(partials, states);

    expect(partials.seller('s-1')?.totalValue).toEqual({ USD: expectedValue });
    expect(partials.category('books')).toEqual({
      productCount: 1000,
      pricedCount: { USD: 1000 },
      totalValue: { USD: expectedValue },
      priceSum: { USD: expectedPrice },
    });

    feed(
      partials,
      states.map((s) => ({ ...s, version: 2, deleted: true })),
      known,
    );
    expect(partials.seller('s-1')?.totalValue).toEqual({});
    expect(partials.category('books')).toBeUndefined();
  });

  it('stays exact when safe per-product values add up past MAX_SAFE_INTEGER and back', () => {
    const partials = new PartialAggregates();
    // Each value is a safe integer, the sum is not: exercises the number-to-bigint spill.
    const big = state({ productId: 'p-big', priceCents: MAX, quantity: 1 });
    const small = state({ productId: 'p-small', priceCents: 3, quantity: 1 });
    const known = feed(partials, [
      big,
      small,
      state({ productId: 'p-odd', priceCents: MAX - 1, quantity: 1 }),
    ]);

    expect(partials.seller('s-1')?.totalValue).toEqual({ USD: BigInt(MAX) * 2n - 1n + 3n });

    feed(partials, [{ ...big, version: 2, priceCents: 1 }], known);
    expect(partials.seller('s-1')?.totalValue).toEqual({ USD: 1n + 3n + BigInt(MAX) - 1n });
    expect(partials.category('books')?.priceSum).toEqual({ USD: 1n + 3n + BigInt(MAX) - 1n });
  });

  it('matches the oracle when restored from states', () => {
    const states = [
      state({ productId: 'p-1', sellerId: 's-1', category: 'books', quantity: 1 }),
      state({ productId: 'p-2', sellerId: 's-2', category: 'books', priceCents: MAX, quantity: MAX }),
      state({ productId: 'p-3', sellerId: 's-2', category: 'music', status: 'inactive' }),
      state({ productId: 'p-4', sellerId: 's-3', category: '', deleted: true }),
    ];

    const partials = PartialAggregates.fromStates(states, { lowStockThreshold: 5 });

    expect(partials.hasChanges).toBe(false);
    expect(partials.takeChanges(1, T0)).toEqual([]);
    expect(partials.snapshot()).toEqual(computeMetrics(states, { lowStockThreshold: 5 }));
  });
});

describe('PartialAggregates accessors and errors', () => {
  it('returns copies that do not change the aggregates when modified', () => {
    const partials = PartialAggregates.fromStates([state({ productId: 'p-1' })]);

    const seller = partials.seller('s-1');
    if (seller !== undefined) seller.totalProducts = 99;
    const category = partials.category('books');
    if (category !== undefined) category.productCount = 99;

    expect(partials.seller('s-1')?.totalProducts).toBe(1);
    expect(partials.category('books')?.productCount).toBe(1);
    expect(partials.seller('nobody')).toBeUndefined();
    expect(partials.category('nothing')).toBeUndefined();
  });

  it('stamps the given group and event time on every change', () => {
    const partials = new PartialAggregates();
    partials.replace(undefined, state({ productId: 'p-1', quantity: 1 }));

    const changes = partials.takeChanges(7, '2026-11-25T19:00:00.000Z');

    expect(changes).toHaveLength(3);
    for (const change of changes) {
      expect(change).toMatchObject({ group: 7, eventTime: '2026-11-25T19:00:00.000Z' });
    }
  });

  it('rejects an invalid group or event time', () => {
    const partials = new PartialAggregates();

    expect(() => partials.takeChanges(-1, T0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => partials.takeChanges(1.5, T0)).toThrow(/group/);
    expect(() => partials.takeChanges(0, undefined as unknown as string)).toThrow(/eventTime/);
  });

  it('rejects an invalid lowStockThreshold naming the option', () => {
    for (const lowStockThreshold of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = (() => {
        try {
          return new PartialAggregates({ lowStockThreshold });
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(AggregatorOptionsError);
      expect(error).toMatchObject({ code: 'INVALID_OPTIONS', field: 'lowStockThreshold', retryable: false });
    }
    expect(() => PartialAggregates.fromStates([], { lowStockThreshold: -5 })).toThrow(/lowStockThreshold/);
  });

  it('rejects a previous state that was never added', () => {
    const partials = new PartialAggregates();

    expect(() =>
      partials.replace(state({ productId: 'p-1' }), state({ productId: 'p-1', version: 2, quantity: 1 })),
    ).toThrow(AggregatorError);
  });

  it('rejects a previous state whose seller or category no longer holds a product', () => {
    const partials = new PartialAggregates();
    const first = state({ productId: 'p-1', sellerId: 's-1', category: 'books' });
    partials.replace(undefined, first);
    partials.replace(first, state({ productId: 'p-1', version: 2, sellerId: 's-2', category: 'books' }));
    const elsewhere = state({ productId: 'p-1', version: 3, sellerId: 's-2', category: 'music' });
    partials.replace(state({ productId: 'p-1', version: 2, sellerId: 's-2', category: 'books' }), elsewhere);

    expect(() => partials.replace(first, state({ productId: 'p-1', version: 4, quantity: 1 }))).toThrow(
      /seller "s-1"/,
    );
    expect(() =>
      partials.replace(
        state({ productId: 'p-1', sellerId: 's-2', category: 'books', status: 'inactive' }),
        state({ productId: 'p-1', sellerId: 's-2', category: 'toys', status: 'inactive' }),
      ),
    ).toThrow(/category "books"/);
  });
});
