import { withRetry } from '@marketplace/retry';
import type { Message, Producer, TopicMessages } from 'kafkajs';
import { chunkBySize } from './chunkBySize.js';
import { ProducerFencedError, TransactionError } from './errors.js';
import { isConcurrentTransactionsError, isProducerFencedError } from './kafkaErrors.js';
import type { BatchOutputPlan, PlannedOffset, PlannedOutput } from './planBatchOutput.js';

/**
 * Records of one topic per `sendBatch`, on top of `maxRequestBytes`: it bounds the objects kafkajs
 * builds per request when records are tiny. It was 250 while kafkajs grouped a send's messages by
 * partition copying the partition's array for every message (quadratic); the workspace's kafkajs
 * patch groups them in one pass, and a transaction of a figure-3 batch now goes out in 1-2
 * requests per topic instead of about 11 (docs/architecture.md, D23).
 */
export const MAX_RECORDS_PER_SEND = 5_000;

/** Backoff while the previous transaction of the same producer completes (typically a few ms). */
const CONCURRENT_TRANSACTIONS_RETRY = Object.freeze({ retries: 10, minDelayMs: 20, maxDelayMs: 500 });

/** The transactional producer of a group, and what names it in errors. */
export interface GroupProducer {
  readonly group: number;
  readonly transactionalId: string;
  readonly producer: Producer;
}

/** Settings of the group transactions (resolved `AggregateProcessor` options). */
export interface GroupTransactionOptions {
  /** Consumer group whose offsets the batch transactions commit. */
  readonly groupId: string;
  /** Approximate bytes of one topic's records per request. */
  readonly maxRequestBytes: number;
  /** kafkajs `CompressionTypes` value of every request. */
  readonly compression: number;
}

/**
 * Splits planned outputs into the `sendBatch` requests of one transaction: round *r* carries the
 * *r*-th chunk (about `maxRequestBytes`, at most {@link MAX_RECORDS_PER_SEND} records) of every
 * topic that has one.
 */
export function transactionRequests(
  outputs: readonly PlannedOutput[],
  maxRequestBytes: number,
): TopicMessages[][] {
  const chunked = outputs.map(({ topic, messages }) => ({
    topic,
    chunks: chunkBySize(messages, maxRequestBytes, MAX_RECORDS_PER_SEND),
  }));
  const rounds = Math.max(0, ...chunked.map(({ chunks }) => chunks.length));
  const requests: TopicMessages[][] = [];
  for (let round = 0; round < rounds; round++) {
    requests.push(
      chunked
        .filter(({ chunks }) => chunks[round] !== undefined)
        .map(({ topic, chunks }) => ({ topic, messages: chunks[round]! })),
    );
  }
  return requests;
}

/**
 * One transaction on a group's producer: `requests` in order, then the consumed offset when given
 * (`sendOffsets`, waiting out `CONCURRENT_TRANSACTIONS`), then commit. On any failure the
 * transaction is aborted if still open; a fenced producer throws {@link ProducerFencedError},
 * anything else what `wrap` makes of it.
 */
async function runTransaction(
  target: GroupProducer,
  requests: readonly TopicMessages[][],
  offset: { groupId: string; position: PlannedOffset } | undefined,
  compression: number,
  wrap: (error: unknown) => unknown,
): Promise<void> {
  let transaction: Awaited<ReturnType<Producer['transaction']>> | undefined;
  try {
    transaction = await target.producer.transaction();
    for (const topicMessages of requests) {
      await transaction.sendBatch({ topicMessages, acks: -1, compression });
    }
    if (offset !== undefined) {
      const active = transaction;
      const { topic, partition, offset: next } = offset.position;
      // kafkajs sends AddOffsetsToTxn outside its retrier, and the broker answers
      // CONCURRENT_TRANSACTIONS while the markers of this producer's previous transaction are
      // still being written (a batch with no output records gets there first): wait for it.
      await withRetry(
        () =>
          active.sendOffsets({
            consumerGroupId: offset.groupId,
            topics: [{ topic, partitions: [{ partition, offset: next }] }],
          }),
        {
          ...CONCURRENT_TRANSACTIONS_RETRY,
          isRetryable: isConcurrentTransactionsError,
          operation: `AddOffsetsToTxn ${target.transactionalId}`,
        },
      );
    }
    await transaction.commit();
  } catch (error) {
    if (transaction?.isActive()) await transaction.abort().catch(() => {});
    if (isProducerFencedError(error))
      throw new ProducerFencedError(target.group, target.transactionalId, error);
    throw wrap(error);
  }
}

/**
 * Commits a batch's plan: every output record plus the consumed offset, in one transaction, or
 * nothing.
 * @throws {ProducerFencedError} code `PRODUCER_FENCED` when another member took the group.
 * @throws {TransactionError} code `TRANSACTION_FAILED` for any other failure (aborted).
 */
export function commitBatchTransaction(
  target: GroupProducer,
  plan: BatchOutputPlan,
  options: GroupTransactionOptions,
): Promise<void> {
  const { topic } = plan.offset;
  // The error names the batch by its last offset, as kafkajs reports it.
  const lastOffset = (BigInt(plan.offset.offset) - 1n).toString();
  return runTransaction(
    target,
    transactionRequests(plan.outputs, options.maxRequestBytes),
    { groupId: options.groupId, position: plan.offset },
    options.compression,
    (error) => new TransactionError(target.group, topic, lastOffset, error),
  );
}

/**
 * Commits a group's snapshot for a new epoch: its metric-change records (in chunks), then the
 * group's epoch marker in the changelog, in one transaction without offsets.
 * @throws {ProducerFencedError} code `PRODUCER_FENCED` when another member took the group; any
 * other failure is rethrown as it is (aborted).
 */
export function commitSnapshotTransaction(
  target: GroupProducer,
  snapshot: { metricChanges: PlannedOutput; marker: PlannedOutput },
  options: Omit<GroupTransactionOptions, 'groupId'>,
): Promise<void> {
  const { topic, messages } = snapshot.metricChanges;
  const requests: TopicMessages[][] = chunkBySize(
    messages,
    options.maxRequestBytes,
    MAX_RECORDS_PER_SEND,
  ).map((chunk: Message[]) => [{ topic, messages: chunk }]);
  requests.push([snapshot.marker]);
  return runTransaction(target, requests, undefined, options.compression, (error) => error);
}
