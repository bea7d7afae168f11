import type { ProductState } from '@marketplace/analytics-aggregator';
import { applyEvent } from '@marketplace/analytics-aggregator';
import { type ParseOptions, parseProductEvent } from '@marketplace/product-events';
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
  maxEventBytes?: number,
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
  // Canonical ISO-8601 UTC strings (`YYYY-MM-DDTHH:mm:ss.sssZ`) sort like the instants they name.
  let maxOccurredAt = '';
  // One options object for the whole batch: the parser reads it synchronously.
  const parseOptions: ParseOptions = { key: null };
  if (maxEventBytes !== undefined) parseOptions.maxBytes = maxEventBytes;

  for (let index = 0; index < messages.length; index += 1) {
    const message = messages[index] as Omit<RawMessage, 'offset'>;
    parseOptions.key = message.key;
    parseOptions.headers = message.headers;
    const parsed = parseProductEvent(message.value, parseOptions);
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
    const occurredAt = canonicalInstant(event.occurredAt);
    if (occurredAt > maxOccurredAt) maxOccurredAt = occurredAt;
  }

  return {
    states: [...changed.values()],
    invalid,
    counts,
    maxOccurredAt: maxOccurredAt === '' ? null : maxOccurredAt,
  };
}

/**
 * `occurredAt` as `YYYY-MM-DDTHH:mm:ss.sssZ`. Producers of this platform already write that form
 * (kept as is, no parsing on the hot path); other valid forms (no milliseconds, an offset) are
 * normalised, since ISO strings of different forms do not sort like their instants.
 */
function canonicalInstant(occurredAt: string): string {
  if (
    occurredAt.length === 24 &&
    occurredAt.charCodeAt(23) === 90 /* Z */ &&
    occurredAt.charCodeAt(19) === 46 /* . */
  ) {
    return occurredAt;
  }
  return new Date(Date.parse(occurredAt)).toISOString();
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
  const { invalid, ...rest } = reduceMessages(task.messages, task.priorStates, task.maxEventBytes);
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
