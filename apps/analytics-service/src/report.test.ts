import type { CategoryMetrics, LowStockEntry, SellerMetricValues } from '@marketplace/analytics-aggregator';
import { describe, expect, it } from 'vitest';
import { formatCents, formatReport, type ReportReader, readReport, toJson } from './report.js';

function seller(totalValueCents: bigint, lowStockCount = 0): SellerMetricValues {
  return { totalProducts: 3, activeProducts: 2, deletedProducts: 1, totalValueCents, lowStockCount };
}

/** An in-memory reader standing in for DynamoDB: the report only formats what it reads. */
function reader(
  sellers: Record<string, SellerMetricValues>,
  categories: Record<string, CategoryMetrics>,
  lowStock: Record<string, LowStockEntry[]>,
): ReportReader {
  return {
    getSellerMetrics: async (id) => sellers[id],
    getCategoryMetrics: async (id) => categories[id],
    listLowStock: async (id) => lowStock[id] ?? [],
  };
}

describe('readReport', () => {
  it('ranks sellers by stock value, highest first, ties by id', async () => {
    const source = reader(
      { a: seller(100n), b: seller(300n), c: seller(200n), d: seller(300n), e: seller(1n), f: seller(50n) },
      {},
      {},
    );

    const report = await readReport(source, { sellerIds: ['a', 'b', 'c', 'd', 'e', 'f'], categories: [] });

    expect(report.topSellers.map((s) => s.sellerId)).toEqual(['b', 'd', 'c', 'a', 'f']);
    expect(report.sellerCount).toBe(6);
  });

  it('skips ids without metrics and lists categories by name', async () => {
    const books: CategoryMetrics = {
      productCount: 2,
      totalValueCents: 500n,
      priceSumCents: 301n,
      averagePriceCents: 151n,
    };
    const source = reader({ a: seller(1n) }, { books }, {});

    const report = await readReport(source, { sellerIds: ['a', 'ghost'], categories: ['toys', 'books'] });

    expect(report.sellerCount).toBe(1);
    expect(report.categories).toEqual([{ category: 'books', values: books }]);
  });

  it('samples low-stock entries round-robin over sellers, biggest first, and caps the list', async () => {
    const entry = (productId: string, sellerId: string): LowStockEntry => ({
      productId,
      sellerId,
      category: 'c',
      quantity: 1,
    });
    const source = reader(
      { a: seller(2n, 2), b: seller(1n, 1) },
      {},
      { a: [entry('p1', 'a'), entry('p2', 'a')], b: [entry('p3', 'b')] },
    );

    const report = await readReport(source, { sellerIds: ['a', 'b'], categories: [] }, { lowStock: 2 });

    expect(report.lowStock.map((e) => e.productId)).toEqual(['p1', 'p3']);
    expect(report.lowStockTotal).toBe(3);
  });
});

describe('formatReport', () => {
  it('prints sellers, categories with average price, and low-stock products as tables', () => {
    const text = formatReport({
      sellerCount: 1,
      topSellers: [{ sellerId: 's-1', values: seller(123_456n, 1) }],
      categories: [
        {
          category: 'books',
          values: { productCount: 2, totalValueCents: 500n, priceSumCents: 301n, averagePriceCents: 151n },
        },
        {
          category: 'empty',
          values: { productCount: 0, totalValueCents: 0n, priceSumCents: 0n, averagePriceCents: null },
        },
      ],
      lowStock: [{ productId: 'p-9', sellerId: 's-1', category: 'books', quantity: 3 }],
      lowStockTotal: 1,
    });

    expect(text).toContain('Top 1 sellers by stock value (of 1):');
    expect(text).toMatch(/s-1\s+1,234\.56\s+3\s+2\s+1\s+1/);
    expect(text).toMatch(/books\s+2\s+5\.00\s+1\.51/);
    expect(text).toMatch(/empty\s+0\s+0\.00\s+-/);
    expect(text).toContain('Low-stock products (1 of 1):');
    expect(text).toMatch(/p-9\s+s-1\s+books\s+3/);
  });
});

describe('formatCents', () => {
  it('formats cents with thousands separators and two decimals', () => {
    expect(formatCents(0n)).toBe('0.00');
    expect(formatCents(5n)).toBe('0.05');
    expect(formatCents(123_456_789_01n)).toBe('123,456,789.01');
    expect(formatCents(-250n)).toBe('-2.50');
  });
});

describe('toJson', () => {
  it('writes bigints as decimal strings', () => {
    expect(JSON.parse(toJson({ totalValueCents: 12345678901234567890n }))).toEqual({
      totalValueCents: '12345678901234567890',
    });
  });
});
