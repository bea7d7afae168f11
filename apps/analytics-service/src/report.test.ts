import type { CategoryMetrics, LowStockEntry, SellerMetricValues } from '@marketplace/analytics-aggregator';
import { describe, expect, it } from 'vitest';
import {
  formatMoney,
  formatMoneyByCurrency,
  formatReport,
  type ReportReader,
  readReport,
  toJson,
} from './report.js';

function seller(
  totalProducts: number,
  lowStockCount = 0,
  totalValue: Record<string, bigint> = {},
): SellerMetricValues {
  return { totalProducts, activeProducts: 2, deletedProducts: 1, lowStockCount, totalValue };
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
  it('ranks sellers by products, most first, ties by id (values in different currencies do not compare)', async () => {
    const source = reader(
      {
        a: seller(100),
        b: seller(300, 0, { JPY: 1n }),
        c: seller(200, 0, { USD: 10n ** 12n }),
        d: seller(300),
        e: seller(1),
        f: seller(50),
      },
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
      pricedCount: { USD: 2 },
      totalValue: { USD: 500n },
      priceSum: { USD: 301n },
      averagePrice: { USD: 151n },
    };
    const source = reader({ a: seller(1) }, { books }, {});

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
      { a: seller(2, 2), b: seller(1, 1) },
      {},
      { a: [entry('p1', 'a'), entry('p2', 'a')], b: [entry('p3', 'b')] },
    );

    const report = await readReport(source, { sellerIds: ['a', 'b'], categories: [] }, { lowStock: 2 });

    expect(report.lowStock.map((e) => e.productId)).toEqual(['p1', 'p3']);
    expect(report.lowStockTotal).toBe(3);
  });
});

describe('formatReport', () => {
  it('prints sellers, categories with average prices per currency, and low-stock products as tables', () => {
    const text = formatReport({
      sellerCount: 1,
      topSellers: [{ sellerId: 's-1', values: seller(3, 1, { USD: 123_456n, JPY: 4500n, KWD: 82_500n }) }],
      categories: [
        {
          category: 'books',
          values: {
            productCount: 3,
            pricedCount: { JPY: 1, USD: 2 },
            totalValue: { JPY: 4500n, USD: 500n },
            priceSum: { JPY: 1500n, USD: 301n },
            averagePrice: { JPY: 1500n, USD: 151n },
          },
        },
        {
          category: 'empty',
          values: { productCount: 0, pricedCount: {}, totalValue: {}, priceSum: {}, averagePrice: {} },
        },
      ],
      lowStock: [{ productId: 'p-9', sellerId: 's-1', category: 'books', quantity: 3 }],
      lowStockTotal: 1,
    });

    expect(text).toContain('Top 1 sellers by products (of 1), stock value per currency:');
    expect(text).toMatch(/s-1\s+3\s+2\s+1\s+1\s+¥4,500 \/ KWD\s82\.500 \/ \$1,234\.56/);
    expect(text).toMatch(/books\s+3\s+¥1,500 \/ \$1\.51\s+¥4,500 \/ \$5\.00/);
    expect(text).toMatch(/empty\s+0\s+-\s+-/);
    expect(text).toContain('Low-stock products (1 of 1):');
    expect(text).toMatch(/p-9\s+s-1\s+books\s+3/);
  });
});

describe('formatMoney', () => {
  it("formats minor units with the currency's own minor digits", () => {
    expect(formatMoney(0n, 'USD')).toBe('$0.00');
    expect(formatMoney(5n, 'USD')).toBe('$0.05');
    expect(formatMoney(123_456_789_01n, 'USD')).toBe('$123,456,789.01');
    expect(formatMoney(-250n, 'EUR')).toBe('-€2.50');
    expect(formatMoney(1500n, 'JPY')).toBe('¥1,500');
    expect(formatMoney(4125n, 'KWD')).toBe('KWD\u00a04.125');
    expect(formatMoney(7n, 'BHD')).toBe('BHD\u00a00.007');
    expect(formatMoney(199n, 'XTS')).toBe('XTS\u00a01.99');
  });

  it('stays exact beyond the range of a float', () => {
    expect(formatMoney(12_345_678_901_234_567_891n, 'USD')).toBe('$123,456,789,012,345,678.91');
  });

  it('joins several currencies in code order, or shows - for none', () => {
    expect(formatMoneyByCurrency({ USD: 100n, JPY: 100n })).toBe('¥100 / $1.00');
    expect(formatMoneyByCurrency({})).toBe('-');
  });
});

describe('toJson', () => {
  it('writes bigints as decimal strings', () => {
    expect(JSON.parse(toJson({ totalValue: { USD: 12345678901234567890n } }))).toEqual({
      totalValue: { USD: '12345678901234567890' },
    });
  });
});
