import { DEFAULT_AGGREGATOR_OPTIONS } from '@marketplace/analytics-aggregator';
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
  compression: 'none';
  maxDeadLetterBytes: 262_144;
  maxFutureSkewMs: 86_400_000;
  createTopics: true;
  replicationFactor: -1;
  lowStockThreshold: typeof DEFAULT_AGGREGATOR_OPTIONS.lowStockThreshold;
  shutdownTimeoutMs: 10_000;
  partitionsConsumedConcurrently: 6;
  restoreTimeoutMs: 120_000;
  transactionTimeoutMs: 60_000;
  fencedBackoffMs: 5_000;
  maxRequestBytes: 524_288;
  consumer: Readonly<Required<ProcessorConsumerOptions>>;
}> = Object.freeze({
  partitioner: 'murmur2',
  compression: 'none',
  maxDeadLetterBytes: 262_144,
  maxFutureSkewMs: 86_400_000,
  createTopics: true,
  // -1: the broker's default.replication.factor, for the topics the processor creates.
  replicationFactor: -1,
  // The aggregator's default: stage 1 and the pure aggregator agree on what "low stock" means.
  lowStockThreshold: DEFAULT_AGGREGATOR_OPTIONS.lowStockThreshold,
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

/**
 * Header names of dead letters. Every dead letter has the source position, the error and its
 * form; the others depend on the form (see the package README).
 */
export const DEAD_LETTER_HEADERS: Readonly<{
  sourceTopic: 'dlq-source-topic';
  sourcePartition: 'dlq-source-partition';
  sourceOffset: 'dlq-source-offset';
  sourceLastOffset: 'dlq-source-last-offset';
  errorCode: 'dlq-error-code';
  errorMessage: 'dlq-error-message';
  errorPath: 'dlq-error-path';
  form: 'dlq-form';
  keyBytes: 'dlq-key-bytes';
  keySha256: 'dlq-key-sha256';
  valueBytes: 'dlq-value-bytes';
  valueSha256: 'dlq-value-sha256';
  originalHeaderCount: 'dlq-original-header-count';
  recordCount: 'dlq-record-count';
  compressedBytes: 'dlq-compressed-bytes';
  redriveCount: 'dlq-redrive-count';
}> = Object.freeze({
  /** Input topic of the record. */
  sourceTopic: 'dlq-source-topic',
  /** Input partition of the record. */
  sourcePartition: 'dlq-source-partition',
  /** Offset of the record (first offset of an undecodable batch). */
  sourceOffset: 'dlq-source-offset',
  /** Last offset of an undecodable batch. */
  sourceLastOffset: 'dlq-source-last-offset',
  /** A `DeadLetterCode`. */
  errorCode: 'dlq-error-code',
  /** What is wrong (at most 512 characters). */
  errorMessage: 'dlq-error-message',
  /** JSON pointer of the offending value (`''` = the whole record). */
  errorPath: 'dlq-error-path',
  /** `full`, `truncated` or `reference` (a `DeadLetterForm`). */
  form: 'dlq-form',
  /** Size of the original key in bytes (truncated and reference forms). */
  keyBytes: 'dlq-key-bytes',
  /** SHA-256 (hex) of the original key (truncated and reference forms). */
  keySha256: 'dlq-key-sha256',
  /** Size of the original value in bytes (truncated and reference forms). */
  valueBytes: 'dlq-value-bytes',
  /** SHA-256 (hex) of the original value (truncated and reference forms). */
  valueSha256: 'dlq-value-sha256',
  /** Number of original header names that a truncated dead letter left out. */
  originalHeaderCount: 'dlq-original-header-count',
  /** Records an undecodable batch declares. */
  recordCount: 'dlq-record-count',
  /** Compressed size of an undecodable batch in bytes. */
  compressedBytes: 'dlq-compressed-bytes',
  // How often the record was redriven before it failed again (`x-redrive-count` of the input, else 0).
  redriveCount: 'dlq-redrive-count',
});

/**
 * Header a dead-letter redrive sets on the records it sends back to their source topic: how often
 * the record has been redriven (1 on the first redrive). Stage 1 copies it into
 * `dlq-redrive-count` when the record is dead-lettered again.
 */
export const REDRIVE_COUNT_HEADER = 'x-redrive-count';
