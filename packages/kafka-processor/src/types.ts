import type { ProductEventType } from '@marketplace/product-events';
import type { DeadLetterCode } from './deadLetters.js';

/** What the aggregate stage reports after every committed batch. */
export interface BatchMetrics {
  group: number;
  topic: string;
  partition: number;
  /** Offset of the first message processed (messages below the group's committed position are skipped first). */
  firstOffset: string;
  /** Last offset of the batch (committed as `lastOffset + 1`). */
  lastOffset: string;
  /** Messages reduced. */
  messages: number;
  /** Events applied per type. */
  eventsByType: Record<ProductEventType, number>;
  applied: number;
  /** Events ignored because their version equals the stored one. */
  duplicate: number;
  /** Events ignored because their version is older than the stored one. */
  stale: number;
  /** Invalid messages sent to the dead-letter topic. */
  invalid: number;
  /** Invalid messages by parse error code (codes without any are absent); sums to `invalid`. */
  invalidByCode: Partial<Record<DeadLetterCode, number>>;
  /** Product states written to the changelog. */
  changedStates: number;
  /** Metric changes produced. */
  metricChanges: number;
  /** Low-stock alerts produced. */
  alerts: number;
  /** Wall time from batch start to commit, in ms. */
  durationMs: number;
  /** Transaction attempts it took (1 = first try). */
  attempts: number;
  /** Messages between the end of this batch and the partition's high watermark. */
  lag: number;
}

/** Metrics hooks of the aggregate stage; every hook is optional and must not throw. */
export interface ProcessorMetricsHooks {
  /** A batch was committed. */
  onBatch?(metrics: BatchMetrics): void;
  /**
   * A batch was skipped: the consumer is stopping, the batch is stale after a seek, its messages
   * were committed before (redelivery), or the group is paused after this member was fenced.
   */
  onSkippedBatch?(info: {
    group: number;
    topic: string;
    partition: number;
    reason: 'not-running' | 'stale' | 'already-committed' | 'fenced';
    messages: number;
  }): void;
  /**
   * A batch failed for good in this delivery: its retries ran out, or the error is permanent
   * (then `onFatal` follows). Nothing of it was committed; kafkajs redelivers it.
   */
  onBatchFailed?(info: {
    group: number;
    topic: string;
    partition: number;
    attempts: number;
    durationMs: number;
    permanent: boolean;
    error: unknown;
  }): void;
  /** A batch transaction failed and will be retried (after abort). */
  onTransactionRetry?(info: { group: number; attempt: number; error: unknown }): void;
  /** Group states were restored from the changelog. */
  onRestore?(info: { groups: readonly number[]; states: number; records: number; durationMs: number }): void;
  /** This member's producer for a group was fenced by a newer owner. */
  onFenced?(info: { group: number; transactionalId: string }): void;
  /**
   * Records of a committed batch were forwarded to the reroute topic because another group owns
   * their key (their producer uses another partitioner); `topic` is the input topic.
   */
  onRerouted?(info: { group: number; topic: string; partition: number; records: number }): void;
  /** The member's assignment changed (after each rebalance). */
  onAssignment?(info: { groups: readonly number[] }): void;
}

/** Metrics hooks of the stage-2 consumer loop; every hook is optional and must not throw. */
export interface MetricChangeConsumerMetricsHooks {
  /** A batch was handled and its offsets committed. */
  onBatch?(info: {
    topic: string;
    partition: number;
    records: number;
    durationMs: number;
    lag: number;
  }): void;
  /** `handleBatch` failed and will be retried. */
  onRetry?(info: { topic: string; partition: number; attempt: number; error: unknown }): void;
  /**
   * A record could not be decoded and was skipped (also logged at warn with topic, partition,
   * offset and size). Map it to a counter: nothing else records the loss.
   */
  onInvalidRecord?(info: { topic: string; partition: number; offset: string; error: unknown }): void;
}
