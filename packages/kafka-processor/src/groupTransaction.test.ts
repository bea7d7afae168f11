import type { Message } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  event,
  FakeKafka,
  payload,
  protocolError,
  startProcessor,
  stopStartedProcessors,
  TOPICS,
} from '../test/fixtures/fakeKafka.js';
import { MAX_RECORDS_PER_SEND, transactionRequests } from './groupTransaction.js';

/** Records of 64 + 2 + 34 = 100 approximate bytes each. */
const records = (prefix: string, count: number): Message[] =>
  Array.from({ length: count }, (_, i) => ({
    key: `${prefix}${i % 10}`,
    value: 'v'.repeat(34),
    partition: 0,
  }));

describe('transactionRequests', () => {
  it('sends nothing when no topic has records', () => {
    expect(transactionRequests([{ topic: 'a', messages: [] }], 1024)).toEqual([]);
  });

  it('puts the n-th chunk of every topic that has one into the n-th request, topics in plan order', () => {
    const a = records('a', 5);
    const b = records('b', 2);

    const requests = transactionRequests(
      [
        { topic: 'a', messages: a },
        { topic: 'empty', messages: [] },
        { topic: 'b', messages: b },
      ],
      250,
    );

    expect(requests).toEqual([
      [
        { topic: 'a', messages: a.slice(0, 2) },
        { topic: 'b', messages: b },
      ],
      [{ topic: 'a', messages: a.slice(2, 4) }],
      [{ topic: 'a', messages: a.slice(4) }],
    ]);
  });

  it(`sends at most ${MAX_RECORDS_PER_SEND} records of a topic per request however small they are`, () => {
    const many = records('p', MAX_RECORDS_PER_SEND + 1);

    const requests = transactionRequests([{ topic: 'state', messages: many }], 1 << 30);

    expect(requests.map((r) => r.map((t) => t.messages.length))).toEqual([[MAX_RECORDS_PER_SEND], [1]]);
  });
});

describe('the group transaction of AggregateProcessor', () => {
  afterEach(stopStartedProcessors);

  it('waits for the previous transaction to complete instead of re-acquiring the group', async () => {
    const fake = new FakeKafka();
    const retries: number[] = [];
    await startProcessor(fake, { onTransactionRetry: ({ attempt }) => retries.push(attempt) });
    fake.join([0]);
    fake.failOffsets.push(protocolError('CONCURRENT_TRANSACTIONS'), protocolError('CONCURRENT_TRANSACTIONS'));
    const p = payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }]);
    await fake.eachBatch!(p);
    expect(p.resolved).toEqual(['0']);
    expect(retries).toEqual([]);
    expect(fake.producers).toHaveLength(1);
    expect(fake.commits()).toHaveLength(1);
  });
});
