import { RetryError } from '@marketplace/retry';

/** Kafka error types that mean "a newer producer with this transactional id exists". */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

function* causeChain(error: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    yield current as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * Whether `error` (or anything in its `cause` chain) says this producer was fenced: kafkajs
 * `INVALID_PRODUCER_EPOCH` / `PRODUCER_FENCED` protocol errors (kafkajs wraps them in
 * `KafkaJSNonRetriableError` keeping `cause`, and sometimes only the message survives) or our
 * own `ProducerFencedError`.
 */
export function isProducerFencedError(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (typeof link.type === 'string' && FENCED_TYPES.has(link.type)) return true;
    if (link.code === 'PRODUCER_FENCED' || link.name === 'ProducerFencedError') return true;
    if (
      typeof link.message === 'string' &&
      /old epoch|producer.*fenced|fenced.*producer|unknown error code 90\b/i.test(link.message)
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Whether `error` (or its cause chain) is `CONCURRENT_TRANSACTIONS`: the transaction coordinator
 * is still completing this producer's previous transaction.
 */
export function isConcurrentTransactionsError(error: unknown): boolean {
  for (const link of causeChain(error)) if (link.type === 'CONCURRENT_TRANSACTIONS') return true;
  return false;
}

/**
 * Whether `error` (or its cause chain) is the broker refusing records as too large
 * (`MESSAGE_TOO_LARGE`: a record batch over `max.message.bytes`; `RECORD_LIST_TOO_LARGE`).
 * kafkajs marks them not retriable; sending the same records again fails the same way.
 */
export function isMessageTooLargeError(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (link.type === 'MESSAGE_TOO_LARGE' || link.type === 'RECORD_LIST_TOO_LARGE') return true;
    // kafkajs may keep only the protocol error's message when it wraps it.
    if (
      typeof link.message === 'string' &&
      /larger than the max message size|batch larger than the configured segment/.test(link.message)
    ) {
      return true;
    }
  }
  return false;
}

/** Whether `error` (or its cause chain) is kafkajs telling that the group is rebalancing. */
export function isRebalanceError(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (link.type === 'REBALANCE_IN_PROGRESS' || link.type === 'NOT_COORDINATOR_FOR_GROUP') return true;
    if (link.type === 'ILLEGAL_GENERATION' || link.type === 'UNKNOWN_MEMBER_ID') return true;
  }
  return false;
}

/**
 * Whether a failure that came out of `withRetry` (with `isRetryable` as its predicate) is
 * permanent, i.e. processing the same batch again cannot succeed: `withRetry` rethrows such an
 * error as is. Not permanent: a `RetryError` (retries spent on a transient fault, or aborted) and
 * kafkajs' `KafkaJSNumberOfRetriesExceeded` (kafkajs spent its own retries on a transient fault;
 * kafkajs itself restarts a consumer on it).
 */
export function isPermanentError(error: unknown, isRetryable: (error: unknown) => boolean): boolean {
  if (error instanceof RetryError && error.code !== 'INVALID_OPTIONS') return false;
  for (const link of causeChain(error)) if (link.name === 'KafkaJSNumberOfRetriesExceeded') return false;
  return !isRetryable(error);
}
