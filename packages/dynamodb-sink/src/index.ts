export type { Logger } from '@marketplace/options';
export type { RetryInfo } from './callDynamoDb.js';
export {
  DynamoDbMetricsSink,
  type DynamoDbMetricsSinkOptions,
  type DynamoDbSinkMetricsHooks,
  type WriteResult,
} from './DynamoDbMetricsSink.js';
export {
  DEFAULT_DYNAMODB_SINK_OPTIONS,
  DEFAULT_ENSURE_TABLE_OPTIONS,
  DEFAULT_METRICS_READER_OPTIONS,
  DEFAULT_TABLE_NAME,
  TTL_ATTRIBUTE,
} from './defaults.js';
export {
  DYNAMO_SINK_ERROR_CODES,
  DynamoDbSinkOptionsError,
  DynamoRequestError,
  DynamoSinkError,
  type DynamoSinkErrorCode,
  InvalidArgumentError,
  InvalidItemError,
  InvalidRecordError,
  UnsupportedRowFormatError,
} from './errors.js';
export type { HistoryEntry } from './history.js';
export { EPOCH_ATTRIBUTE, READABLE_ROW_FORMATS, ROW_FORMAT, ROW_FORMAT_ATTRIBUTE } from './items.js';
export {
  type CategoryHistoryEntry,
  MetricsReader,
  type MetricsReaderOptions,
  type SellerHistoryEntry,
} from './MetricsReader.js';
export {
  type EnsureMetricsTableOptions,
  type EnsureMetricsTableResult,
  ensureMetricsTable,
  metricsTableDefinition,
} from './metricsTable.js';
