/** Default name of the metrics table (docs/architecture.md#dynamodb-layout). */
export const DEFAULT_TABLE_NAME = 'analytics-metrics';

/** Name of the TTL attribute of history rows and low-stock tombstones. */
export const TTL_ATTRIBUTE = 'ttl';

/** Defaults of {@link DynamoDbMetricsSink}. */
export const DEFAULT_DYNAMODB_SINK_OPTIONS: Readonly<{
  tableName: 'analytics-metrics';
  historyTtlDays: 30;
  concurrency: 16;
}> = Object.freeze({ tableName: DEFAULT_TABLE_NAME, historyTtlDays: 30, concurrency: 16 });

/** Defaults of {@link MetricsReader}. */
export const DEFAULT_METRICS_READER_OPTIONS: Readonly<{
  tableName: 'analytics-metrics';
  consistentRead: false;
}> = Object.freeze({ tableName: DEFAULT_TABLE_NAME, consistentRead: false });

/** Defaults of {@link ensureMetricsTable}. */
export const DEFAULT_ENSURE_TABLE_OPTIONS: Readonly<{
  tableName: 'analytics-metrics';
  waitTimeoutMs: 60_000;
  pollIntervalMs: 250;
}> = Object.freeze({ tableName: DEFAULT_TABLE_NAME, waitTimeoutMs: 60_000, pollIntervalMs: 250 });
