import type { MetricsSnapshot } from '@marketplace/analytics-aggregator';
import { describe, expect, it } from 'vitest';
import { compareSnapshots, type PeerMetrics } from './compareSnapshots.js';

function ours(): MetricsSnapshot {
  return {
    sellers: new Map([
      [
        's-1',
        {
          totalProducts: 3,
          activeProducts: 1,
          deletedProducts: 1,
          // Above 2^53: compared exactly, never through a float.
          totalValueCents: 9_007_199_254_740_993n,
          lowStockCount: 1,
        },
      ],
      [
        's-2',
        { totalProducts: 0, activeProducts: 0, deletedProducts: 0, totalValueCents: 0n, lowStockCount: 0 },
      ],
    ]),
    categories: new Map([
      ['books', { productCount: 2, totalValueCents: 500n, priceSumCents: 30n, averagePriceCents: 15n }],
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
          totalValueCents: '9007199254740993',
          lowStockCount: 1,
        },
      ],
    ]),
    categories: new Map([['books', { productCount: 2, totalValueCents: '500', priceSumCents: 30 }]]),
  };
}

describe('compareSnapshots', () => {
  it('finds none when every field is equal, numbers and decimal strings alike, and an emptied seller is missing', () => {
    expect(compareSnapshots('flink', ours(), theirs())).toEqual([]);
  });

  it('names each differing field with both values', () => {
    const peer = theirs();
    peer.sellers.set('s-1', { ...peer.sellers.get('s-1'), totalValueCents: '9007199254740992' });
    peer.categories.set('books', { productCount: 1, totalValueCents: '500', priceSumCents: 30 });
    expect(compareSnapshots('flink', ours(), peer)).toEqual([
      'seller s-1 totalValueCents: ours 9007199254740993 flink 9007199254740992',
      'category books productCount: ours 2 flink 1',
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
      'category books totalValueCents: ours 500 flink undefined',
      'category books priceSumCents: ours 30 flink undefined',
    ]);
  });
});
