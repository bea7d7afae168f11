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

afterEach(stopStartedProcessors);

describe('AggregateProcessor lifecycle', () => {
  it('abandons a batch waiting for a restore when the processor stops', async () => {
    const fake = new FakeKafka();
    fake.offsetsGate = new Promise(() => {});
    const processor = await startProcessor(
      fake,
      {},
      { consumer: { heartbeatInterval: 1, sessionTimeout: 10 }, shutdownTimeoutMs: 200 },
    );
    fake.join([0]);
    const pending = fake.eachBatch!(payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }]));
    await processor.stop().catch(() => {});
    await expect(pending).resolves.toBeUndefined();
    expect(fake.consumerStopped).toBe(true);
    expect(processor.ready).toBe(false);
    await processor.stop();
  });

  it('reports a consumer crash that kafkajs will not restart once, and is no longer ready', async () => {
    const fake = new FakeKafka();
    const fatal: unknown[] = [];
    const processor = await startProcessor(fake, {}, { onFatal: (error) => fatal.push(error) });
    fake.join([0]);
    const crash = protocolError('GROUP_AUTHORIZATION_FAILED');

    fake.crash(crash, false);
    fake.crash(crash, false);
    fake.join([0]);

    expect(fatal).toEqual([crash]);
    expect(processor.ready).toBe(false);
  });

  it('treats a crash kafkajs restarts as not fatal: not ready until the member rejoins', async () => {
    const fake = new FakeKafka();
    const fatal: unknown[] = [];
    const processor = await startProcessor(fake, {}, { onFatal: (error) => fatal.push(error) });
    fake.join([0]);

    fake.crash(new Error('connection lost'), true);
    const whileRestarting = processor.ready;
    fake.join([0]);

    expect(whileRestarting).toBe(false);
    expect(processor.ready).toBe(true);
    expect(fatal).toEqual([]);
  });

  it('reports a batch that fails with a permanent error, commits nothing and hands the batch back', async () => {
    const fake = new FakeKafka();
    const fatal: unknown[] = [];
    const failed: unknown[] = [];
    const processor = await startProcessor(
      fake,
      { onBatchFailed: ({ permanent, topic }) => failed.push({ permanent, topic }) },
      { onFatal: (error) => fatal.push(error) },
    );
    fake.join([0]);
    const denied = protocolError('GROUP_AUTHORIZATION_FAILED');
    fake.failFetchOffsets = denied;
    const p = payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }]);

    await expect(fake.eachBatch!(p)).rejects.toBe(denied);
    await expect(fake.eachBatch!(p)).rejects.toBe(denied);

    expect(fatal).toEqual([denied]);
    expect(failed).toEqual([
      { permanent: true, topic: TOPICS.created },
      { permanent: true, topic: TOPICS.created },
    ]);
    expect(processor.ready).toBe(false);
    expect(p.resolved).toEqual([]);
    expect(fake.commits()).toEqual([]);
  });

  it('does not report transient faults whose retries ran out as fatal', async () => {
    const fake = new FakeKafka();
    const fatal: unknown[] = [];
    const failed: unknown[] = [];
    const processor = await startProcessor(
      fake,
      { onBatchFailed: (info) => failed.push(info) },
      { retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 }, onFatal: (error) => fatal.push(error) },
    );
    fake.join([0]);
    const broken = protocolError('NOT_LEADER_FOR_PARTITION');
    fake.failNext.push(broken, broken);

    await expect(
      fake.eachBatch!(payload(TOPICS.created, 0, [{ offset: 0, event: event('p-1', 1) }])),
    ).rejects.toMatchObject({ code: 'RETRIES_EXHAUSTED' });

    expect(fatal).toEqual([]);
    expect(failed).toEqual([
      expect.objectContaining({
        group: 0,
        topic: TOPICS.created,
        partition: 0,
        attempts: 2,
        permanent: false,
      }),
    ]);
    expect(processor.ready).toBe(true);
  });
});
