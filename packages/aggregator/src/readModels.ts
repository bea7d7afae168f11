import { AggregatorError } from './errors.js';
import type { CategoryMetrics, CategoryMetricValues, SellerMetricValues } from './types.js';

/**
 * Average price in whole cents: `priceSumCents / productCount` rounded half up (toward positive
 * infinity on a tie), in exact `bigint` arithmetic.
 *
 * @returns The average, or `null` when `productCount` is `0` (an empty category has no average).
 * @throws {AggregatorError} code `INVALID_ARGUMENT` when `productCount` is negative or not a safe integer.
 * @example
 * ```ts
 * averagePriceCents(1001n, 2); // 501n (500.5 rounds up)
 * averagePriceCents(0n, 0);    // null
 * ```
 */
export function averagePriceCents(priceSumCents: bigint, productCount: number): bigint | null {
  if (!Number.isSafeInteger(productCount) || productCount < 0) {
    throw new AggregatorError(
      'INVALID_ARGUMENT',
      `productCount must be a non-negative safe integer, got ${String(productCount)}`,
    );
  }
  if (productCount === 0) return null;
  // floor(sum / count + 1/2) = floor((2 * sum + count) / (2 * count)); bigint division
  // truncates toward zero, so step down once for a negative inexact quotient.
  const numerator = 2n * priceSumCents + BigInt(productCount);
  const denominator = 2n * BigInt(productCount);
  const quotient = numerator / denominator;
  return numerator < 0n && quotient * denominator !== numerator ? quotient - 1n : quotient;
}

/**
 * Sums partial seller metrics, e.g. the per-group partial rows of one seller, into the seller's
 * metrics. An empty input sums to all zeros.
 * @example
 * ```ts
 * const seller = sumSellerPartials(rowsOfSeller.map((row) => row.values));
 * ```
 */
export function sumSellerPartials(parts: Iterable<SellerMetricValues>): SellerMetricValues {
  const sum: SellerMetricValues = {
    totalProducts: 0,
    activeProducts: 0,
    deletedProducts: 0,
    totalValueCents: 0n,
    lowStockCount: 0,
  };
  for (const part of parts) {
    sum.totalProducts += part.totalProducts;
    sum.activeProducts += part.activeProducts;
    sum.deletedProducts += part.deletedProducts;
    sum.totalValueCents += part.totalValueCents;
    sum.lowStockCount += part.lowStockCount;
  }
  return sum;
}

/**
 * Sums partial category metrics (e.g. the per-group rows of one category) and derives
 * `averagePriceCents` from the sums with {@link averagePriceCents} (averages are never summed).
 * An empty input gives zeros and a `null` average.
 * @example
 * ```ts
 * const books = sumCategoryPartials(rowsOfBooks.map((row) => row.values));
 * books.averagePriceCents; // bigint | null
 * ```
 */
export function sumCategoryPartials(parts: Iterable<CategoryMetricValues>): CategoryMetrics {
  let productCount = 0;
  let totalValueCents = 0n;
  let priceSumCents = 0n;
  for (const part of parts) {
    productCount += part.productCount;
    totalValueCents += part.totalValueCents;
    priceSumCents += part.priceSumCents;
  }
  return {
    productCount,
    totalValueCents,
    priceSumCents,
    averagePriceCents: averagePriceCents(priceSumCents, productCount),
  };
}
