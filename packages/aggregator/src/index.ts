/**
 * `@marketplace/analytics-aggregator`: pure, exact aggregation of product events into seller,
 * category and low-stock metrics, money per ISO 4217 currency. No I/O.
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
  AggregatorOptionsError,
  DecodeError,
} from './errors.js';
export {
  decodeMetricChange,
  encodeMetricChange,
  foldMetricChanges,
  METRIC_CHANGE_FORMAT,
  metricChangeKey,
} from './metricChanges.js';
export { PartialAggregates } from './PartialAggregates.js';
export {
  decodeProductState,
  encodeProductState,
  encodeProductStateJson,
  PRODUCT_STATE_FORMAT,
} from './productStateCodec.js';
export { averagePrice, averagePrices, sumCategoryPartials, sumSellerPartials } from './readModels.js';
export type {
  CategoryMetricChange,
  CategoryMetrics,
  CategoryMetricValues,
  CountByCurrency,
  LowStockEntry,
  LowStockMetricChange,
  MetricChange,
  MetricChangeRecord,
  MetricEntity,
  MoneyByCurrency,
  ProductState,
  ProductStatus,
  SellerMetricChange,
  SellerMetricValues,
  SourcePosition,
} from './types.js';
