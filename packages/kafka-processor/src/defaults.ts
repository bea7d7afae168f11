/** Names of the topics stage 1 writes (docs/architecture.md#topic-contracts). */
export interface InternalTopics {
  /** Compacted changelog of the latest product state, key productId; partition g holds group g. */
  productState: string;
  /** Compacted stream of absolute partial metrics, key `metricChangeKey`; partition g holds group g. */
  metricChanges: string;
  /** Invalid input with its original bytes and `dlq-*` headers. */
  deadLetter: string;
  /** Alerts when a product crosses below the low-stock threshold, key productId. */
  lowStockAlerts: string;
  /**
   * Input records that arrived on a partition other than their key's owner, forwarded to the
   * owner's partition (original key, value and headers plus `reroute-source-*` headers); partition
   * g is consumed by group g together with its inputs.
   */
  reroute: string;
}

/** Default internal topic names. */
export const DEFAULT_INTERNAL_TOPICS: Readonly<{
  productState: 'analytics.product-state';
  metricChanges: 'analytics.metric-changes';
  deadLetter: 'analytics.dead-letter';
  lowStockAlerts: 'inventory.low-stock';
  reroute: 'analytics.reroute';
}> = Object.freeze({
  productState: 'analytics.product-state',
  metricChanges: 'analytics.metric-changes',
  deadLetter: 'analytics.dead-letter',
  lowStockAlerts: 'inventory.low-stock',
  reroute: 'analytics.reroute',
});

/** Internal topics that must be log-compacted. */
export const COMPACTED_INTERNAL_TOPICS: readonly (keyof InternalTopics)[] = Object.freeze([
  'productState',
  'metricChanges',
]);

/** Internal topics whose partition count must equal the input partition count (partition g = group g). */
export const EXACT_PARTITION_INTERNAL_TOPICS: readonly (keyof InternalTopics)[] = Object.freeze([
  'productState',
  'metricChanges',
  'reroute',
]);

/**
 * Topic configuration the reroute topic is created with: plain deletion, and a week's retention,
 * long enough for an owner group that is down over a weekend to still find its records (they are
 * normally consumed within a batch or two of being written).
 */
export const REROUTE_TOPIC_CONFIG: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'delete',
  'retention.ms': String(7 * 24 * 60 * 60 * 1000),
});

/** Consumer settings of the aggregate stage that callers may tune. */
export interface ProcessorConsumerOptions {
  /** @default 30000 */
  sessionTimeout?: number;
  /** @default 3000 */
  heartbeatInterval?: number;
  /** @default 60000 */
  rebalanceTimeout?: number;
  /** @default 4194304 for `AggregateProcessor`, 1048576 for `MetricChangeConsumer` */
  maxBytesPerPartition?: number;
  /** @default 1000 */
  maxWaitTimeInMs?: number;
}

/** Defaults of `AggregateProcessor` options. */
export const DEFAULT_PROCESSOR_OPTIONS: Readonly<{
  partitioner: 'murmur2';
  createTopics: true;
  shutdownTimeoutMs: 10_000;
  partitionsConsumedConcurrently: 6;
  restoreTimeoutMs: 120_000;
  transactionTimeoutMs: 60_000;
  fencedBackoffMs: 5_000;
  maxRequestBytes: 524_288;
  consumer: Readonly<Required<ProcessorConsumerOptions>>;
}> = Object.freeze({
  partitioner: 'murmur2',
  createTopics: true,
  shutdownTimeoutMs: 10_000,
  partitionsConsumedConcurrently: 6,
  restoreTimeoutMs: 120_000,
  transactionTimeoutMs: 60_000,
  fencedBackoffMs: 5_000,
  maxRequestBytes: 524_288,
  consumer: Object.freeze({
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    rebalanceTimeout: 60_000,
    // Larger batches mean fewer transactions (a third on the bench) and fewer output records: a
    // product or metric changed several times within a batch is written once. Measured on the
    // bench's 300k-event stream: processing phase 4.8 s -> 3.9 s against 1 MiB.
    maxBytesPerPartition: 4_194_304,
    maxWaitTimeInMs: 1_000,
  }),
});

/** Defaults of `MetricChangeConsumer` options. */
export const DEFAULT_METRIC_CHANGE_CONSUMER_OPTIONS: Readonly<{
  shutdownTimeoutMs: 10_000;
  partitionsConsumedConcurrently: 3;
  consumer: Readonly<Required<ProcessorConsumerOptions>>;
}> = Object.freeze({
  shutdownTimeoutMs: 10_000,
  partitionsConsumedConcurrently: 3,
  consumer: Object.freeze({ ...DEFAULT_PROCESSOR_OPTIONS.consumer, maxBytesPerPartition: 1_048_576 }),
});

/** Header names added to every dead letter. */
export const DEAD_LETTER_HEADERS: Readonly<{
  sourceTopic: 'dlq-source-topic';
  sourcePartition: 'dlq-source-partition';
  sourceOffset: 'dlq-source-offset';
  errorCode: 'dlq-error-code';
  errorMessage: 'dlq-error-message';
  errorPath: 'dlq-error-path';
}> = Object.freeze({
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  errorCode: 'dlq-error-code',
  errorMessage: 'dlq-error-message',
  errorPath: 'dlq-error-path',
});
