import type { Message, Producer } from 'kafkajs';
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
import { ProducerFencedError, TransactionError } from './errors.js';
import {
  commitBatchTransaction,
  commitSnapshotTransaction,
  type GroupProducer,
  MAX_RECORDS_PER_SEND,
  transactionRequests,
} from './groupTransaction.js';
import { planBatchOutput } from './planBatchOutput.js';

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

/** A group producer on the kafkajs stand-in, and the transactions it records. */
function fakeProducer(): { fake: FakeKafka; target: GroupProducer } {
  const fake = new FakeKafka();
  const producer = fake.producer({ transactionalId: 'app-aggregate-g3' }) as unknown as Producer;
  return { fake, target: { group: 3, transactionalId: 'app-aggregate-g3', producer } };
}

const snapshot = (changes: number) => ({
  metricChanges: { topic: 'metrics', messages: records('m', changes) },
  marker: { topic: 'state', messages: [{ key: 'epoch-marker', value: '2', partition: 3 }] },
});

describe('commitSnapshotTransaction', () => {
  it('sends the metric changes in chunks, then the epoch marker alone, and commits without offsets', async () => {
    const { fake, target } = fakeProducer();

    await commitSnapshotTransaction(target, snapshot(3), { maxRequestBytes: 250, compression: 0 });

    const [txn] = fake.producers[0]!.transactions;
    expect(txn!.state).toBe('committed');
    expect(txn!.offsets).toEqual([]);
    expect(txn!.sent.map((b) => b.topicMessages!.map((t) => `${t.topic}:${t.messages.length}`))).toEqual([
      ['metrics:2'],
      ['metrics:1'],
      ['state:1'],
    ]);
  });

  it('aborts a snapshot that failed and rethrows the error as it is', async () => {
    const { fake, target } = fakeProducer();
    const broken = protocolError('NOT_LEADER_FOR_PARTITION');
    fake.failNext.push(broken);

    await expect(
      commitSnapshotTransaction(target, snapshot(1), { maxRequestBytes: 1024, compression: 0 }),
    ).rejects.toBe(broken);
    expect(fake.producers[0]!.transactions[0]!.state).toBe('aborted');
  });

  it('reports a fenced producer as PRODUCER_FENCED of the group', async () => {
    const { fake, target } = fakeProducer();
    fake.failNext.push(protocolError('PRODUCER_FENCED'));

    const error = await commitSnapshotTransaction(target, snapshot(1), {
      maxRequestBytes: 1024,
      compression: 0,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProducerFencedError);
    expect(error).toMatchObject({ code: 'PRODUCER_FENCED', group: 3, transactionalId: 'app-aggregate-g3' });
  });
});

describe('commitBatchTransaction', () => {
  const plan = planBatchOutput({
    group: 3,
    epoch: 0,
    topics: {
      productState: 'state',
      metricChanges: 'metrics',
      deadLetter: 'dlq',
      lowStockAlerts: 'alerts',
      reroute: 'reroute',
    },
    lowStockThreshold: 10,
    stateChanges: [],
    metricChanges: [],
    deadLetters: [],
    reroutes: records('r', 1),
    consumed: { topic: 'product.updated', partition: 3, lastOffset: '41' },
  });
  const options = { groupId: 'app-aggregate', maxRequestBytes: 1024, compression: 0 };

  it('sends the plan and the next offset for the consumer group, then commits', async () => {
    const { fake, target } = fakeProducer();

    await commitBatchTransaction(target, plan, options);

    const [txn] = fake.producers[0]!.transactions;
    expect(txn!.state).toBe('committed');
    expect(txn!.sent.map((b) => b.topicMessages!.map((t) => t.topic))).toEqual([['reroute']]);
    expect(txn!.offsets).toEqual([
      {
        consumerGroupId: 'app-aggregate',
        topics: [{ topic: 'product.updated', partitions: [{ partition: 3, offset: '42' }] }],
      },
    ]);
  });

  it('aborts a failed batch transaction and names the batch by its last offset', async () => {
    const { fake, target } = fakeProducer();
    const broken = protocolError('NOT_LEADER_FOR_PARTITION');
    fake.failNext.push(broken);

    const error = await commitBatchTransaction(target, plan, options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransactionError);
    expect(error).toMatchObject({
      code: 'TRANSACTION_FAILED',
      group: 3,
      topic: 'product.updated',
      lastOffset: '41',
      cause: broken,
    });
    expect(fake.producers[0]!.transactions[0]!.state).toBe('aborted');
  });

  it('reports a transaction the producer could not open as TRANSACTION_FAILED, with nothing to abort', async () => {
    const refused = protocolError('COORDINATOR_NOT_AVAILABLE');
    let aborted = false;
    // kafkajs's producer (a third-party client) refusing to begin: no transaction object exists.
    const producer = {
      transaction: async () => {
        throw refused;
      },
      abort: () => {
        aborted = true;
      },
    } as unknown as Producer;

    const error = await commitBatchTransaction(
      { group: 3, transactionalId: 'app-aggregate-g3', producer },
      plan,
      options,
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransactionError);
    expect(error).toMatchObject({ code: 'TRANSACTION_FAILED', group: 3, lastOffset: '41', cause: refused });
    expect(aborted).toBe(false);
  });
});
