import { type AggregatorOptions, resolveAggregatorOptions } from './defaults.js';
import { sortedRecord, withAverages } from './readModels.js';
import type {
  CategoryMetrics,
  CategoryMetricValues,
  LowStockEntry,
  ProductState,
  SellerMetricValues,
} from './types.js';

/**
 * Metrics of a set of product states: every seller, every category and every low-stock product.
 * Returned by {@link computeMetrics}, `foldMetricChanges` and `PartialAggregates.snapshot`.
 */
export interface MetricsSnapshot {
  /** By seller id. */
  sellers: Map<string, SellerMetricValues>;
  /** By category, with `averagePrice` derived per currency. */
  categories: Map<string, CategoryMetrics>;
  /** Low-stock entries by product id. */
  lowStock: Map<string, LowStockEntry>;
}

/**
 * The oracle: computes every metric of docs/architecture.md#metrics from scratch, straight from the
 * definitions, with `bigint` arithmetic throughout, money per currency. Deliberately naive (no caching, no fast
 * paths) so that it can serve as the reference every incremental layer is tested against.
 *
 * A seller appears when it owns at least one product (deleted ones included); a category when it
 * holds at least one product not deleted.
 *
 * @param states The latest state of each product (one state per product).
 * @param options `lowStockThreshold` (@default 10).
 * @throws {AggregatorOptionsError} code `INVALID_OPTIONS` when `lowStockThreshold` is invalid.
 * @example
 * ```ts
 * const { sellers, categories, lowStock } = computeMetrics(replayToStates(events).values());
 * ```
 */
export function computeMetrics(states: Iterable<ProductState>, options?: AggregatorOptions): MetricsSnapshot {
  const { lowStockThreshold } = resolveAggregatorOptions(options);
  const sellers = new Map<string, SellerMetricValues>();
  const categoryValues = new Map<string, CategoryMetricValues>();
  const lowStock = new Map<string, LowStockEntry>();

  for (const state of states) {
    let seller = sellers.get(state.sellerId);
    if (seller === undefined) {
      seller = { totalProducts: 0, activeProducts: 0, deletedProducts: 0, lowStockCount: 0, totalValue: {} };
      sellers.set(state.sellerId, seller);
    }
    seller.totalProducts += 1;
    if (state.deleted) {
      seller.deletedProducts += 1;
      continue;
    }
    const currency = state.currency;
    const value = BigInt(state.priceCents) * BigInt(state.quantity);
    if (state.status === 'active') seller.activeProducts += 1;
    seller.totalValue[currency] = (seller.totalValue[currency] ?? 0n) + value;
    if (state.quantity < lowStockThreshold) {
      seller.lowStockCount += 1;
      lowStock.set(state.productId, {
        productId: state.productId,
        sellerId: state.sellerId,
        category: state.category,
        quantity: state.quantity,
      });
    }

    let category = categoryValues.get(state.category);
    if (category === undefined) {
      category = { productCount: 0, pricedCount: {}, totalValue: {}, priceSum: {} };
      categoryValues.set(state.category, category);
    }
    category.productCount += 1;
    category.pricedCount[currency] = (category.pricedCount[currency] ?? 0) + 1;
    category.totalValue[currency] = (category.totalValue[currency] ?? 0n) + value;
    category.priceSum[currency] = (category.priceSum[currency] ?? 0n) + BigInt(state.priceCents);
  }

  for (const seller of sellers.values()) seller.totalValue = sortedRecord(Object.entries(seller.totalValue));
  const categories = new Map<string, CategoryMetrics>();
  for (const [id, values] of categoryValues) {
    categories.set(
      id,
      withAverages({
        productCount: values.productCount,
        pricedCount: sortedRecord(Object.entries(values.pricedCount)),
        totalValue: sortedRecord(Object.entries(values.totalValue)),
        priceSum: sortedRecord(Object.entries(values.priceSum)),
      }),
    );
  }
  return { sellers, categories, lowStock };
}
