import type { Kafka, KafkaMessage } from 'kafkajs';
import { InternalTopicError } from './errors.js';

/** One batch handed to {@link ConsumeToEndOptions.eachBatch}. */
export interface ConsumedBatch {
  partition: number;
  /** Records below the end fetched at start, in offset order. */
  messages: KafkaMessage[];
  /** Offset to commit once the batch is handled (last record + 1, at most the end). */
  nextOffset: string;
}

/** Options of {@link consumeToEnd}. */
export interface ConsumeToEndOptions {
  kafka: Kafka;
  topic: string;
  /** Consumer group: reading starts at its committed offsets (the beginning where none). */
  groupId: string;
  /** Handles a batch; resolve `false` to stop reading early. Nothing is committed by this function. */
  eachBatch(batch: ConsumedBatch): Promise<boolean | undefined> | boolean | undefined;
  /** Delete the consumer group afterwards (for throwaway groups). */
  deleteGroup: boolean;
  /** Called once before reading with the number of records (and markers) up to the end. */
  onStart?(total: number): void;
}

/** What {@link consumeToEnd} read. */
export interface ConsumeToEndResult {
  /** Records below the end at start, summed over partitions, from the start positions. */
  total: number;
  /** Whether `eachBatch` stopped it early. */
  stopped: boolean;
}

/**
 * Reads `topic` read_committed with consumer group `groupId` from its committed offsets (or the
 * beginning) up to the high watermarks fetched when it starts, then disconnects. Records
 * appended later are left for the next run. kafkajs has no manual assignment, so the group must
 * have no other members (a throwaway group, or a named one used by one process at a time).
 * @throws {InternalTopicError} `INTERNAL_TOPIC_INVALID` when the topic does not exist; the
 *   consumer's crash error, or what `eachBatch` throws.
 */
export async function consumeToEnd(options: ConsumeToEndOptions): Promise<ConsumeToEndResult> {
  const { kafka, topic, groupId } = options;
  const admin = kafka.admin();
  await admin.connect();
  const targets = new Map<number, bigint>();
  let total = 0;
  try {
    // kafkajs retries a missing topic for seconds before a cryptic error: say it at once.
    if (!(await admin.listTopics()).includes(topic)) throw new InternalTopicError(topic, 'it does not exist');
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const end of ends) {
      const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      const start = at === '-1' || BigInt(at) < BigInt(end.low) ? BigInt(end.low) : BigInt(at);
      const high = BigInt(end.high);
      if (start < high) {
        targets.set(end.partition, high);
        total += Number(high - start);
      }
    }
    options.onStart?.(total);
    if (targets.size === 0) return { total: 0, stopped: false };

    const pending = new Set(targets.keys());
    const consumer = kafka.consumer({
      groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
    });
    let stopped = false;
    let settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
    const finished = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    finished.catch(() => {});
    // Also emitted for batches holding only transaction markers or aborted records (they never
    // reach eachBatch), so the end of a transactional topic is noticed.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const target = targets.get(payload.partition);
      if (target !== undefined && BigInt(payload.lastOffset) + 1n >= target)
        pending.delete(payload.partition);
      if (pending.size === 0) settle?.resolve();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => settle?.reject(payload.error));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const target = targets.get(batch.partition);
          if (target === undefined || stopped) return;
          const messages = batch.messages.filter((m) => BigInt(m.offset) < target);
          if (messages.length === 0) return;
          const last = BigInt((messages[messages.length - 1] as KafkaMessage).offset) + 1n;
          try {
            const more = await options.eachBatch({
              partition: batch.partition,
              messages,
              nextOffset: String(last < target ? last : target),
            });
            if (more === false) {
              stopped = true;
              settle?.resolve();
            }
          } catch (error) {
            // Stop at once: the batch is not redelivered to this run.
            stopped = true;
            settle?.reject(error);
          }
        },
      });
      await finished;
      return { total, stopped };
    } finally {
      await consumer.disconnect().catch(() => {});
    }
  } finally {
    if (options.deleteGroup) await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}
