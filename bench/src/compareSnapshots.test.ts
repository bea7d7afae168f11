import type { MetricsSnapshot, SellerMetricValues } from '@marketplace/analytics-aggregator';
import { describe, expect, it } from 'vitest';
import { compareSnapshots, type PeerMetrics } from './compareSnapshots.js';

function ours(): MetricsSnapshot {
  return {
    sellers: new Map<string, SellerMetricValues>([
      [
        's-1',
        {
          totalProducts: 3,
          activeProducts: 1,
          deletedProducts: 1,
          lowStockCount: 1,
          // Above 2^53: compared exactly, never through a float.
          totalValue: { JPY: 9_007_199_254_740_993n, USD: 12n },
        },
      ],
      ['s-2', { totalProducts: 0, activeProducts: 0, deletedProducts: 0, lowStockCount: 0, totalValue: {} }],
    ]),
    categories: new Map([
      [
        'books',
        {
          productCount: 2,
          pricedCount: { USD: 2 },
          totalValue: { USD: 500n },
          priceSum: { USD: 30n },
          averagePrice: { USD: 15n },
        },
      ],
    ]),
    lowStock: new Map(),
  };
}

function theirs(): PeerMetrics {
  return {
    sellers: new Map([
      [
        's-1',
        {
          totalProducts: 3,
          activeProducts: 1,
          deletedProducts: 1,
          lowStockCount: 1,
          totalValue: { USD: 12, JPY: '9007199254740993' },
        },
      ],
    ]),
    categories: new Map([
      [
        'books',
        { productCount: 2, pricedCount: { USD: 2 }, totalValue: { USD: '500' }, priceSum: { USD: 30 } },
      ],
    ]),
  };
}

describe('compareSnapshots', () => {
  it('finds none when every field is equal, numbers and decimal strings alike, in any currency order, and an emptied seller is missing', () => {
    expect(compareSnapshots('flink', ours(), theirs())).toEqual([]);
  });

  it('names each differing field with both values, money per currency', () => {
    const peer = theirs();
    peer.sellers.set('s-1', { ...peer.sellers.get('s-1'), totalValue: { JPY: '9007199254740992', USD: 12 } });
    peer.categories.set('books', {
      productCount: 1,
      pricedCount: { USD: 2 },
      totalValue: { USD: '500', EUR: '0' },
      priceSum: { USD: 30 },
    });
    expect(compareSnapshots('flink', ours(), peer)).toEqual([
      'seller s-1 totalValue: ours {"JPY":"9007199254740993","USD":"12"} flink {"JPY":"9007199254740992","USD":12}',
      'category books productCount: ours 2 flink 1',
      'category books totalValue: ours {"USD":"500"} flink {"USD":"500","EUR":"0"}',
    ]);
  });

  it('reads Flink SQL rows: money maps of decimal strings, counts per currency as strings, and null for no currency', () => {
    const snapshot = ours();
    snapshot.sellers.set('s-3', {
      totalProducts: 2,
      activeProducts: 0,
      deletedProducts: 2,
      lowStockCount: 0,
      totalValue: {},
    });
    const peer = theirs();
    // Flink's STR_TO_MAP of LISTAGG gives NULL when the seller has no product priced in any currency.
    peer.sellers.set('s-3', {
      totalProducts: 2,
      activeProducts: 0,
      deletedProducts: 2,
      lowStockCount: 0,
      totalValue: null,
    });
    peer.categories.set('books', {
      productCount: 2,
      pricedCount: { USD: '2' },
      totalValue: { USD: '500' },
      priceSum: { USD: '30' },
    });
    expect(compareSnapshots('flink', snapshot, peer)).toEqual([]);
    peer.sellers.set('s-3', { ...peer.sellers.get('s-3'), totalValue: { USD: '0' } });
    expect(compareSnapshots('flink', snapshot, peer)).toEqual([
      'seller s-3 totalValue: ours {} flink {"USD":"0"}',
    ]);
  });

  it('reports a seller or category with products that only the reference has', () => {
    const peer = theirs();
    peer.sellers.set('s-9', { totalProducts: 1 });
    peer.sellers.set('s-8', { totalProducts: 0 });
    peer.categories.set('toys', { productCount: 4 });
    peer.categories.set('games', { productCount: 0 });
    expect(compareSnapshots('kstreams', ours(), peer)).toEqual([
      'seller s-9 only in kstreams',
      'category toys only in kstreams',
    ]);
  });

  it('reports a row the reference lacks when ours is not empty', () => {
    const peer = theirs();
    peer.categories.delete('books');
    expect(compareSnapshots('flink', ours(), peer)).toEqual([
      'category books productCount: ours 2 flink undefined',
      'category books pricedCount: ours {"USD":2} flink undefined',
      'category books totalValue: ours {"USD":"500"} flink undefined',
      'category books priceSum: ours {"USD":"30"} flink undefined',
    ]);
  });
});
