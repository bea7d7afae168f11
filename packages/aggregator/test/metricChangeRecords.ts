/**
 * Test fixtures: metric-change records as stage 1 produces them, for the tests of the sinks
 * (imported by relative path; not part of the published package).
 */
import type {
  CategoryMetricValues,
  LowStockEntry,
  MetricChangeRecord,
  SellerMetricValues,
} from '../src/types.js';

/** Source topic used by the fixtures. */
export const TOPIC = 'analytics.metric-changes';

/** Seller values with zero defaults. */
export function sellerValues(values: Partial<SellerMetricValues> = {}): SellerMetricValues {
  return {
    totalProducts: 0,
    activeProducts: 0,
    deletedProducts: 0,
    lowStockCount: 0,
    totalValue: {},
    ...values,
  };
}

/** Category values with zero defaults (no currencies). */
export function categoryValues(values: Partial<CategoryMetricValues> = {}): CategoryMetricValues {
  return { productCount: 0, pricedCount: {}, totalValue: {}, priceSum: {}, ...values };
}

/**
 * Category values of `products` priced in the given currencies: per currency, how many products,
 * their total value and their price sum; `productCount` is the sum of the counts.
 * @example
 * ```ts
 * categoryOf({ USD: [2, 500n, 300n], JPY: [1, 1500n, 1500n] });
 * ```
 */
export function categoryOf(
  byCurrency: Record<string, [count: number, value: bigint, priceSum: bigint]>,
): CategoryMetricValues {
  const values = categoryValues();
  for (const currency of Object.keys(byCurrency).sort()) {
    const [count, value, priceSum] = byCurrency[currency] as [number, bigint, bigint];
    values.productCount += count;
    values.pricedCount[currency] = count;
    values.totalValue[currency] = value;
    values.priceSum[currency] = priceSum;
  }
  return values;
}

interface Common {
  group?: number;
  eventTime?: string;
  offset: number | string;
  partition?: number;
  /** Pipeline epoch of the record; absent when not given (read as 0). */
  epoch?: number;
}

function source(common: Common): MetricChangeRecord['source'] {
  return {
    topic: TOPIC,
    partition: common.partition ?? common.group ?? 0,
    offset: String(common.offset),
    ...(common.epoch === undefined ? {} : { epoch: common.epoch }),
  };
}

/** A seller metric-change record. */
export function sellerRecord(
  id: string,
  values: Partial<SellerMetricValues>,
  common: Common,
): MetricChangeRecord {
  return {
    entity: 'seller',
    id,
    group: common.group ?? 0,
    eventTime: common.eventTime ?? '2026-11-25T17:05:00.000Z',
    values: sellerValues(values),
    source: source(common),
  };
}

/** A category metric-change record. */
export function categoryRecord(
  id: string,
  values: Partial<CategoryMetricValues>,
  common: Common,
): MetricChangeRecord {
  return {
    entity: 'category',
    id,
    group: common.group ?? 0,
    eventTime: common.eventTime ?? '2026-11-25T17:05:00.000Z',
    values: categoryValues(values),
    source: source(common),
  };
}

/** A low-stock record: entry appearing/changing (`entry`) or leaving (`null`). */
export function lowStockRecord(
  sellerId: string,
  productId: string,
  entry: Omit<LowStockEntry, 'productId' | 'sellerId'> | null,
  common: Common,
): MetricChangeRecord {
  return {
    entity: 'lowStock',
    id: productId,
    sellerId,
    group: common.group ?? 0,
    eventTime: common.eventTime ?? '2026-11-25T17:05:00.000Z',
    values: entry === null ? null : { productId, sellerId, ...entry },
    source: source(common),
  };
}
