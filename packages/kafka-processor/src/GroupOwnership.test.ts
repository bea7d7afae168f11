import kafkajs from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CONSUMED,
  event,
  FakeKafka,
  payload,
  protocolError,
  startProcessor,
  stopStartedProcessors,
  TOPICS,
} from '../test/fixtures/fakeKafka.js';
import type { BatchMetrics } from './types.js';

const { KafkaJSNonRetriableError } = kafkajs;

afterEach(stopStartedProcessors);

describe('AggregateProcessor group ownership', () => {
  it('skips messages below the committed position that a previous owner already processed', async () => {
    const fake = new FakeKafka();
    fake.committed = { [`${TOPICS.updated}/1`]: '5' };
    const batches: BatchMetrics[] = [];
    const skipped: string[] = [];
    await startProcessor(fake, {
      onBatch: (m) => batches.push(m),
      onSkippedBatch: ({ reason }) => skipped.push(reason),
    });
    fake.join([1]);
    const old = payload(TOPICS.updated, 1, [
      { offset: 3, event: event('p-1', 1) },
      { offset: 4, event: event('p-1', 2) },
    ]);
    await fake.eachBatch!(old);
    expect(skipped).toEqual(['already-committed']);
    expect(old.resolved).toEqual(['4']);
    const mixed = payload(TOPICS.updated, 1, [
      { offset: 4, event: event('p-1', 2) },
      { offset: 5, event: event('p-1', 3) },
      { offset: 6, event: event('p-1', 4) },
    ]);
    await fake.eachBatch!(mixed);
    expect(batches.map((b) => [b.firstOffset, b.lastOffset, b.messages])).toEqual([['5', '6', 2]]);
  });

  it('drops a fenced group, pauses its partitions, and takes it back after the backoff', async () => {
    const fake = new FakeKafka();
    const fenced: number[] = [];
    const skipped: string[] = [];
    await startProcessor(fake, {
      onFenced: ({ group }) => fenced.push(group),
      onSkippedBatch: ({ reason }) => skipped.push(reason),
    });
    fake.join([0]);
    // Wrapped the way kafkajs' retrier wraps a non-retriable protocol error.
    const epoch = protocolError('INVALID_PRODUCER_EPOCH');
    fake.failNext.push(Object.assign(new KafkaJSNonRetriableError(epoch), { cause: epoch }));
    const first = payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }]);
    await fake.eachBatch!(first);
    expect(fenced).toEqual([0]);
    expect(first.resolved).toEqual([]);
    expect(fake.paused).toEqual(CONSUMED.map((t) => `${t}/0`));
    expect(fake.producers[0]!.disconnected).toBe(true);
    expect(fake.producers[0]!.transactions.at(-1)!.state).toBe('aborted');

    // While paused, a batch already fetched for the group is left alone.
    const queued = payload(TOPICS.updated, 0, [{ offset: 0, event: event('p-1', 2) }]);
    await fake.eachBatch!(queued);
    expect(queued.resolved).toEqual([]);
    expect(skipped).toEqual(['fenced']);

    await vi.waitFor(() => expect(fake.resumed).toEqual(CONSUMED.map((t) => `${t}/0`)));
    const again = payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }]);
    await fake.eachBatch!(again);
    expect(again.resolved).toEqual(['0']);
    expect(fake.producers).toHaveLength(2);
    expect(fake.commits()).toHaveLength(1);
  });

  it('resumes a fenced group at once when a rebalance gives it back', async () => {
    const fake = new FakeKafka();
    await startProcessor(fake, {}, { fencedBackoffMs: 60_000 });
    fake.join([0]);
    fake.failNext.push(protocolError('PRODUCER_FENCED'));
    await fake.eachBatch!(payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }]));
    expect(fake.resumed).toEqual([]);
    fake.join([0]);
    expect(fake.resumed).toEqual(CONSUMED.map((t) => `${t}/0`));
  });

  it('leaves the batch at once when a rebalance starts while the group is still being restored', async () => {
    const fake = new FakeKafka();
    let open: () => void = () => {};
    fake.offsetsGate = new Promise((resolve) => {
      open = resolve;
    });
    await startProcessor(fake, {}, { consumer: { heartbeatInterval: 1, sessionTimeout: 10 } });
    fake.join([0]);
    const rebalancing = protocolError('REBALANCE_IN_PROGRESS');
    const p = payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }], {
      heartbeat: async () => {
        throw rebalancing;
      },
    });
    await expect(fake.eachBatch!(p)).rejects.toBe(rebalancing);
    open();
    expect(fake.commits()).toEqual([]);
  });

  it('drops the state and closes the producer of a group moved to another member', async () => {
    const fake = new FakeKafka();
    const assignments: number[][] = [];
    const processor = await startProcessor(fake, {
      onAssignment: ({ groups }) => assignments.push([...groups]),
    });
    fake.join([0, 1]);
    await fake.eachBatch!(payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }]));
    fake.join([1]);
    expect(processor.assignedGroups).toEqual([1]);
    expect(assignments).toEqual([[0, 1], [1]]);
    const g0 = fake.producers.find((p) => p.transactionalId === 'app-aggregate-g0')!;
    await vi.waitFor(() => expect(g0.disconnected).toBe(true));
  });

  it('takes a group whose batch arrives before its assignment, and ignores topics it does not consume', async () => {
    const fake = new FakeKafka();
    const processor = await startProcessor(fake);
    const early = payload(TOPICS.created, 1, [{ offset: 0, event: event('p-1', 1) }]);
    await fake.eachBatch!(early);
    expect(early.resolved).toEqual(['0']);
    expect(processor.assignedGroups).toEqual([1]);

    fake.listeners.get('consumer.group_join')?.({
      payload: {
        memberAssignment: { ...Object.fromEntries(CONSUMED.map((t) => [t, [1]])), 'not.consumed': [7] },
      },
    });
    expect(processor.assignedGroups).toEqual([1]);
  });

  it('abandons a batch of a group not yet taken when the consumer stops, before or while restoring', async () => {
    const fake = new FakeKafka();
    let open: () => void = () => {};
    fake.offsetsGate = new Promise((resolve) => {
      open = resolve;
    });
    await startProcessor(fake, {}, { consumer: { heartbeatInterval: 1, sessionTimeout: 10 } });
    // Running when the batch starts, stopped by the time the group is to be taken.
    let started = false;
    const stopped = payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }], {
      isStale: () => {
        started = true;
        return false;
      },
      isRunning: () => !started,
    });
    await fake.eachBatch!(stopped);
    expect(stopped.resolved).toEqual([]);
    expect(fake.producers).toEqual([]);

    // Running while it waits for the restore (held at the offsets request), stopped after a heartbeat.
    let heartbeats = 0;
    const stopping = payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }], {
      heartbeat: async () => {
        heartbeats += 1;
      },
      isRunning: () => heartbeats === 0,
    });
    await fake.eachBatch!(stopping);
    expect(heartbeats).toBe(1);
    expect(stopping.resolved).toEqual([]);
    open();
    expect(fake.commits()).toEqual([]);
  });

  it('closes the producer of a group whose restore finished after the group was revoked', async () => {
    const fake = new FakeKafka();
    let open: () => void = () => {};
    fake.offsetsGate = new Promise((resolve) => {
      open = resolve;
    });
    const processor = await startProcessor(fake);
    fake.join([0]);
    await vi.waitFor(() => expect(fake.producers).toHaveLength(1));
    fake.join([]);
    expect(processor.assignedGroups).toEqual([]);
    open();
    await vi.waitFor(() => expect(fake.producers[0]!.disconnected).toBe(true));
  });
});
