import type { ProductState } from '@marketplace/analytics-aggregator';
import type { ReduceResult, ReducerPool } from '@marketplace/worker-pool';
import type { KafkaMessage } from 'kafkajs';
import { toRawMessage } from './toRawMessage.js';

/** The reduce result of a batch with no record to apply here. */
const NOTHING_REDUCED: ReduceResult = Object.freeze({
  states: [],
  invalid: [],
  counts: {
    applied: 0,
    duplicate: 0,
    stale: 0,
    invalid: 0,
    byType: { 'product.created': 0, 'product.updated': 0, 'product.deleted': 0 },
  },
  maxOccurredAt: null,
});

/** One batch of a group to reduce on the worker threads. */
export interface PoolBatch {
  readonly topic: string;
  readonly partition: number;
  /** The records this group applies (routed here), in offset order. */
  readonly messages: readonly KafkaMessage[];
  /** `maxFutureSkewMs` of the processor, when set. */
  readonly maxFutureSkewMs: number | undefined;
}

/**
 * Parses, validates and reduces a batch on the reducer pool (worker threads, or inline for small
 * batches) against the group's states of the batch's keys only. A batch with nothing to apply
 * here skips the round trip. Rejects as the pool does (e.g. `WorkerPoolError` `WORKER_CRASHED`
 * when the thread died, retryable): the caller drops the group's state and retries the batch.
 */
export function reduceOnPool(
  pool: ReducerPool,
  states: ReadonlyMap<string, ProductState>,
  batch: PoolBatch,
): Promise<ReduceResult> {
  if (batch.messages.length === 0) return Promise.resolve(NOTHING_REDUCED);
  const priorStates = new Map<string, ProductState>();
  for (const message of batch.messages) {
    const key = message.key?.toString('utf8');
    const prior = key === undefined ? undefined : states.get(key);
    if (prior) priorStates.set(prior.productId, prior);
  }
  return pool.reduce({
    topic: batch.topic,
    partition: batch.partition,
    messages: batch.messages.map(toRawMessage),
    priorStates,
    ...(batch.maxFutureSkewMs === undefined ? {} : { maxFutureSkewMs: batch.maxFutureSkewMs }),
  });
}
