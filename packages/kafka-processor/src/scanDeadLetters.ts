import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { consumeToEnd } from './consumeToEnd.js';
import {
  type DeadLetter,
  type DeadLetterFilter,
  decodeDeadLetter,
  matchesDeadLetterFilter,
} from './decodeDeadLetter.js';
import { check, checkName } from './validateOptions.js';

/** Options of {@link scanDeadLetters}. */
export interface ScanDeadLettersOptions {
  kafka: Kafka;
  /** The dead-letter topic, e.g. `analytics.dead-letter`. */
  topic: string;
  /** Prefix of the throwaway consumer group `${groupIdPrefix}-dlq-scan-<uuid>` (deleted afterwards). */
  groupIdPrefix: string;
  /** Which dead letters to hand to `onDeadLetter`. @default {} (all) */
  filter?: DeadLetterFilter;
  /** Stop after this many matches. @default Infinity */
  limit?: number;
  /** Called for every matching dead letter, per partition in offset order. */
  onDeadLetter(deadLetter: DeadLetter): void;
}

/** What {@link scanDeadLetters} read. */
export interface ScanDeadLettersResult {
  /** Dead letters read. */
  scanned: number;
  /** Dead letters that matched the filter (at most `limit`). */
  matched: number;
}

/**
 * Reads the dead-letter topic read_committed from the beginning to the end fetched at start, with
 * a throwaway consumer group that commits nothing, and hands every dead letter matching
 * `filter` to `onDeadLetter`. Read-only: the topic and every other group are left as they are.
 * @throws {KafkaProcessorOptionsError} `INVALID_OPTIONS` naming the bad option; kafkajs errors.
 * @example
 * const stats = new DeadLetterStats();
 * await scanDeadLetters({ kafka, topic: 'analytics.dead-letter', groupIdPrefix: 'analytics',
 *   onDeadLetter: (dl) => stats.add(dl) });
 */
export async function scanDeadLetters(options: ScanDeadLettersOptions): Promise<ScanDeadLettersResult> {
  check.methods(options.kafka, 'kafka', ['consumer', 'admin']);
  checkName(options.topic, 'topic');
  checkName(options.groupIdPrefix, 'groupIdPrefix');
  const limit =
    options.limit === undefined || options.limit === Number.POSITIVE_INFINITY
      ? Number.POSITIVE_INFINITY
      : check.integer(options.limit, 'limit', 1);
  const filter = options.filter ?? {};
  let scanned = 0;
  let matched = 0;
  await consumeToEnd({
    kafka: options.kafka,
    topic: options.topic,
    groupId: `${options.groupIdPrefix}-dlq-scan-${randomUUID()}`,
    deleteGroup: true,
    eachBatch: ({ partition, messages }) => {
      for (const message of messages) {
        scanned += 1;
        const deadLetter = decodeDeadLetter(partition, message);
        if (!matchesDeadLetterFilter(deadLetter, filter)) continue;
        matched += 1;
        options.onDeadLetter(deadLetter);
        if (matched >= limit) return false;
      }
      return true;
    },
  });
  return { scanned, matched };
}
