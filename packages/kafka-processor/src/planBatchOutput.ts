import {
  encodeMetricChange,
  encodeProductState,
  isLowStock,
  type MetricChange,
  metricChangeKey,
  type ProductState,
} from '@marketplace/analytics-aggregator';
import type { Message } from 'kafkajs';
import type { InternalTopics } from './defaults.js';
import { lowStockAlertMessage } from './lowStockAlertMessage.js';
import { EPOCH_HEADER } from './pipelineEpoch.js';

/** A product state a batch changed, with the state it replaced (`undefined`: new to the group). */
export interface StateChange {
  readonly previous: ProductState | undefined;
  readonly next: ProductState;
}

/** What one batch of a group produced, and where it was consumed from. */
export interface BatchOutputInput {
  /** The group (input partition index): every output record goes to this partition. */
  readonly group: number;
  /** Pipeline epoch of the group, stamped on every metric change (header `analytics-epoch`). */
  readonly epoch: number;
  /** Output topic names. */
  readonly topics: InternalTopics;
  /** Products with fewer units than this (not deleted) are low on stock. */
  readonly lowStockThreshold: number;
  /** The changed product states in the order the reduce returned them. */
  readonly stateChanges: readonly StateChange[];
  /** The absolute values of every partial metric row the batch changed (`PartialAggregates.takeChanges`). */
  readonly metricChanges: readonly MetricChange[];
  /** Dead letters of the batch, ready to send (partition set). */
  readonly deadLetters: readonly Message[];
  /** Records forwarded to their owner's partition of the reroute topic (partition set). */
  readonly reroutes: readonly Message[];
  /** The consumed batch: its topic, partition and last offset (decimal string). */
  readonly consumed: { readonly topic: string; readonly partition: number; readonly lastOffset: string };
}

/** The records of one output topic, each naming its partition. */
export interface PlannedOutput {
  readonly topic: string;
  readonly messages: Message[];
}

/** The consumed position a transaction commits through `sendOffsets`: the next offset to read. */
export interface PlannedOffset {
  readonly topic: string;
  readonly partition: number;
  /** `lastOffset + 1`, decimal string. */
  readonly offset: string;
}

/** Everything one transaction of a batch sends and commits. */
export interface BatchOutputPlan {
  /**
   * Records per output topic, always in this order: changelog, metric changes, dead letters,
   * low-stock alerts, reroutes (a topic with nothing to send has an empty list).
   */
  readonly outputs: readonly PlannedOutput[];
  /** The input offset committed with the outputs. */
  readonly offset: PlannedOffset;
  /** Changelog records (one per changed state). */
  readonly changedStates: number;
  /** Metric-change records. */
  readonly metricChanges: number;
  /** Low-stock alerts. */
  readonly alerts: number;
}

/**
 * Plans the output of one batch of a group, as data (no Kafka client): a changelog record per
 * changed state; a low-stock alert for each product that is low after the batch and was not low
 * (or unknown) before it; the metric changes stamped with the group's epoch; the dead letters and
 * reroutes as given; every record to partition `group`; and the consumed offset to commit
 * (`lastOffset + 1`).
 *
 * @example
 * ```ts
 * const plan = planBatchOutput({ group: 0, epoch: 0, topics, lowStockThreshold: 10,
 *   stateChanges, metricChanges, deadLetters: [], reroutes: [],
 *   consumed: { topic: 'product.created', partition: 0, lastOffset: '41' } });
 * plan.offset; // { topic: 'product.created', partition: 0, offset: '42' }
 * ```
 */
export function planBatchOutput(input: BatchOutputInput): BatchOutputPlan {
  const { group, topics, lowStockThreshold, consumed } = input;
  const stateRecords: Message[] = [];
  const alerts: Message[] = [];
  for (const { previous, next } of input.stateChanges) {
    stateRecords.push({ key: next.productId, value: encodeProductState(next), partition: group });
    const wasLow = previous !== undefined && isLowStock(previous, lowStockThreshold);
    if (!wasLow && isLowStock(next, lowStockThreshold)) {
      alerts.push(lowStockAlertMessage(next, lowStockThreshold, group));
    }
  }
  const changeRecords = metricChangeRecords(input.metricChanges, group, input.epoch);
  return {
    outputs: [
      { topic: topics.productState, messages: stateRecords },
      { topic: topics.metricChanges, messages: changeRecords },
      { topic: topics.deadLetter, messages: [...input.deadLetters] },
      { topic: topics.lowStockAlerts, messages: alerts },
      { topic: topics.reroute, messages: [...input.reroutes] },
    ],
    offset: {
      topic: consumed.topic,
      partition: consumed.partition,
      offset: (BigInt(consumed.lastOffset) + 1n).toString(),
    },
    changedStates: stateRecords.length,
    metricChanges: changeRecords.length,
    alerts: alerts.length,
  };
}

/**
 * The records of metric changes on `analytics.metric-changes`: key `metricChangeKey`, JSON value,
 * partition `group`, header `analytics-epoch` = `epoch`.
 */
export function metricChangeRecords(
  changes: readonly MetricChange[],
  group: number,
  epoch: number,
): Message[] {
  const headers = { [EPOCH_HEADER]: String(epoch) };
  return changes.map((change) => ({
    key: metricChangeKey(change),
    value: encodeMetricChange(change),
    partition: group,
    headers,
  }));
}
