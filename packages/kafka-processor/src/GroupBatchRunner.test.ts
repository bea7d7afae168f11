import type { ProductEvent } from '@marketplace/product-events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  event,
  FakeKafka,
  type FakeTransaction,
  payload,
  protocolError,
  startProcessor,
  stopStartedProcessors,
  TOPICS,
} from '../test/fixtures/fakeKafka.js';
import { DEAD_LETTER_HEADERS, DEFAULT_INTERNAL_TOPICS } from './defaults.js';
import { partitionForKey } from './partitioners.js';
import { REROUTE_HEADERS, REROUTE_NOT_OWNER } from './rerouteMessage.js';
import type { BatchMetrics } from './types.js';

afterEach(stopStartedProcessors);

describe('AggregateProcessor batch protocol', () => {
  it('commits a batch in one transaction with its outputs and the next offset, then resolves it', async () => {
    const fake = new FakeKafka();
    const batches: BatchMetrics[] = [];
    const processor = await startProcessor(fake, { onBatch: (m) => batches.push(m) });
    fake.join([0]);
    expect(processor.ready).toBe(true);
    const p = payload(TOPICS.created, 0, [
      { offset: 0, event: event('p-1', 1, 3) },
      { offset: 1, event: event('p-2', 1) },
    ]);
    await fake.eachBatch!(p);
    const [txn] = fake.commits();
    expect(txn!.offsets).toEqual([
      {
        consumerGroupId: 'app-aggregate',
        topics: [{ topic: TOPICS.created, partitions: [{ partition: 0, offset: '2' }] }],
      },
    ]);
    const sentTopics = txn!.sent.flatMap((b) =>
      b.topicMessages!.map((t) => `${t.topic}:${t.messages.length}`),
    );
    expect(sentTopics).toEqual([
      `${DEFAULT_INTERNAL_TOPICS.productState}:2`,
      `${DEFAULT_INTERNAL_TOPICS.metricChanges}:3`,
      `${DEFAULT_INTERNAL_TOPICS.lowStockAlerts}:1`,
    ]);
    expect(p.resolved).toEqual(['1']);
    expect(batches[0]).toMatchObject({ group: 0, messages: 2, applied: 2, alerts: 1, attempts: 1 });
    expect(fake.producers[0]!.transactionalId).toBe('app-aggregate-g0');
  });

  it('skips a batch while the consumer is stopping or after a seek made it stale, without resolving it', async () => {
    const fake = new FakeKafka();
    const skipped: string[] = [];
    await startProcessor(fake, { onSkippedBatch: ({ reason }) => skipped.push(reason) });
    fake.join([0]);
    const stopped = payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }], {
      isRunning: () => false,
    });
    const stale = payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }], {
      isStale: () => true,
    });
    await fake.eachBatch!(stopped);
    await fake.eachBatch!(stale);
    expect(skipped).toEqual(['not-running', 'stale']);
    expect([...stopped.resolved, ...stale.resolved]).toEqual([]);
    expect(fake.commits()).toEqual([]);
  });

  it('aborts a failed transaction, re-acquires the group and retries the batch', async () => {
    const fake = new FakeKafka();
    const retries: number[] = [];
    await startProcessor(fake, { onTransactionRetry: ({ attempt }) => retries.push(attempt) });
    fake.join([0]);
    fake.failNext.push(protocolError('NOT_LEADER_FOR_PARTITION'));
    const p = payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }]);
    await fake.eachBatch!(p);
    expect(retries).toEqual([1]);
    expect(fake.producers.map((x) => x.disconnected)).toEqual([true, false]);
    expect(fake.producers[0]!.transactions.at(-1)!.state).toBe('aborted');
    expect(fake.commits()).toHaveLength(1);
    expect(p.resolved).toEqual(['0']);
  });

  it('fails the batch after the retries run out, so kafkajs redelivers it', async () => {
    const fake = new FakeKafka();
    await startProcessor(fake, {}, { retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 } });
    fake.join([0]);
    const broken = protocolError('NOT_LEADER_FOR_PARTITION');
    fake.failNext.push(broken, broken);
    const p = payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }]);
    await expect(fake.eachBatch!(p)).rejects.toMatchObject({ code: 'RETRIES_EXHAUSTED' });
    expect(p.resolved).toEqual([]);
    expect(fake.commits()).toEqual([]);
  });

  it('counts the invalid messages of a batch by parse error code', async () => {
    const fake = new FakeKafka();
    const batches: BatchMetrics[] = [];
    await startProcessor(fake, { onBatch: (m) => batches.push(m) });
    fake.join([0]);
    const p = payload(TOPICS.created, 0, [
      { offset: 0, event: event('p-1', 1) },
      { offset: 1, event: event('p-2', 1) },
      // p-5 and p-1 are owned by group 0 under murmur2 over 2 partitions (p-3 is not).
      { offset: 2, event: event('p-5', 1) },
    ]);
    const [, notJson, notObject] = p.batch.messages;
    notJson!.value = Buffer.from('{not json');
    notObject!.value = Buffer.from('[1]');

    await fake.eachBatch!(p);

    expect(batches[0]).toMatchObject({
      invalid: 2,
      applied: 1,
      invalidByCode: { INVALID_JSON: 1, NOT_AN_OBJECT: 1 },
    });
  });
});

/** The records a transaction sent to `topic`. */
function sentTo(txn: FakeTransaction, topic: string) {
  return txn.sent.flatMap((b) =>
    b.topicMessages!.filter((t) => t.topic === topic).flatMap((t) => t.messages),
  );
}

/** A batch of the reroute topic: the events as forwarded from `source`, with the reroute headers. */
function reroutedPayload(
  partition: number,
  source: { topic: string; partition: number; offset: number },
  events: { offset: number; event: ProductEvent }[],
) {
  const p = payload(DEFAULT_INTERNAL_TOPICS.reroute, partition, events);
  for (const m of p.batch.messages) {
    m.headers = {
      ...m.headers,
      [REROUTE_HEADERS.sourceTopic]: Buffer.from(source.topic),
      [REROUTE_HEADERS.sourcePartition]: Buffer.from(String(source.partition)),
      [REROUTE_HEADERS.sourceOffset]: Buffer.from(String(source.offset)),
    };
  }
  return p;
}

function header(headers: unknown, name: string): string | undefined {
  const value = (headers as Record<string, Buffer | string | undefined>)[name];
  return value === undefined ? undefined : String(value);
}

describe('AggregateProcessor misrouted input', () => {
  // Owners under murmur2 over the fake's 2 partitions: p-1 -> 0, p-3 -> 1, p-4 -> 1 (crc32: p-4 -> 0).
  it('forwards a record another group owns to its reroute partition in the batch transaction, without applying it', async () => {
    const fake = new FakeKafka();
    const batches: BatchMetrics[] = [];
    const rerouted: unknown[] = [];
    await startProcessor(fake, {
      onBatch: (m) => batches.push(m),
      onRerouted: (info) => rerouted.push(info),
    });
    fake.join([0, 1]);
    const p = payload(TOPICS.created, 0, [
      { offset: 0, event: event('p-1', 1) },
      { offset: 1, event: event('p-3', 1) },
    ]);

    await fake.eachBatch!(p);

    const [txn] = fake.commits();
    expect(sentTo(txn!, DEFAULT_INTERNAL_TOPICS.productState).map((m) => String(m.key))).toEqual(['p-1']);
    const [forwarded, ...more] = sentTo(txn!, DEFAULT_INTERNAL_TOPICS.reroute);
    expect(more).toEqual([]);
    expect(forwarded).toMatchObject({
      key: p.batch.messages[1]!.key,
      value: p.batch.messages[1]!.value,
      partition: 1,
    });
    expect(header(forwarded!.headers, 'event-type')).toBe('product.created');
    expect(header(forwarded!.headers, REROUTE_HEADERS.sourceTopic)).toBe(TOPICS.created);
    expect(header(forwarded!.headers, REROUTE_HEADERS.sourcePartition)).toBe('0');
    expect(header(forwarded!.headers, REROUTE_HEADERS.sourceOffset)).toBe('1');
    expect(txn!.offsets).toEqual([
      {
        consumerGroupId: 'app-aggregate',
        topics: [{ topic: TOPICS.created, partitions: [{ partition: 0, offset: '2' }] }],
      },
    ]);
    expect(batches[0]).toMatchObject({ messages: 2, applied: 1 });
    expect(rerouted).toEqual([{ group: 0, topic: TOPICS.created, partition: 0, records: 1 }]);
  });

  it('applies a rerouted record at its owner and commits its reroute-topic offset in the same transaction', async () => {
    const fake = new FakeKafka();
    const rerouted: unknown[] = [];
    await startProcessor(fake, { onRerouted: (info) => rerouted.push(info) });
    fake.join([0, 1]);
    const p = reroutedPayload(1, { topic: TOPICS.created, partition: 0, offset: 1 }, [
      { offset: 5, event: event('p-3', 1) },
    ]);

    await fake.eachBatch!(p);

    const [txn] = fake.commits();
    const states = sentTo(txn!, DEFAULT_INTERNAL_TOPICS.productState);
    expect(states.map((m) => [String(m.key), m.partition])).toEqual([['p-3', 1]]);
    expect(sentTo(txn!, DEFAULT_INTERNAL_TOPICS.reroute)).toEqual([]);
    expect(txn!.offsets).toEqual([
      {
        consumerGroupId: 'app-aggregate',
        topics: [{ topic: DEFAULT_INTERNAL_TOPICS.reroute, partitions: [{ partition: 1, offset: '6' }] }],
      },
    ]);
    expect(p.resolved).toEqual(['5']);
    expect(rerouted).toEqual([]);
  });

  it('skips rerouted records below the committed reroute-topic offset after a restart', async () => {
    const fake = new FakeKafka();
    fake.committed[`${DEFAULT_INTERNAL_TOPICS.reroute}/1`] = '6';
    await startProcessor(fake);
    fake.join([1]);
    const p = reroutedPayload(1, { topic: TOPICS.created, partition: 0, offset: 1 }, [
      { offset: 5, event: event('p-3', 1) },
    ]);
    await fake.eachBatch!(p);
    expect(fake.commits()).toEqual([]);
    expect(p.resolved).toEqual(['5']);
  });

  it('dead-letters a rerouted record that reaches a group which does not own it either', async () => {
    const fake = new FakeKafka();
    const batches: BatchMetrics[] = [];
    await startProcessor(fake, { onBatch: (m) => batches.push(m) });
    fake.join([0]);
    const p = reroutedPayload(0, { topic: TOPICS.updated, partition: 1, offset: 17 }, [
      { offset: 3, event: event('p-3', 2) },
    ]);

    await fake.eachBatch!(p);

    const [txn] = fake.commits();
    expect(sentTo(txn!, DEFAULT_INTERNAL_TOPICS.productState)).toEqual([]);
    expect(sentTo(txn!, DEFAULT_INTERNAL_TOPICS.reroute)).toEqual([]);
    const [letter] = sentTo(txn!, DEFAULT_INTERNAL_TOPICS.deadLetter);
    expect(letter).toMatchObject({
      key: p.batch.messages[0]!.key,
      value: p.batch.messages[0]!.value,
      partition: 0,
    });
    expect(header(letter!.headers, DEAD_LETTER_HEADERS.errorCode)).toBe(REROUTE_NOT_OWNER);
    expect(header(letter!.headers, DEAD_LETTER_HEADERS.errorMessage)).toMatch(
      /murmur2 over 2 partitions puts its key in group 1/,
    );
    expect(header(letter!.headers, DEAD_LETTER_HEADERS.sourceTopic)).toBe(TOPICS.updated);
    expect(header(letter!.headers, DEAD_LETTER_HEADERS.sourcePartition)).toBe('1');
    expect(header(letter!.headers, DEAD_LETTER_HEADERS.sourceOffset)).toBe('17');
    expect(header(letter!.headers, REROUTE_HEADERS.sourceTopic)).toBeUndefined();
    expect(batches[0]).toMatchObject({ messages: 1, applied: 0 });
  });

  it('dead-letters a not-owned record without reroute headers under its reroute-topic position', async () => {
    const fake = new FakeKafka();
    await startProcessor(fake);
    fake.join([0]);
    const p = payload(DEFAULT_INTERNAL_TOPICS.reroute, 0, [{ offset: 3, event: event('p-3', 2) }]);
    await fake.eachBatch!(p);
    const [letter] = sentTo(fake.commits()[0]!, DEFAULT_INTERNAL_TOPICS.deadLetter);
    expect(header(letter!.headers, DEAD_LETTER_HEADERS.sourceTopic)).toBe(DEFAULT_INTERNAL_TOPICS.reroute);
    expect(header(letter!.headers, DEAD_LETTER_HEADERS.sourceOffset)).toBe('3');
  });

  it('dead-letters an invalid rerouted record under the input position it was first consumed at', async () => {
    const fake = new FakeKafka();
    const batches: BatchMetrics[] = [];
    await startProcessor(fake, { onBatch: (m) => batches.push(m) });
    fake.join([1]);
    const p = reroutedPayload(1, { topic: TOPICS.created, partition: 0, offset: 41 }, [
      { offset: 9, event: event('p-3', 1) },
    ]);
    p.batch.messages[0]!.value = Buffer.from('{not json');

    await fake.eachBatch!(p);

    const [letter] = sentTo(fake.commits()[0]!, DEFAULT_INTERNAL_TOPICS.deadLetter);
    expect(header(letter!.headers, DEAD_LETTER_HEADERS.errorCode)).toBe('INVALID_JSON');
    expect(header(letter!.headers, DEAD_LETTER_HEADERS.sourceTopic)).toBe(TOPICS.created);
    expect(header(letter!.headers, DEAD_LETTER_HEADERS.sourcePartition)).toBe('0');
    expect(header(letter!.headers, DEAD_LETTER_HEADERS.sourceOffset)).toBe('41');
    expect(header(letter!.headers, REROUTE_HEADERS.sourceOffset)).toBeUndefined();
    expect(batches[0]).toMatchObject({ invalid: 1, invalidByCode: { INVALID_JSON: 1 } });
  });

  it('routes by the configured partitioner', async () => {
    const fake = new FakeKafka();
    await startProcessor(fake, {}, { partitioner: 'crc32' });
    fake.join([0, 1]);
    // crc32 puts p-4 in group 0 (murmur2 would put it in group 1).
    await fake.eachBatch!(payload(TOPICS.created, 0, [{ offset: 0, event: event('p-4', 1) }]));
    const [txn] = fake.commits();
    expect(sentTo(txn!, DEFAULT_INTERNAL_TOPICS.productState).map((m) => String(m.key))).toEqual(['p-4']);
    expect(sentTo(txn!, DEFAULT_INTERNAL_TOPICS.reroute)).toEqual([]);
  });

  it('warns once per input topic naming the partitioner its records follow, when it is not the configured one', async () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const logger = {
      debug: () => {},
      info: (message: string) => infos.push(message),
      warn: (message: string) => warnings.push(message),
      error: () => {},
    };
    const fake = new FakeKafka();
    await startProcessor(fake, {}, { logger });
    fake.join([0, 1]);
    // 800 products produced with crc32 (librdkafka's default), in two rounds of batches.
    const ids = Array.from({ length: 800 }, (_, i) => `q-${i}`);
    for (const round of [0, 1]) {
      for (const partition of [0, 1]) {
        const mine = ids.filter((id) => partitionForKey('crc32', Buffer.from(id), 2) === partition);
        const events = mine.map((id, i) => ({ offset: round * 1000 + i, event: event(id, round + 1) }));
        await fake.eachBatch!(payload(TOPICS.created, partition, events));
      }
    }
    expect(warnings.filter((w) => w.includes('follows'))).toEqual([
      expect.stringMatching(
        /^input topic "product\.created" follows crc32, not the configured murmur2 \(200 of 200 sampled records\)/,
      ),
    ]);
    expect(infos.filter((m) => m.includes('follows'))).toEqual([]);
  });

  it('only logs at info level when an input topic follows the configured partitioner', async () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const logger = {
      debug: () => {},
      info: (message: string) => infos.push(message),
      warn: (message: string) => warnings.push(message),
      error: () => {},
    };
    const fake = new FakeKafka();
    await startProcessor(fake, {}, { logger });
    fake.join([0, 1]);
    const ids = Array.from({ length: 600 }, (_, i) => `q-${i}`);
    for (const partition of [0, 1]) {
      const mine = ids.filter((id) => partitionForKey('murmur2', Buffer.from(id), 2) === partition);
      await fake.eachBatch!(
        payload(
          TOPICS.updated,
          partition,
          mine.map((id, i) => ({ offset: i, event: event(id, 1) })),
        ),
      );
    }
    expect(warnings).toEqual([]);
    expect(infos).toContain('input topic "product.updated" follows the configured partitioner murmur2');
  });

  it('warns that an input topic follows neither partitioner when its records are mixed', async () => {
    const warnings: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (m: string) => warnings.push(m),
      error: () => {},
    };
    const fake = new FakeKafka();
    await startProcessor(fake, {}, { logger });
    fake.join([0, 1]);
    const ids = Array.from({ length: 800 }, (_, i) => `q-${i}`);
    for (const partition of [0, 1]) {
      // Half of the products by murmur2, half by crc32: two producers on one topic.
      const mine = ids.filter(
        (id, i) => partitionForKey(i % 2 === 0 ? 'murmur2' : 'crc32', Buffer.from(id), 2) === partition,
      );
      await fake.eachBatch!(
        payload(
          TOPICS.deleted,
          partition,
          mine.map((id, i) => ({ offset: i, event: event(id, 1) })),
        ),
      );
    }
    expect(warnings.filter((w) => w.includes('follows'))).toEqual([
      expect.stringMatching(
        /^input topic "product\.deleted" follows neither murmur2 \(\d+ of 200 sampled records\) nor crc32/,
      ),
    ]);
  });
});
