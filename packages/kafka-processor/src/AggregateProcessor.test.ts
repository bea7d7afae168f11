/**
 * Unit tests of the batch protocol of AggregateProcessor with an in-memory stand-in for the
 * kafkajs client (a third-party library, not one of our modules): they drive `eachBatch` directly
 * to pin down paths a real broker produces only by chance — stale and stopped batches, messages
 * below the committed position, fencing, rebalances, failed transactions, revocation. The real
 * broker behaviour is covered by the integration tests in test/integration.
 */
import { encodeProductEvent, type ProductEvent } from '@marketplace/product-events';
import { ReducerPool } from '@marketplace/worker-pool';
import type { EachBatchPayload, Kafka, KafkaMessage, ProducerBatch } from 'kafkajs';
import kafkajs from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AggregateProcessor, type AggregateProcessorOptions } from './AggregateProcessor.js';
import { DEAD_LETTER_HEADERS, DEFAULT_INTERNAL_TOPICS } from './defaults.js';
import { partitionForKey } from './partitioners.js';
import { DEFAULT_EPOCH_TOPIC } from './pipelineEpoch.js';
import { REROUTE_HEADERS, REROUTE_NOT_OWNER } from './rerouteMessage.js';
import type { BatchMetrics, ProcessorMetricsHooks } from './types.js';

const { KafkaJSProtocolError, KafkaJSNonRetriableError } = kafkajs;
const TOPICS = { created: 'product.created', updated: 'product.updated', deleted: 'product.deleted' };
const INPUTS = Object.values(TOPICS);
/** Everything the consumer group reads: the inputs and the reroute topic. */
const CONSUMED = [...INPUTS, DEFAULT_INTERNAL_TOPICS.reroute];

function protocolError(type: string): Error {
  return new KafkaJSProtocolError({ type, code: 1, message: type, retriable: false } as unknown as Error);
}

interface FakeTransaction {
  sent: ProducerBatch[];
  offsets: unknown[];
  state: 'active' | 'committed' | 'aborted';
}

/** In-memory stand-in for the parts of kafkajs the processor uses. */
class FakeKafka {
  readonly producers: { transactionalId: string; transactions: FakeTransaction[]; disconnected: boolean }[] =
    [];
  readonly paused: string[] = [];
  readonly resumed: string[] = [];
  committed: Record<string, string> = {};
  failNext: Error[] = [];
  failOffsets: Error[] = [];
  offsetsGate: Promise<void> = Promise.resolve();
  failFetchOffsets: Error | undefined;
  listeners = new Map<string, (event: { payload: unknown }) => void>();
  eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  consumerStopped = false;

  readonly admin = () => ({
    connect: async () => {},
    disconnect: async () => {},
    listTopics: async () => [...INPUTS, ...Object.values(DEFAULT_INTERNAL_TOPICS), DEFAULT_EPOCH_TOPIC],
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
      topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0 }, { partitionId: 1 }] })),
    }),
    describeConfigs: async ({ resources }: { resources: { name: string }[] }) => ({
      resources: resources.map((r) => ({
        resourceName: r.name,
        configEntries: [{ configName: 'cleanup.policy', configValue: 'compact' }],
      })),
    }),
    fetchTopicOffsets: async () => [
      { partition: 0, high: '0', low: '0', offset: '0' },
      { partition: 1, high: '0', low: '0', offset: '0' },
    ],
    fetchOffsets: async ({ topics }: { topics: string[] }) => {
      await this.offsetsGate;
      if (this.failFetchOffsets) throw this.failFetchOffsets;
      return topics.map((topic) => ({
        topic,
        partitions: [0, 1].map((partition) => ({
          partition,
          offset: this.committed[`${topic}/${partition}`] ?? '-1',
        })),
      }));
    },
  });

  readonly consumer = () => ({
    events: { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' },
    on: (event: string, listener: (event: { payload: unknown }) => void) => {
      this.listeners.set(event, listener);
      return () => {};
    },
    connect: async () => {},
    subscribe: async () => {},
    run: async ({ eachBatch }: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      this.eachBatch = eachBatch;
    },
    stop: async () => {
      this.consumerStopped = true;
    },
    disconnect: async () => {},
    pause: (topics: { topic: string; partitions: number[] }[]) => {
      for (const t of topics) this.paused.push(`${t.topic}/${t.partitions.join(',')}`);
    },
    resume: (topics: { topic: string; partitions: number[] }[]) => {
      for (const t of topics) this.resumed.push(`${t.topic}/${t.partitions.join(',')}`);
    },
  });

  readonly producer = ({ transactionalId }: { transactionalId: string }) => {
    const record = { transactionalId, transactions: [] as FakeTransaction[], disconnected: false };
    this.producers.push(record);
    const fail = async (): Promise<void> => {
      const error = this.failNext.shift();
      if (error) throw error;
    };
    return {
      connect: async () => {},
      disconnect: async () => {
        record.disconnected = true;
      },
      transaction: async () => {
        const txn: FakeTransaction = { sent: [], offsets: [], state: 'active' };
        record.transactions.push(txn);
        return {
          sendBatch: async (batch: ProducerBatch) => {
            await fail();
            txn.sent.push(batch);
          },
          sendOffsets: async (offsets: unknown) => {
            const error = this.failOffsets.shift();
            if (error) throw error;
            txn.offsets.push(offsets);
          },
          commit: async () => {
            txn.state = 'committed';
          },
          abort: async () => {
            txn.state = 'aborted';
          },
          isActive: () => txn.state === 'active',
        };
      },
    };
  };

  join(groups: number[]): void {
    this.listeners.get('consumer.group_join')?.({
      payload: { memberAssignment: Object.fromEntries(CONSUMED.map((t) => [t, groups])) },
    });
  }

  crash(error: Error, restart: boolean): void {
    this.listeners.get('consumer.crash')?.({ payload: { error, groupId: 'app-aggregate', restart } });
  }

  commits(): FakeTransaction[] {
    return this.producers
      .flatMap((p) => p.transactions)
      .filter((t) => t.state === 'committed' && t.offsets.length > 0);
  }
}

let clock = 0;
function event(productId: string, version: number, quantity = 20): ProductEvent {
  clock += 1;
  return {
    eventId: `00000000-0000-4000-8000-${String(clock).padStart(12, '0')}`,
    type: version === 1 ? 'product.created' : 'product.updated',
    schemaVersion: 1,
    productId,
    version,
    occurredAt: new Date(Date.UTC(2026, 10, 25) + clock * 1000).toISOString(),
    data: {
      sellerId: 's-1',
      category: 'books',
      name: 'n',
      priceCents: 100,
      currency: 'USD',
      quantity,
      status: 'active',
    },
  };
}

function payload(
  topic: string,
  partition: number,
  events: { offset: number; event: ProductEvent }[],
  overrides: Partial<EachBatchPayload> = {},
): EachBatchPayload & { resolved: string[] } {
  const messages = events.map(
    ({ offset, event: e }) =>
      ({
        ...encodeProductEvent(e),
        key: Buffer.from(e.productId),
        offset: String(offset),
      }) as unknown as KafkaMessage,
  );
  const resolved: string[] = [];
  const last = messages.at(-1)!.offset;
  return {
    batch: {
      topic,
      partition,
      highWatermark: String(Number(last) + 1),
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => messages[0]!.offset,
      lastOffset: () => last,
      offsetLag: () => '0',
      offsetLagLow: () => '0',
    },
    resolveOffset: (offset: string) => resolved.push(offset),
    heartbeat: async () => {},
    pause: () => () => {},
    commitOffsetsIfNecessary: async () => {},
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: () => true,
    isStale: () => false,
    resolved,
    ...overrides,
  };
}

const pool = new ReducerPool({ inline: true });
const started: AggregateProcessor[] = [];

async function startProcessor(
  fake: FakeKafka,
  metrics: ProcessorMetricsHooks = {},
  options: Partial<AggregateProcessorOptions> = {},
): Promise<AggregateProcessor> {
  const processor = new AggregateProcessor({
    kafka: fake as unknown as Kafka,
    applicationId: 'app',
    pool,
    metrics,
    retry: { minDelayMs: 1, maxDelayMs: 2 },
    fencedBackoffMs: 10,
    ...options,
  });
  await processor.start();
  started.push(processor);
  return processor;
}

afterEach(async () => {
  for (const p of started.splice(0)) await p.stop().catch(() => {});
});

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

describe('AggregateProcessor fatal failures', () => {
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
