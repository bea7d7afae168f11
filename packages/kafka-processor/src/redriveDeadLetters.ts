import { type Logger, SILENT_LOGGER } from '@marketplace/options';
import { withRetry } from '@marketplace/retry';
import type { Kafka, Message, Producer } from 'kafkajs';
import { chunkBySize } from './chunkBySize.js';
import { consumeToEnd } from './consumeToEnd.js';
import {
  type DeadLetterFilter,
  decodeDeadLetter,
  matchesDeadLetterFilter,
  redriveMessage,
} from './decodeDeadLetter.js';
import { KafkaProcessorOptionsError } from './errors.js';
import { isConcurrentTransactionsError } from './kafkaErrors.js';
import { check, checkName } from './validateOptions.js';

/** Defaults of {@link redriveDeadLetters}. */
export const DEFAULT_REDRIVE_OPTIONS: Readonly<{ maxRedrives: 3; dryRun: false }> = Object.freeze({
  maxRedrives: 3,
  dryRun: false,
});

/** Progress of a redrive, reported after every dead-letter batch. */
export interface RedriveProgress {
  /** Dead letters read so far. */
  scanned: number;
  /**
   * Offsets between where this redrive name stands and the end fetched at start: an upper bound
   * of the dead letters to read (transaction markers take offsets too).
   */
  total: number;
  /** Sent back so far (with `dryRun`: would have been). */
  redriven: number;
  /** Matching dead letters refused because their redrive count reached `maxRedrives`. */
  refused: number;
}

/** Outcome of {@link redriveDeadLetters}. */
export interface RedriveResult extends RedriveProgress {
  /** Dead letters that matched the filter. */
  matched: number;
  /** Matching dead letters not sent because their source topic is not one of `sourceTopics` (or missing). */
  unknownSource: number;
  /** Sent (or, with `dryRun`, to be sent) per source topic. */
  byTopic: Record<string, number>;
  /** Whether this was a dry run (nothing sent, nothing committed). */
  dryRun: boolean;
  /** The consumer group that remembers what this redrive name has handled. */
  groupId: string;
}

/** Options of {@link redriveDeadLetters}. */
export interface RedriveDeadLettersOptions {
  kafka: Kafka;
  /** The dead-letter topic. */
  topic: string;
  /**
   * Name of this redrive: consumer group and transactional id are
   * `${groupIdPrefix}-dlq-redrive-${name}`. Running the same name again continues where it stopped
   * and never sends a dead letter twice.
   */
  name: string;
  /** Prefix of the group and transactional id, e.g. the application id. */
  groupIdPrefix: string;
  /** Topics records may be sent back to (the input topics); other source topics are skipped. */
  sourceTopics: readonly string[];
  /** Which dead letters to send back. @default {} (all) */
  filter?: DeadLetterFilter;
  /** Refuse dead letters whose redrive count is at or above this (loop protection). @default 3 */
  maxRedrives?: number;
  /** Read and count, send nothing, commit nothing. @default false */
  dryRun?: boolean;
  /** Called after every dead-letter batch. */
  onProgress?(progress: RedriveProgress): void;
  /** @default silent */
  logger?: Logger;
}

// The broker answers CONCURRENT_TRANSACTIONS to AddOffsetsToTxn while the markers of the previous
// transaction are still being written (see AggregateProcessor).
const CONCURRENT_TRANSACTIONS_RETRY = Object.freeze({ retries: 10, minDelayMs: 20, maxDelayMs: 500 });
const MAX_REQUEST_BYTES = 524_288;

/**
 * Sends dead letters back to their source topic and partition, with their original key, value
 * and headers and `x-redrive-count` one higher (stage 1 copies it into `dlq-redrive-count` if the
 * record fails again). Dead letters whose count reached `maxRedrives` are refused and counted.
 *
 * Exactly once per redrive name: each dead-letter batch is sent in one Kafka transaction
 * (transactional id `${groupIdPrefix}-dlq-redrive-${name}`) together with the offset of the
 * consumer group of the same name. A crash mid-batch aborts the transaction (stage 1 reads
 * read_committed, so it never sees the records), and the next run with the same name starts after
 * the last committed batch, so nothing is lost or sent twice. Everything the name has read is
 * behind it, matching or not: use a new name for another selection of the same dead letters.
 *
 * @throws {KafkaProcessorOptionsError} `INVALID_OPTIONS` naming the bad option; kafkajs errors
 *   (the transaction in flight is aborted; run again with the same name).
 * @example
 * const result = await redriveDeadLetters({ kafka, topic: 'analytics.dead-letter', name: 'fix-1234',
 *   groupIdPrefix: 'analytics', sourceTopics: ['product.created', 'product.updated', 'product.deleted'],
 *   filter: { codes: ['PAYLOAD_TOO_LARGE'] } });
 */
export async function redriveDeadLetters(options: RedriveDeadLettersOptions): Promise<RedriveResult> {
  const kafka = check.methods(options.kafka, 'kafka', ['consumer', 'producer', 'admin']);
  checkName(options.topic, 'topic');
  checkName(options.name, 'name');
  checkName(options.groupIdPrefix, 'groupIdPrefix');
  if (!Array.isArray(options.sourceTopics) || options.sourceTopics.length === 0) {
    throw new KafkaProcessorOptionsError('sourceTopics', 'expected a non-empty array of topic names');
  }
  const sourceTopics = new Set(options.sourceTopics.map((t, i) => checkName(t, `sourceTopics[${i}]`)));
  if (sourceTopics.has(options.topic)) {
    throw new KafkaProcessorOptionsError('sourceTopics', 'must not contain the dead-letter topic itself');
  }
  const maxRedrives = check.integer(
    options.maxRedrives ?? DEFAULT_REDRIVE_OPTIONS.maxRedrives,
    'maxRedrives',
    1,
  );
  const dryRun = check.boolean(options.dryRun ?? DEFAULT_REDRIVE_OPTIONS.dryRun, 'dryRun');
  const filter = options.filter ?? {};
  const logger = options.logger ?? SILENT_LOGGER;
  const groupId = `${options.groupIdPrefix}-dlq-redrive-${options.name}`;

  const result: RedriveResult = {
    scanned: 0,
    total: 0,
    matched: 0,
    redriven: 0,
    refused: 0,
    unknownSource: 0,
    byTopic: {},
    dryRun,
    groupId,
  };
  let producer: Producer | undefined;
  if (!dryRun) {
    producer = kafka.producer({
      transactionalId: groupId,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    // Initialising the transactional id fences a crashed run of the same name and aborts its open
    // transaction before anything is read.
    await producer.connect();
  }
  try {
    const read = await consumeToEnd({
      kafka,
      topic: options.topic,
      groupId,
      // Never deleted: its committed offsets are what this name remembers (a dry run commits none).
      deleteGroup: false,
      eachBatch: async ({ partition, messages, nextOffset }) => {
        const outputs = new Map<string, Message[]>();
        let redriven = 0;
        for (const message of messages) {
          const deadLetter = decodeDeadLetter(partition, message);
          result.scanned += 1;
          if (!matchesDeadLetterFilter(deadLetter, filter)) continue;
          result.matched += 1;
          if (!sourceTopics.has(deadLetter.sourceTopic) || deadLetter.sourcePartition < 0) {
            result.unknownSource += 1;
            continue;
          }
          if (deadLetter.redriveCount >= maxRedrives) {
            result.refused += 1;
            continue;
          }
          const list = outputs.get(deadLetter.sourceTopic) ?? [];
          list.push(redriveMessage(deadLetter));
          outputs.set(deadLetter.sourceTopic, list);
          redriven += 1;
        }
        if (producer !== undefined)
          await sendInTransaction(producer, groupId, options.topic, partition, nextOffset, outputs);
        for (const [topic, list] of outputs)
          result.byTopic[topic] = (result.byTopic[topic] ?? 0) + list.length;
        result.redriven += redriven;
        options.onProgress?.({
          scanned: result.scanned,
          total: result.total,
          redriven: result.redriven,
          refused: result.refused,
        });
        return true;
      },
      onStart: (total) => {
        result.total = total;
      },
    });
    result.total = read.total;
    logger.debug('dead letters redriven', { ...result });
    return result;
  } finally {
    await producer?.disconnect().catch(() => {});
  }
}

/** One transaction: the redriven records of one dead-letter batch and the batch's offset, or nothing. */
async function sendInTransaction(
  producer: Producer,
  groupId: string,
  topic: string,
  partition: number,
  nextOffset: string,
  outputs: ReadonlyMap<string, Message[]>,
): Promise<void> {
  const transaction = await producer.transaction();
  try {
    for (const [target, messages] of outputs) {
      for (const chunk of chunkBySize(messages, MAX_REQUEST_BYTES)) {
        await transaction.send({ topic: target, messages: chunk, acks: -1 });
      }
    }
    await withRetry(
      () =>
        transaction.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }],
        }),
      {
        ...CONCURRENT_TRANSACTIONS_RETRY,
        isRetryable: isConcurrentTransactionsError,
        operation: `AddOffsetsToTxn ${groupId}`,
      },
    );
    await transaction.commit();
  } catch (error) {
    if (transaction.isActive()) await transaction.abort().catch(() => {});
    throw error;
  }
}
