import {
  decodeProductState,
  encodeProductState,
  encodeProductStateJson,
  type ProductState,
} from '@marketplace/analytics-aggregator';
import { SILENT_LOGGER } from '@marketplace/options';
import type { Admin, Kafka, Producer, Transaction } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient, testStack, uniqueName } from '../../../local-stack/test/clients.js';
import { registerKafkaCodecs } from '../../src/codecs.js';
import { RestoreError } from '../../src/errors.js';
import { encodeGroupEpochMarker } from '../../src/pipelineEpoch.js';
import { createTopicsAndWait } from '../../src/prepareTopics.js';
import { type FetchLimits, readChangelogPartitions } from '../../src/readChangelogPartitions.js';
import { unpackStates } from '../../src/restoredStatesTransfer.js';
import { type RestoreThreadsOptions, restoreGroupStates } from '../../src/restoreGroupStates.js';
import { type RestoreTask, type RestoreTaskResult, runRestoreTask } from '../../src/restoreTask.js';
import { serveRestoreTask } from '../../src/restoreWorker.js';
import { deleteTopics } from './helpers.js';
import { produceWithKcat } from './kcat.js';

function state(productId: string, version: number, quantity = 5): ProductState {
  return {
    productId,
    version,
    sellerId: 's-1',
    category: 'books',
    priceCents: 100,
    currency: 'USD',
    quantity,
    status: 'active',
    deleted: false,
    updatedAt: `2026-11-25T10:00:0${version % 10}.000Z`,
  };
}

/** Creates a compacted topic (a changelog) of `partitions`, remembered in `created` for deletion. */
async function compactedTopic(
  admin: Admin,
  created: string[],
  prefix: string,
  partitions: number,
): Promise<string> {
  const topic = uniqueName(prefix);
  created.push(topic);
  await createTopicsAndWait(admin, [
    { topic, numPartitions: partitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
  ]);
  return topic;
}

// Threads even for these small changelogs.
const threadsOf = (threads: number): RestoreThreadsOptions => ({
  threads,
  minRecordsPerThread: 1,
  kafkaConfig: { clientId: 'restore-thread', brokers: testStack().kafkaBrokers },
});

// One client and admin for the whole file; every topic a test creates is deleted at the end.
let kafka: Kafka;
let admin: Admin;
const topics: string[] = [];

beforeAll(async () => {
  kafka = kafkaClient();
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await deleteTopics(admin, topics);
  await admin.disconnect();
});

describe.each([
  ['on the main thread', () => undefined],
  ['on restore threads', () => threadsOf(2)],
])('restoreGroupStates %s', (_, threads) => {
  const changelog = (partitions: number) => compactedTopic(admin, topics, 'changelog', partitions);

  const options = (topic: string, groups: number[], timeoutMs = 30_000) => ({
    kafka,
    admin,
    topic,
    groups,
    timeoutMs,
    logger: SILENT_LOGGER,
    ...(threads() === undefined ? {} : { threads: threads()! }),
  });

  it('restores the latest committed state per product of each group, skipping aborted writes and tombstoned keys', async () => {
    const topic = await changelog(3);
    const transactionalId = uniqueName('tx');
    const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({
      topic,
      messages: [
        { key: 'p-1', value: encodeProductState(state('p-1', 1)), partition: 0 },
        { key: 'p-2', value: encodeProductState(state('p-2', 1)), partition: 0 },
        { key: 'p-1', value: encodeProductState(state('p-1', 2, 7)), partition: 0 },
        { key: 'p-3', value: encodeProductState(state('p-3', 4)), partition: 1 },
      ],
    });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({
      topic,
      messages: [{ key: 'p-1', value: encodeProductState(state('p-1', 9)), partition: 0 }],
    });
    await aborted.abort();
    const tombstone = await producer.transaction();
    await tombstone.send({ topic, messages: [{ key: 'p-2', value: null, partition: 0 }] });
    await tombstone.commit();
    await producer.disconnect();
    // As in the processor, restore while holding the group's producer: initialising it waits for
    // the commit markers of earlier transactions, which the broker writes after commit() returns.
    const holder = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await holder.connect();
    await (await holder.transaction()).abort();

    const restored = await restoreGroupStates(options(topic, [0, 1, 2])).finally(() => holder.disconnect());

    expect(restored.get(0)!.states).toEqual(new Map([['p-1', state('p-1', 2, 7)]]));
    expect(restored.get(0)!.records).toBe(4);
    expect(restored.get(1)!.states).toEqual(new Map([['p-3', state('p-3', 4)]]));
    expect(restored.get(2)!.states.size).toBe(0);
  });

  it('reads a record whose key is empty as the epoch marker, never as a product, and skips one that is not a marker', async () => {
    const topic = await changelog(1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: '', value: encodeGroupEpochMarker(3), partition: 0 },
        { key: '', value: encodeProductState(state('p-0', 1)), partition: 0 },
        { key: 'p-1', value: encodeProductState(state('p-1', 1)), partition: 0 },
      ],
    });
    await producer.disconnect();

    const restored = await restoreGroupStates(options(topic, [0]));

    expect(restored.get(0)!.states).toEqual(new Map([['p-1', state('p-1', 1)]]));
    expect(restored.get(0)!.records).toBe(1);
    expect(restored.get(0)!.epoch).toBe(3);
  });

  it('reads a tombstoned epoch marker as epoch 0', async () => {
    const topic = await changelog(1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: '', value: encodeGroupEpochMarker(3), partition: 0 },
        { key: '', value: null, partition: 0 },
      ],
    });
    await producer.disconnect();

    const restored = await restoreGroupStates(options(topic, [0]));

    expect(restored.get(0)!.epoch).toBe(0);
    expect(restored.get(0)!.states.size).toBe(0);
  });

  it('fails without retrying when a changelog record is not a product state', async () => {
    const topic = await changelog(1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'p-1', value: 'garbage', partition: 0 }] });
    await producer.disconnect();

    const failure = await restoreGroupStates(options(topic, [0])).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RestoreError);
    expect((failure as RestoreError).retryable).toBe(false);
    expect((failure as RestoreError).groups).toEqual([0]);
  });

  it('fails retryably when the end of the changelog is not reached in time', async () => {
    const topic = await changelog(1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ key: 'p-1', value: encodeProductState(state('p-1', 1)), partition: 0 }],
    });
    await producer.disconnect();

    const failure = await restoreGroupStates(options(topic, [0], 1)).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RestoreError);
    expect((failure as RestoreError).retryable).toBe(true);
  });

  it('refuses a group the changelog has no partition for', async () => {
    const topic = await changelog(1);
    await expect(restoreGroupStates(options(topic, [3]))).rejects.toMatchObject({
      code: 'RESTORE_FAILED',
      retryable: false,
    });
  });

  it('restores a changelog mixing JSON values (written before the binary format) and binary ones', async () => {
    const topic = await changelog(2);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'p-1', value: encodeProductStateJson(state('p-1', 1)), partition: 0 },
        { key: 'p-2', value: encodeProductStateJson(state('p-2', 1)), partition: 0 },
        { key: 'p-1', value: encodeProductState(state('p-1', 2)), partition: 0 },
        { key: 'p-3', value: encodeProductState(state('p-3', 1)), partition: 1 },
        { key: 'p-3', value: encodeProductStateJson(state('p-3', 5)), partition: 1 },
        {
          key: 'p-4',
          value: encodeProductStateJson({ ...state('p-4', 1), sellerId: 's-\ud800' }),
          partition: 1,
        },
      ],
    });
    await producer.disconnect();

    const restored = await restoreGroupStates(options(topic, [0, 1]));

    expect(restored.get(0)!.states).toEqual(
      new Map([
        ['p-1', state('p-1', 2)],
        ['p-2', state('p-2', 1)],
      ]),
    );
    expect(restored.get(1)!.states).toEqual(
      new Map([
        ['p-3', state('p-3', 5)],
        ['p-4', { ...state('p-4', 1), sellerId: 's-\ud800' }],
      ]),
    );
    expect(restored.get(1)!.records).toBe(3);
  });

  it('fails without retrying when a value carries an unknown format version', async () => {
    const topic = await changelog(1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const future = encodeProductState(state('p-1', 1));
    future[0] = 9;
    await producer.send({ topic, messages: [{ key: 'p-1', value: future, partition: 0 }] });
    await producer.disconnect();

    const failure = await restoreGroupStates(options(topic, [0])).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'RESTORE_FAILED', retryable: false, groups: [0] });
  });
});

describe('restoreGroupStates over several threads', () => {
  let topic: string;

  beforeAll(async () => {
    topic = await compactedTopic(admin, topics, 'changelog', 6);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // 6 partitions of different sizes; every product written 1 to 3 times, some deleted.
    for (let version = 1; version <= 3; version++) {
      const messages = [];
      for (let i = 0; i < 600; i++) {
        if (version > 1 + (i % 3)) continue;
        const partition = i % 6 === 5 ? 0 : i % 6;
        const deleted = version === 3 && i % 7 === 0;
        messages.push({
          key: `p-${i}`,
          value: deleted ? null : encodeProductState(state(`p-${i}`, version, i % 20)),
          partition,
        });
      }
      await producer.send({ topic, messages });
    }
    await producer.disconnect();
  });

  const restore = (threads?: RestoreThreadsOptions) =>
    restoreGroupStates({
      kafka,
      admin,
      topic,
      groups: [0, 1, 2, 3, 4, 5],
      timeoutMs: 60_000,
      logger: SILENT_LOGGER,
      ...(threads === undefined ? {} : { threads }),
    });

  it('reads on the main thread when there are fewer records than minRecordsPerThread', async () => {
    // No thread could reach this broker: the restore succeeds only on the main thread.
    const unreachable = {
      threads: 2,
      minRecordsPerThread: 100_000,
      kafkaConfig: { brokers: ['127.0.0.1:1'] },
    };

    expect(await restore(unreachable)).toEqual(await restore());
  });

  it('restores the same groups on 1, 2 and 4 threads as on the main thread, leaving no socket open', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    const single = await restore();
    // Every connection the reader opened is closed (a leaked one also keeps a restore thread alive).
    expect(sockets()).toBe(before);

    expect([...single.values()].reduce((n, r) => n + r.states.size, 0)).toBeGreaterThan(400);
    expect(single.get(5)!.states.size).toBe(0);
    for (const threads of [1, 2, 4]) {
      expect(await restore(threadsOf(threads))).toEqual(single);
    }
  });
});

// What a restore thread runs, called here on the main thread (code in worker threads is not
// counted by coverage; the threads themselves are tested above).
describe('runRestoreTask', () => {
  async function changelogWith(messages: Array<{ key: string; value: Buffer | string | null }>) {
    const topic = uniqueName('changelog');
    topics.push(topic);
    await createTopicsAndWait(admin, [
      { topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, messages: messages.map((m) => ({ ...m, partition: 0 })) });
    await producer.disconnect();
    return topic;
  }

  const task = (topic: string, high: number, timeoutMs = 30_000): RestoreTask => ({
    kafkaConfig: { clientId: 'restore-task', brokers: testStack().kafkaBrokers },
    topic,
    targets: [[0, String(high)]],
    from: [[0, '0']],
    timeoutMs,
    maxDecompressedBytes: 1024 * 1024,
  });

  it('returns the latest value per product in the binary format, tombstones and epoch marker applied, with warnings', async () => {
    const topic = await changelogWith([
      { key: '', value: encodeGroupEpochMarker(2) },
      { key: '', value: 'not a marker' },
      { key: 'p-1', value: encodeProductStateJson(state('p-1', 1)) },
      { key: 'p-2', value: encodeProductState(state('p-2', 1)) },
      { key: 'p-2', value: null },
    ]);

    const result = await runRestoreTask(task(topic, 5));

    expect(result.ok).toBe(true);
    const [group] = (result as RestoreTaskResult & { ok: true }).groups;
    expect(group).toMatchObject({ group: 0, records: 3, epoch: 2 });
    expect(unpackStates(group!.states)).toEqual(new Map([['p-1', state('p-1', 1)]]));
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/not an epoch marker/);
  });

  it('reports an invalid value as a non-retryable failure, as plain data with its cause', async () => {
    const topic = await changelogWith([{ key: 'p-1', value: 'garbage' }]);

    const result = await runRestoreTask(task(topic, 1));

    expect(result).toMatchObject({
      ok: false,
      failure: {
        groups: [0],
        message: 'record at offset 0 is not a product state',
        retryable: false,
        cause: { name: 'DecodeError', code: 'INVALID_PRODUCT_STATE' },
      },
    });
  });

  it('reports a timeout as a retryable failure', async () => {
    const topic = await changelogWith([{ key: 'p-1', value: encodeProductState(state('p-1', 1)) }]);

    const result = await runRestoreTask(task(topic, 1, 1));

    expect(result).toMatchObject({ ok: false, failure: { groups: [0], retryable: true } });
    expect((result as { failure: { cause?: unknown } }).failure.cause).toBeUndefined();
  });

  it('reports a broker it cannot reach as a retryable failure of all its groups', async () => {
    const unreachable: RestoreTask = {
      ...task('no-such-topic', 1),
      targets: [
        [0, '1'],
        [3, '1'],
      ],
      from: [
        [0, '0'],
        [3, '0'],
      ],
      kafkaConfig: { brokers: ['127.0.0.1:1'], connectionTimeout: 100, retry: { retries: 0 } },
    };

    const result = await runRestoreTask(unreachable);

    expect(result).toMatchObject({ ok: false, failure: { groups: [0, 3], retryable: true } });
  });

  it('posts the result of a task, transferring the packed states of each group (serveRestoreTask)', async () => {
    const topic = await changelogWith([{ key: 'p-1', value: encodeProductState(state('p-1', 1)) }]);
    const posted: Array<{ value: unknown; transfer: readonly ArrayBuffer[] | undefined }> = [];
    const port = {
      postMessage: (value: unknown, transfer?: readonly ArrayBuffer[]) => posted.push({ value, transfer }),
    };

    await serveRestoreTask(port, task(topic, 1));
    await serveRestoreTask(port, task(topic, 1, 1));

    const [served, failed] = posted;
    const groups = (served!.value as RestoreTaskResult & { ok: true }).groups;
    expect(served!.transfer).toEqual([groups[0]!.states]);
    expect(unpackStates(groups[0]!.states)).toEqual(new Map([['p-1', state('p-1', 1)]]));
    expect(failed).toMatchObject({ value: { ok: false }, transfer: [] });
  });
});

describe('readChangelogPartitions (the restore reader) against other writers and many fetches', () => {
  beforeAll(() => registerKafkaCodecs());

  const changelog = (partitions: number) => compactedTopic(admin, topics, 'changelog-reader', partitions);

  /** Reads `partitions` to their high watermarks; every put, remove and superseded count seen. */
  /**
   * Reads `partitions` to their ends as the admin client lists them (read_committed: up to the last
   * stable offset) or to the given ends.
   */
  async function readAll(
    topic: string,
    partitions: number[],
    fetchLimits?: FetchLimits,
    ends?: Map<number, bigint>,
  ) {
    const offsets = await admin.fetchTopicOffsets(topic);
    const states = new Map<number, Map<string, ProductState>>(partitions.map((p) => [p, new Map()]));
    let records = 0;
    await readChangelogPartitions(
      {
        kafka,
        topic,
        targets:
          ends ?? new Map(partitions.map((p) => [p, BigInt(offsets.find((o) => o.partition === p)!.high)])),
        timeoutMs: 30_000,
        logger: SILENT_LOGGER,
        ...(fetchLimits === undefined ? {} : { fetchLimits }),
      },
      {
        put(partition, key, value) {
          records += 1;
          states.get(partition)!.set(key, decodeProductState(value));
        },
        remove(partition, key) {
          records += 1;
          states.get(partition)!.delete(key);
        },
        epoch() {},
        superseded(_, count) {
          records += count;
        },
      },
    );
    return { states, records };
  }

  const tiny: FetchLimits = { maxWaitMs: 50, maxBytes: 2048, partitionMaxBytes: 700 };

  it('reads batches kcat (librdkafka) wrote in gzip, snappy, lz4 and zstd, in one fetch and in many', async () => {
    const topic = await changelog(1);
    const expected = new Map<string, ProductState>();
    let version = 0;
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      version += 1;
      const records = Array.from({ length: 30 }, (_, i) => {
        const s = state(`p-${i}`, version, i);
        expected.set(s.productId, s);
        return { topic, key: s.productId, value: encodeProductStateJson(s), headers: {} };
      });
      // linger.ms puts the 30 records in one compressed batch.
      await produceWithKcat(testStack().kafkaBrokers, records, undefined, [
        '-p',
        '0',
        '-z',
        codec,
        '-X',
        'linger.ms=200',
      ]);
    }

    const once = await readAll(topic, [0]);
    const many = await readAll(topic, [0], tiny);

    expect(once.states.get(0)).toEqual(expected);
    expect(many.states.get(0)).toEqual(expected);
    expect(once.records).toBe(120);
    expect(many.records).toBe(120);
  });

  it('waits for a transaction still open when the read starts and reads it once committed', async () => {
    const topic = await changelog(1);
    const producer = kafka.producer({
      transactionalId: uniqueName('reader-open'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const tx = await producer.transaction();
    const written = [state('p-1', 1), state('p-2', 1)];
    await tx.send({
      topic,
      messages: written.map((s) => ({ key: s.productId, value: encodeProductState(s), partition: 0 })),
    });

    // Its two records are offsets 0 and 1; read_committed answers nothing past it until it ends.
    const reading = readAll(topic, [0], undefined, new Map([[0, 2n]]));
    await new Promise((resolve) => setTimeout(resolve, 600));
    await tx.commit();
    const { states, records } = await reading;
    await producer.disconnect();

    expect(states.get(0)).toEqual(new Map(written.map((s) => [s.productId, s])));
    expect(records).toBe(2);
  });

  it('gives the same states over many small fetches as over one, with aborted transactions crossing fetch boundaries', async () => {
    const topic = await changelog(2);
    const ids = [uniqueName('reader-a'), uniqueName('reader-b')];
    const [a, b] = ids.map((transactionalId) =>
      kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 }),
    ) as [Producer, Producer];
    await Promise.all([a.connect(), b.connect()]);
    const expected = [new Map<string, ProductState>(), new Map<string, ProductState>()];
    const send = async (tx: Transaction, version: number, keep: boolean) => {
      const messages = Array.from({ length: 20 }, (_, i) => {
        const s = state(`p-${i}`, version, version + i);
        if (keep) expected[i % 2]!.set(s.productId, s);
        return { key: s.productId, value: encodeProductState(s), partition: i % 2 };
      });
      for (let i = 0; i < messages.length; i += 5)
        await tx.send({ topic, messages: messages.slice(i, i + 5) });
    };
    for (let round = 0; round < 3; round++) {
      // A's transaction spans B's aborted one; each is several batches long.
      const txA = await a.transaction();
      await send(txA, 10 * round + 1, true);
      const txB = await b.transaction();
      await send(txB, 10 * round + 2, false);
      await send(txA, 10 * round + 3, round !== 1);
      await txB.abort();
      if (round === 1) await txA.abort();
      else await txA.commit();
    }
    // Tombstones of two products in a last transaction.
    const tx = await a.transaction();
    await tx.send({ topic, messages: [0, 1].map((p) => ({ key: `p-${p}`, value: null, partition: p })) });
    await tx.commit();
    expected[0]!.delete('p-0');
    expected[1]!.delete('p-1');
    await Promise.all([a.disconnect(), b.disconnect()]);
    // As the processor does before a restore: initialising each producer again waits for the
    // markers of its last transaction, which the broker writes after commit() and abort() return
    // (read right away, the last stable offset may still stop before the tombstones).
    await Promise.all(
      ids.map(async (transactionalId) => {
        const fence = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
        await fence.connect();
        await (await fence.transaction()).abort();
        await fence.disconnect();
      }),
    );

    const once = await readAll(topic, [0, 1]);
    const many = await readAll(topic, [0, 1], tiny);

    expect(once.states.get(0)).toEqual(expected[0]);
    expect(once.states.get(1)).toEqual(expected[1]);
    expect(many.states).toEqual(once.states);
    // Committed product records: rounds 0 and 2 (2 x 20 each) and round 1's none, plus 2 tombstones.
    expect(once.records).toBe(82);
    expect(many.records).toBe(82);
  });
});
