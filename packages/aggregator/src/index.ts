/**
 * `@marketplace/analytics-aggregator`: pure, exact aggregation of product events into seller,
 * category and low-stock metrics. No I/O.
 */
export { type ApplyResult, applyEvent, isLowStock, replayToStates } from './applyEvent.js';
export { computeMetrics, type MetricsSnapshot } from './computeMetrics.js';
export {
  type AggregatorOptions,
  DEFAULT_AGGREGATOR_OPTIONS,
  DEFAULT_LOW_STOCK_THRESHOLD,
} from './defaults.js';
export {
  AGGREGATOR_ERROR_CODES,
  AggregatorError,
  type AggregatorErrorCode,
  DecodeError,
  InvalidAggregatorOptionError,
} from './errors.js';
export {
  decodeMetricChange,
  encodeMetricChange,
  foldMetricChanges,
  metricChangeKey,
} from './metricChanges.js';
export { PartialAggregates } from './PartialAggregates.js';
export { decodeProductState, encodeProductState } from './productStateCodec.js';
export { averagePriceCents, sumCategoryPartials, sumSellerPartials } from './readModels.js';
export type {
  CategoryMetricChange,
  CategoryMetrics,
  CategoryMetricValues,
  LowStockEntry,
  LowStockMetricChange,
  MetricChange,
  MetricChangeRecord,
  MetricEntity,
  ProductState,
  ProductStatus,
  SellerMetricChange,
  SellerMetricValues,
  SourcePosition,
} from './types.js';
