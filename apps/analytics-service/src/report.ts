import type { CategoryMetrics, LowStockEntry, SellerMetricValues } from '@marketplace/analytics-aggregator';
import { mapBounded } from '@marketplace/retry';

/** What the demo report reads (a subset of `MetricsReader`). */
export interface ReportReader {
  getSellerMetrics(sellerId: string): Promise<SellerMetricValues | undefined>;
  getCategoryMetrics(category: string): Promise<CategoryMetrics | undefined>;
  listLowStock(sellerId: string): Promise<LowStockEntry[]>;
}

/** The demo report: read back from DynamoDB through `MetricsReader`. */
export interface DemoReport {
  /** Sellers read. */
  sellerCount: number;
  /**
   * Top sellers by number of products (deleted ones included), highest first. Not by value: values
   * in different currencies cannot be compared without exchange rates, which the pipeline does not
   * have.
   */
  topSellers: Array<{ sellerId: string; values: SellerMetricValues }>;
  /** Every category, by name. */
  categories: Array<{ category: string; values: CategoryMetrics }>;
  /** Some low-stock products, taken round-robin over sellers by stock value. */
  lowStock: LowStockEntry[];
  /** Low-stock products of all sellers. */
  lowStockTotal: number;
}

/**
 * Reads the report for the given sellers and categories (the ids the demo produced events for).
 * @example
 * const report = await readReport(new MetricsReader({ client }), { sellerIds, categories });
 */
export async function readReport(
  reader: ReportReader,
  ids: { sellerIds: Iterable<string>; categories: Iterable<string> },
  options: { topSellers?: number; lowStock?: number; concurrency?: number } = {},
): Promise<DemoReport> {
  const concurrency = options.concurrency ?? 16;
  const sellerIds = [...new Set(ids.sellerIds)].sort();
  const categoryIds = [...new Set(ids.categories)].sort();

  const sellers = await mapBounded(sellerIds, concurrency, async (sellerId) => ({
    sellerId,
    values: await reader.getSellerMetrics(sellerId),
    lowStock: await reader.listLowStock(sellerId),
  }));
  const known = sellers.filter(
    (s): s is { sellerId: string; values: SellerMetricValues; lowStock: LowStockEntry[] } =>
      s.values !== undefined,
  );
  known.sort(
    (a, b) => b.values.totalProducts - a.values.totalProducts || a.sellerId.localeCompare(b.sellerId),
  );
  const top = known.slice(0, options.topSellers ?? 5);

  const categories = await mapBounded(categoryIds, concurrency, async (category) => ({
    category,
    values: await reader.getCategoryMetrics(category),
  }));

  // Round-robin over sellers (most products first), so the sample shows more than one seller.
  const lowStock: LowStockEntry[] = [];
  const lowStockTotal = known.reduce((n, s) => n + s.lowStock.length, 0);
  for (let i = 0; lowStock.length < lowStockTotal; i++) {
    for (const s of known) {
      const entry = s.lowStock[i];
      if (entry !== undefined) lowStock.push(entry);
    }
  }
  return {
    sellerCount: known.length,
    topSellers: top.map(({ sellerId, values }) => ({ sellerId, values })),
    categories: categories.filter(
      (c): c is { category: string; values: CategoryMetrics } => c.values !== undefined,
    ),
    lowStock: lowStock.slice(0, options.lowStock ?? 10),
    lowStockTotal,
  };
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * Formats an amount in minor units of an ISO 4217 currency with `Intl.NumberFormat` (English),
 * using the currency's own number of minor digits as Intl knows them (JPY 0, USD 2, KWD 3; 2 for
 * a code Intl does not know, e.g. `XTS`). Exact at any size: the amount goes to Intl as a decimal
 * string, never through a float.
 * @example
 * ```ts
 * formatMoney(123456n, 'USD'); // '$1,234.56'
 * formatMoney(1500n, 'JPY');   // '¥1,500'
 * formatMoney(4125n, 'KWD');   // 'KWD 4.125' (with a no-break space)
 * ```
 */
export function formatMoney(minorUnits: bigint, currency: string): string {
  let format = moneyFormats.get(currency);
  if (format === undefined) {
    format = new Intl.NumberFormat('en', { style: 'currency', currency });
    moneyFormats.set(currency, format);
  }
  // Always set for style 'currency' (the type allows undefined for other styles).
  const digits = format.resolvedOptions().maximumFractionDigits as number;
  const negative = minorUnits < 0n;
  const abs = negative ? -minorUnits : minorUnits;
  const scale = 10n ** BigInt(digits);
  const whole = (abs / scale).toString();
  const decimal = digits === 0 ? whole : `${whole}.${(abs % scale).toString().padStart(digits, '0')}`;
  // Intl.NumberFormat formats a decimal string exactly (Intl.NumberFormat v3).
  return format.format(`${negative ? '-' : ''}${decimal}` as unknown as number);
}

/** Money per currency as one cell: `$1,234.56 / ¥1,500`, currencies in code order; `-` when none. */
export function formatMoneyByCurrency(money: Readonly<Record<string, bigint>>): string {
  const currencies = Object.keys(money).sort();
  if (currencies.length === 0) return '-';
  return currencies.map((currency) => formatMoney(money[currency] as bigint, currency)).join(' / ');
}

function table(headers: string[], rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        rightAligned.has(i) ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].map((l) => `  ${l}`);
}

/** The report as plain text for the terminal. */
export function formatReport(report: DemoReport): string {
  const lines: string[] = [];
  lines.push(
    `Top ${report.topSellers.length} sellers by products (of ${report.sellerCount}), stock value per currency:`,
  );
  lines.push(
    ...table(
      ['seller', 'products', 'active', 'deleted', 'low stock', 'value'],
      report.topSellers.map(({ sellerId, values }) => [
        sellerId,
        String(values.totalProducts),
        String(values.activeProducts),
        String(values.deletedProducts),
        String(values.lowStockCount),
        formatMoneyByCurrency(values.totalValue),
      ]),
      new Set([1, 2, 3, 4]),
    ),
  );
  lines.push('', `Categories (${report.categories.length}), money per currency:`);
  lines.push(
    ...table(
      ['category', 'products', 'average price', 'value'],
      report.categories.map(({ category, values }) => [
        category,
        String(values.productCount),
        formatMoneyByCurrency(values.averagePrice),
        formatMoneyByCurrency(values.totalValue),
      ]),
      new Set([1]),
    ),
  );
  lines.push('', `Low-stock products (${report.lowStock.length} of ${report.lowStockTotal}):`);
  lines.push(
    ...table(
      ['product', 'seller', 'category', 'quantity'],
      report.lowStock.map((entry) => [
        entry.productId,
        entry.sellerId,
        entry.category,
        String(entry.quantity),
      ]),
      new Set([3]),
    ),
  );
  return lines.join('\n');
}

/** `JSON.stringify` with bigints as decimal strings (the wire format of the libraries). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
