import { PartialAggregates, type ProductState } from '@marketplace/analytics-aggregator';
import { describe, expect, it } from 'vitest';
import { snapshotChanges } from './snapshotChanges.js';

const state = (productId: string, quantity: number, sellerId = 's-1'): ProductState => ({
  productId,
  version: 1,
  sellerId,
  category: 'books',
  priceCents: 250,
  currency: 'EUR',
  quantity,
  status: 'active',
  deleted: false,
  updatedAt: '2026-11-27T10:00:00.000Z',
});

describe('snapshotChanges', () => {
  it('reports every partial row of a group with absolute values, low-stock entries included', () => {
    const aggregates = PartialAggregates.fromStates([state('p-1', 3), state('p-2', 20, 's-2')]);

    const changes = snapshotChanges(aggregates.snapshot(), 5, '2026-11-27T10:00:00.000Z');

    expect(changes.map((c) => `${c.entity}:${c.id}:${c.group}`).sort()).toEqual([
      'category:books:5',
      'lowStock:p-1:5',
      'seller:s-1:5',
      'seller:s-2:5',
    ]);
    const category = changes.find((c) => c.entity === 'category');
    expect(category?.values).toEqual({
      productCount: 2,
      pricedCount: { EUR: 2 },
      totalValue: { EUR: 5750n },
      priceSum: { EUR: 500n },
    });
    expect(changes.find((c) => c.entity === 'lowStock')).toMatchObject({
      sellerId: 's-1',
      values: { productId: 'p-1', quantity: 3 },
    });
  });

  it('reports nothing for an empty group', () => {
    expect(snapshotChanges(new PartialAggregates().snapshot(), 0, '')).toEqual([]);
  });
});
