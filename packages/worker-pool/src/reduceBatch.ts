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

/** Options of {@link reduceMessages} (the optional fields of `ReduceTask`). */
export interface ReduceOptions {
  /** See `ReduceTask.maxFutureSkewMs`. */
  maxFutureSkewMs?: number;
  /** See `ReduceTask.maxEventBytes`. */
  maxEventBytes?: number;
}

/**
 * The reduction itself, on messages without offsets (the worker thread does not receive them).
 * See {@link reduceBatch}.
 */
export function reduceMessages(
  messages: readonly Omit<RawMessage, 'offset'>[],
  priorStates: ReadonlyMap<string, ProductState>,
  options: ReduceOptions = {},
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
  // The parser returns `occurredAt` as canonical UTC text (`YYYY-MM-DDTHH:mm:ss.sssZ`, no
  // parsing for text already in that form), which sorts like the instants it names.
  let maxOccurredAt = '';
  // One options object for the whole batch: the parser reads it synchronously.
  const parseOptions: ParseOptions = { key: null };
  if (options.maxFutureSkewMs !== undefined) parseOptions.maxFutureSkewMs = options.maxFutureSkewMs;
  if (options.maxEventBytes !== undefined) parseOptions.maxBytes = options.maxEventBytes;

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
    if (event.occurredAt > maxOccurredAt) maxOccurredAt = event.occurredAt;
  }

  return {
    states: [...changed.values()],
    invalid,
    counts,
    maxOccurredAt: maxOccurredAt === '' ? null : maxOccurredAt,
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
  const options: ReduceOptions = {};
  if (task.maxFutureSkewMs !== undefined) options.maxFutureSkewMs = task.maxFutureSkewMs;
  if (task.maxEventBytes !== undefined) options.maxEventBytes = task.maxEventBytes;
  const { invalid, ...rest } = reduceMessages(task.messages, task.priorStates, options);
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
