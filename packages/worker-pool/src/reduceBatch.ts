import type { ProductState } from '@marketplace/analytics-aggregator';
import { applyEvent } from '@marketplace/analytics-aggregator';
import { parseProductEvent } from '@marketplace/product-events';
import type { InvalidMessage, RawMessage, ReduceCounts, ReduceResult, ReduceTask } from './types.js';

/** An invalid message by its position in the batch (what crosses the thread boundary). */
export interface IndexedInvalidMessage extends Omit<InvalidMessage, 'offset'> {
  /** Index of the message in the batch. */
  index: number;
}

/** {@link ReduceResult} with invalid messages by index instead of offset. */
export interface Reduction extends Omit<ReduceResult, 'invalid'> {
  invalid: IndexedInvalidMessage[];
}

/**
 * The reduction itself, on messages without offsets (the worker thread does not receive them).
 * See {@link reduceBatch}.
 */
export function reduceMessages(
  messages: readonly Omit<RawMessage, 'offset'>[],
  priorStates: ReadonlyMap<string, ProductState>,
): Reduction {
  const changed = new Map<string, ProductState>();
  const invalid: IndexedInvalidMessage[] = [];
  const counts: ReduceCounts = {
    applied: 0,
    duplicate: 0,
    stale: 0,
    invalid: 0,
    byType: { 'product.created': 0, 'product.updated': 0, 'product.deleted': 0 },
  };
  let maxOccurredAtMs = Number.NEGATIVE_INFINITY;

  for (let index = 0; index < messages.length; index += 1) {
    const message = messages[index] as Omit<RawMessage, 'offset'>;
    const parsed = parseProductEvent(message.value, {
      key: message.key,
      ...(message.headers === undefined ? {} : { headers: message.headers }),
    });
    if (!parsed.ok) {
      const { code, path, message: reason } = parsed.error;
      invalid.push({ index, code, path, message: reason });
      counts.invalid += 1;
      continue;
    }
    const event = parsed.event;
    counts.byType[event.type] += 1;
    const prior = changed.get(event.productId) ?? priorStates.get(event.productId);
    const outcome = applyEvent(prior, event);
    if (outcome.kind !== 'applied') {
      counts[outcome.kind] += 1;
      continue;
    }
    counts.applied += 1;
    changed.set(event.productId, outcome.state);
    // Compare instants, not strings: ISO strings with and without milliseconds do not sort.
    const occurredAtMs = Date.parse(event.occurredAt);
    if (occurredAtMs > maxOccurredAtMs) maxOccurredAtMs = occurredAtMs;
  }

  return {
    states: [...changed.values()],
    invalid,
    counts,
    maxOccurredAt: Number.isFinite(maxOccurredAtMs) ? new Date(maxOccurredAtMs).toISOString() : null,
  };
}

/**
 * Reduces a batch of raw Kafka messages against the prior states of their products: parses and
 * validates each message with `parseProductEvent` (key and headers included), applies the valid
 * events in order with `applyEvent` against the running state, and returns the final state of
 * every product that changed, the invalid messages, and counts.
 *
 * Pure and deterministic; this is what the worker threads of `ReducerPool` run, and it can be
 * called directly (inline) for tiny batches or for comparison. Never throws on bad input: bad
 * messages come back in `invalid`.
 *
 * @example
 * ```ts
 * const result = reduceBatch({ topic: 'product.updated', partition: 0, messages, priorStates });
 * for (const state of result.states) store.set(state.productId, state);
 * ```
 */
export function reduceBatch(task: ReduceTask): ReduceResult {
  const { invalid, ...rest } = reduceMessages(task.messages, task.priorStates);
  return {
    ...rest,
    invalid: invalid.map(({ index, code, path, message }) => ({
      offset: (task.messages[index] as RawMessage).offset,
      code,
      path,
      message,
    })),
  };
}
