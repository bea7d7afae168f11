import { AggregatorError } from './errors.js';
import type {
  CategoryMetrics,
  CategoryMetricValues,
  CountByCurrency,
  MoneyByCurrency,
  SellerMetricValues,
} from './types.js';

/**
 * Average price in whole minor units: `priceSum / count` rounded half up (toward positive
 * infinity on a tie), in exact `bigint` arithmetic. One currency at a time.
 *
 * @returns The average, or `null` when `count` is `0` (nothing to average).
 * @throws {AggregatorError} code `INVALID_ARGUMENT` when `count` is negative or not a safe integer.
 * @example
 * ```ts
 * averagePrice(1001n, 2); // 501n (500.5 rounds up)
 * averagePrice(0n, 0);    // null
 * ```
 */
export function averagePrice(priceSum: bigint, count: number): bigint | null {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new AggregatorError(
      'INVALID_ARGUMENT',
      `count must be a non-negative safe integer, got ${String(count)}`,
    );
  }
  if (count === 0) return null;
  // floor(sum / count + 1/2) = floor((2 * sum + count) / (2 * count)); bigint division
  // truncates toward zero, so step down once for a negative inexact quotient.
  const numerator = 2n * priceSum + BigInt(count);
  const denominator = 2n * BigInt(count);
  const quotient = numerator / denominator;
  return numerator < 0n && quotient * denominator !== numerator ? quotient - 1n : quotient;
}

/**
 * Average price per currency: {@link averagePrice} of `priceSum[c] / pricedCount[c]` for every
 * currency `c` of `pricedCount` whose count is not zero (a missing sum counts as `0n`), keys in
 * ascending order.
 * @throws {AggregatorError} code `INVALID_ARGUMENT` when a count is negative or not a safe integer.
 * @example
 * ```ts
 * averagePrices({ JPY: 3001n, USD: 1999n }, { JPY: 2, USD: 1 }); // { JPY: 1501n, USD: 1999n }
 * ```
 */
export function averagePrices(priceSum: MoneyByCurrency, pricedCount: CountByCurrency): MoneyByCurrency {
  const averages: MoneyByCurrency = {};
  for (const currency of Object.keys(pricedCount).sort()) {
    const average = averagePrice(priceSum[currency] ?? 0n, pricedCount[currency] as number);
    if (average !== null) averages[currency] = average;
  }
  return averages;
}

/** Adds `part` into `sum` per currency (internal). */
function addAmounts<T extends bigint | number>(sum: Map<string, T>, part: Record<string, T>): void {
  for (const currency in part) {
    const amount = part[currency] as T;
    const before = sum.get(currency);
    sum.set(currency, (before === undefined ? amount : (before as bigint) + (amount as bigint)) as T);
  }
}

/** A map as a plain object with keys in ascending order (internal). */
export function sortedRecord<T>(entries: Iterable<[string, T]>): Record<string, T> {
  const record: Record<string, T> = {};
  // Keys are unique, so no two compare equal.
  for (const [key, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
    record[key] = value;
  }
  return record;
}

/**
 * Sums partial seller metrics, e.g. the per-group partial rows of one seller, into the seller's
 * metrics: counts added, `totalValue` added per currency (the union of the parts' currencies). An
 * empty input sums to all zeros and `totalValue: {}`.
 * @example
 * ```ts
 * const seller = sumSellerPartials(rowsOfSeller.map((row) => row.values));
 * seller.totalValue; // e.g. { EUR: 45n, USD: 123n }
 * ```
 */
export function sumSellerPartials(parts: Iterable<SellerMetricValues>): SellerMetricValues {
  let totalProducts = 0;
  let activeProducts = 0;
  let deletedProducts = 0;
  let lowStockCount = 0;
  const totalValue = new Map<string, bigint>();
  for (const part of parts) {
    totalProducts += part.totalProducts;
    activeProducts += part.activeProducts;
    deletedProducts += part.deletedProducts;
    lowStockCount += part.lowStockCount;
    addAmounts(totalValue, part.totalValue);
  }
  return {
    totalProducts,
    activeProducts,
    deletedProducts,
    lowStockCount,
    totalValue: sortedRecord(totalValue),
  };
}

/**
 * Sums partial category metrics (e.g. the per-group rows of one category) per currency and
 * derives `averagePrice` per currency from the sums with {@link averagePrices} (averages are
 * never summed). An empty input gives zeros and empty maps.
 * @example
 * ```ts
 * const books = sumCategoryPartials(rowsOfBooks.map((row) => row.values));
 * books.averagePrice; // e.g. { JPY: 1500n, USD: 1999n }
 * ```
 */
export function sumCategoryPartials(parts: Iterable<CategoryMetricValues>): CategoryMetrics {
  let productCount = 0;
  const pricedCount = new Map<string, number>();
  const totalValue = new Map<string, bigint>();
  const priceSum = new Map<string, bigint>();
  for (const part of parts) {
    productCount += part.productCount;
    addAmounts(pricedCount, part.pricedCount);
    addAmounts(totalValue, part.totalValue);
    addAmounts(priceSum, part.priceSum);
  }
  return withAverages({
    productCount,
    pricedCount: sortedRecord(pricedCount),
    totalValue: sortedRecord(totalValue),
    priceSum: sortedRecord(priceSum),
  });
}

/** Category values plus their derived per-currency averages (internal). */
export function withAverages(values: CategoryMetricValues): CategoryMetrics {
  return { ...values, averagePrice: averagePrices(values.priceSum, values.pricedCount) };
}
