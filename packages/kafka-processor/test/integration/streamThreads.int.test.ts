/**
 * Stage 1 on stream threads (docs/architecture.md#stream-threads): each thread is its own member
 * of the consumer group with its own client, producers and states. The groups are split between
 * the threads, every input offset is committed by exactly one batch, and the outputs equal the
 * independent oracle. The thread body (`runStreamThread`) is also run on a `MessageChannel`, so
 * what it posts is checked message by message.
 */
import { createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { type GeneratedMessage, generateMarketplaceStream } from '@marketplace/product-events';
import type { Admin, Kafka } from 'kafkajs';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kafkaClient, testStack, uniqueName } from '../../../local-stack/test/clients.js';
import {
  AggregateStreamThreads,
  injectThreadFault,
  streamThreadFileOverride,
} from '../../src/AggregateStreamThreads.js';
import { StreamThreadError } from '../../src/errors.js';
import { runStreamThread, type StreamThreadMessage } from '../../src/streamThread.js';
import type { BatchMetrics } from '../../src/types.js';
import {
  createInputTopics,
  deleteTopics,
  produceAll,
  readOutputs,
  testTopics,
  waitUntilConsumed,
} from './helpers.js';
import { expectOutputsMatchOracle } from './oracle.js';

const PARTITIONS = 3;

function stream(seed: number, topics: ReturnType<typeof testTopics>['topics']): GeneratedMessage[] {
  return [
    ...generateMarketplaceStream({
      seed,
      events: 4_000,
      products: 400,
      sellers: 10,
      categories: 5,
      duplicateRate: 0.05,
      reorder: { window: 10 },
      malformedRate: 0.01,
      lowStockRate: 0.2,
      topics,
    }),
  ];
}

/** Stream threads on `t` with the options every test shares, plus `extra`. */
function threadsOn(
  t: ReturnType<typeof testTopics>,
  applicationId: string,
  extra: Partial<ConstructorParameters<typeof AggregateStreamThreads>[0]> = {},
): AggregateStreamThreads {
  return new AggregateStreamThreads({
    kafka: { clientId: applicationId, brokers: testStack().kafkaBrokers, logLevel: logLevel.NOTHING },
    processor: { applicationId, topics: t.topics, internalTopics: t.internalTopics },
    ...extra,
  });
}

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

describe('AggregateStreamThreads', () => {
  let kafka: Kafka;
  let admin: Admin;
  const created: string[] = [];

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await deleteTopics(admin, created);
    await admin.disconnect();
    // The thread body run on a port below installed stage 1's record codec in this worker's
    // kafkajs (a stream thread installs it in its own): leave kafkajs' for the next test file.
    const kafkajsModule = createRequire(import.meta.url);
    kafkajsModule('kafkajs/src/protocol/recordBatch/v0/decoder.js').setRecordsDecoder(undefined);
    kafkajsModule('kafkajs/src/protocol/requests/produce/v3/request.js').setRecordBatchEncoder(undefined);
  });

  it('splits the groups between two threads, commits every input offset once and ends equal to the oracle', async () => {
    const t = testTopics('stream-threads');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, PARTITIONS);
    const generated = stream(4242, t.topics);
    const applicationId = uniqueName('stream-threads');
    const batches: BatchMetrics[] = [];
    const assignments: number[][] = [];
    const logs: LogLine[] = [];
    const stage = threadsOn(t, applicationId, {
      threads: 2,
      kafka: { clientId: applicationId, brokers: testStack().kafkaBrokers, logLevel: logLevel.WARN },
      metrics: {
        onBatch: (m) => batches.push(m),
        onAssignment: ({ groups }) => assignments.push([...groups]),
      },
      logger: {
        debug: () => {},
        info: (message, fields = {}) => logs.push({ level: 'info', message, fields }),
        warn: (message, fields = {}) => logs.push({ level: 'warn', message, fields }),
        error: (message, fields = {}) => logs.push({ level: 'error', message, fields }),
      },
    });
    expect(stage.ready).toBe(false);

    await produceAll(kafka, generated);
    await stage.start();
    try {
      await eventually(() => {
        expect(stage.ready).toBe(true);
        expect(stage.assignedGroups).toEqual([0, 1, 2]);
        return true;
      });
      expect(stage.groupCount).toBe(PARTITIONS);
      await waitUntilConsumed(admin, `${applicationId}-aggregate`, Object.values(t.topics));
      // Each thread reports how busy it was and its heap about once per second.
      await eventually(() => {
        expect(stage.threadStats().map((s) => s.thread)).toEqual([0, 1]);
        return true;
      });
      for (const stats of stage.threadStats()) {
        expect(stats.utilization).toBeGreaterThan(0);
        expect(stats.utilization).toBeLessThanOrEqual(1);
        // A thread's heap holds kafkajs, the processor and its groups' states.
        expect(stats.heapUsedBytes).toBeGreaterThan(4 * 1024 * 1024);
      }
    } finally {
      await stage.stop();
    }
    expect(stage.ready).toBe(false);
    expect(stage.threadStats()).toEqual([]);

    // Both threads committed batches: the groups were split between two members.
    const groupsWithBatches = new Set(batches.map((b) => b.group));
    expect(groupsWithBatches).toEqual(new Set([0, 1, 2]));
    const members = logs
      .filter((l) => l.message === 'aggregate processor started')
      .map((l) => l.fields.thread);
    expect(members.sort()).toEqual([0, 1]);
    // The hooks saw the groups of both threads together, ending with all of them.
    expect(assignments.at(-1)).toEqual([0, 1, 2]);
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);

    // Every input offset was committed by exactly one batch.
    const covered = new Set<string>();
    for (const b of batches) {
      for (let offset = BigInt(b.firstOffset); offset <= BigInt(b.lastOffset); offset++) {
        const position = `${b.topic}/${b.partition}/${offset}`;
        expect(covered.has(position)).toBe(false);
        covered.add(position);
      }
    }
    expect(batches.reduce((n, b) => n + b.messages, 0)).toBe(generated.length);
    expectOutputsMatchOracle(await readOutputs(kafka, admin, t.internalTopics), generated);
  });

  it('rejects start with the thread and its processor error when the processor cannot start, leaving no thread', async () => {
    const applicationId = uniqueName('stream-threads-missing');
    const missing = testTopics('stream-threads-missing');
    const fatal: unknown[] = [];
    const stage = threadsOn(missing, applicationId, { threads: 2, onFatal: (e) => fatal.push(e) });
    const error = await stage.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamThreadError);
    expect((error as StreamThreadError).code).toBe('STREAM_THREAD_START_FAILED');
    // The processor's own error, as it crossed the thread boundary: its code survives.
    expect((error as StreamThreadError).cause).toMatchObject({ code: 'TOPIC_MISMATCH' });
    // The message carries the processor's, so a caller that logs only the message loses nothing.
    expect((error as StreamThreadError).message).toContain(
      (error as StreamThreadError & { cause: { message: string } }).cause.message,
    );
    // Reported once, by start(): the threads stopping themselves afterwards is no death.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fatal).toEqual([]);
    expect(stage.ready).toBe(false);
    expect(stage.assignedGroups).toEqual([]);
  });

  it('reports a start failure once, through start(), when one thread fails and exits before another has answered', async () => {
    const fatal: unknown[] = [];
    const stage = new AggregateStreamThreads({
      threads: 2,
      kafka: { brokers: testStack().kafkaBrokers },
      processor: { applicationId: uniqueName('stream-threads-uneven') },
      onFatal: (e) => fatal.push(e),
      [streamThreadFileOverride]: new URL(
        '../fixtures/stream-thread-start-fails-unevenly.mjs',
        import.meta.url,
      ),
    } as ConstructorParameters<typeof AggregateStreamThreads>[0]);

    const error = await stage.start().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toMatchObject({ code: 'STREAM_THREAD_START_FAILED', thread: 0 });
    expect((error as Error).message).toContain('the pipeline is being rescaled');
    // Thread 0 exited while thread 1 was still starting: no STREAM_THREAD_DIED on top.
    expect(fatal).toEqual([]);
  });

  it('reports a thread that died as fatal (STREAM_THREAD_DIED), is not ready, and still stops the others', async () => {
    const t = testTopics('stream-threads-died');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, PARTITIONS);
    const applicationId = uniqueName('stream-threads-died');
    const fatal: StreamThreadError[] = [];
    const exited: unknown[] = [];
    const stage = threadsOn(t, applicationId, {
      threads: 2,
      onFatal: (error) => fatal.push(error),
      logger: {
        debug: (message, fields = {}) => {
          if (message === 'stream thread exited') exited.push(fields.thread);
        },
        info: () => {},
        warn: () => {},
        error: () => {},
      },
    });
    await stage.start();
    try {
      await eventually(() => {
        expect(stage.ready).toBe(true);
        return true;
      });
      stage[injectThreadFault](1, 'exit');
      await eventually(() => {
        expect(fatal.map((e) => [e.code, e.thread])).toEqual([['STREAM_THREAD_DIED', 1]]);
        return true;
      });
      expect(fatal[0]!.message).toMatch(/exited with code 3/);
      expect(stage.ready).toBe(false);
      // onFatal is called once: the other thread dying afterwards is not reported again.
      stage[injectThreadFault](0, 'exit');
      await eventually(() => {
        expect(exited).toEqual([1, 0]);
        return true;
      });
      expect(fatal).toHaveLength(1);
      await expect(stage.start()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    } finally {
      await stage.stop();
    }
  });

  it('terminates a thread that does not stop within stopTimeoutMs, and says so', async () => {
    const t = testTopics('stream-threads-hung');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, PARTITIONS);
    const applicationId = uniqueName('stream-threads-hung');
    const warnings: LogLine[] = [];
    const stage = threadsOn(t, applicationId, {
      threads: 1,
      stopTimeoutMs: 300,
      logger: {
        debug: () => {},
        info: () => {},
        warn: (message, fields = {}) => warnings.push({ level: 'warn', message, fields }),
        error: () => {},
      },
    });
    await stage.start();
    stage[injectThreadFault](0, 'ignore-stop');
    await stage.stop();
    expect(
      warnings.find((w) => w.message === 'stream thread did not stop in time; terminating it')?.fields,
    ).toEqual({
      thread: 0,
      stopTimeoutMs: 300,
    });
    expect(stage.ready).toBe(false);
  });

  it('rejects start with STREAM_THREAD_DIED when the thread module cannot load', async () => {
    const stage = new AggregateStreamThreads({
      threads: 1,
      kafka: { brokers: testStack().kafkaBrokers },
      processor: { applicationId: uniqueName('stream-threads-load') },
      [streamThreadFileOverride]: new URL('../fixtures/stream-thread-throws-on-load.mjs', import.meta.url),
    } as ConstructorParameters<typeof AggregateStreamThreads>[0]);
    const error = await stage.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'STREAM_THREAD_DIED', thread: 0 });
    expect((error as Error).message).toMatch(/stream thread module failed to load/);

    const throwsString = new AggregateStreamThreads({
      threads: 1,
      kafka: { brokers: testStack().kafkaBrokers },
      processor: { applicationId: uniqueName('stream-threads-load') },
      [streamThreadFileOverride]: new URL('../fixtures/stream-thread-throws-string.mjs', import.meta.url),
    } as ConstructorParameters<typeof AggregateStreamThreads>[0]);
    await expect(throwsString.start()).rejects.toMatchObject({
      code: 'STREAM_THREAD_DIED',
      message: expect.stringMatching(/not an Error object/),
    });
  });

  it('reports a processor that failed for good as STREAM_THREAD_FATAL with its error (a foreign changelog record)', async () => {
    const t = testTopics('stream-threads-fatal');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, 1);
    const applicationId = uniqueName('stream-threads-fatal');
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: t.internalTopics.productState,
          numPartitions: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: t.internalTopics.productState,
      messages: [{ key: 'p-1', value: 'not a product state', partition: 0 }],
    });
    await producer.disconnect();
    await produceAll(kafka, stream(5, t.topics).slice(0, 20));
    const fatal: StreamThreadError[] = [];
    const stage = threadsOn(t, applicationId, { threads: 1, onFatal: (error) => fatal.push(error) });
    await stage.start();
    try {
      await eventually(() => {
        expect(fatal).toHaveLength(1);
        return true;
      }, 60_000);
      expect(fatal[0]).toMatchObject({ code: 'STREAM_THREAD_FATAL', thread: 0, retryable: false });
      expect(fatal[0]!.cause).toMatchObject({ code: 'RESTORE_FAILED' });
      expect(stage.ready).toBe(false);
    } finally {
      await stage.stop();
    }
  });

  it('refuses options that cannot cross a thread boundary, naming them', () => {
    expect(
      () =>
        new AggregateStreamThreads({
          kafka: { brokers: ['127.0.0.1:9'], logCreator: () => () => {} },
          processor: { applicationId: 'x' },
        }),
    ).toThrow(/kafka\.logCreator/);
    expect(
      () =>
        new AggregateStreamThreads({ threads: 0, kafka: { brokers: [] }, processor: { applicationId: 'x' } }),
    ).toThrow(/threads/);
    const invalid = (options: unknown) => () =>
      new AggregateStreamThreads(options as ConstructorParameters<typeof AggregateStreamThreads>[0]);
    expect(invalid(null)).toThrow(/"options"/);
    expect(invalid({ kafka: null, processor: { applicationId: 'x' } })).toThrow(/"kafka"/);
    expect(invalid({ kafka: { brokers: [] }, processor: null })).toThrow(/"processor"/);
    expect(invalid({ kafka: { brokers: [] }, processor: { applicationId: 'x' }, maxEventBytes: 0 })).toThrow(
      /"maxEventBytes"/,
    );
    const defaults = new AggregateStreamThreads({
      kafka: { brokers: [] },
      processor: { applicationId: 'x' },
      maxEventBytes: 4096,
    });
    expect(defaults.threads).toBeGreaterThanOrEqual(1);
  });

  it('runs the thread body on a port: posts start-failed, then stopped, when its processor cannot start', async () => {
    const missing = testTopics('stream-thread-body-missing');
    const { port1, port2 } = new MessageChannel();
    const messages: StreamThreadMessage[] = [];
    port2.on('message', (m: StreamThreadMessage) => messages.push(m));
    await runStreamThread(port1, {
      index: 0,
      kafka: { clientId: 'body-missing', brokers: testStack().kafkaBrokers, logLevel: logLevel.NOTHING },
      processor: { applicationId: uniqueName('body-missing'), topics: missing.topics },
      metrics: false,
      codecs: {},
      maxEventBytes: undefined,
      statePollMs: 50,
    });
    await eventually(() => {
      expect(messages.at(-1)).toEqual({ type: 'stopped' });
      return true;
    });
    expect(messages.find((m) => m.type === 'start-failed')).toMatchObject({
      error: { code: 'TOPIC_MISMATCH' },
    });
    expect(messages.some((m) => m.type === 'started' || m.type === 'metric')).toBe(false);
    port2.close();
  });

  it('runs the thread body on a port: posts started, its state, logs with its index, hooks, and stopped', async () => {
    const t = testTopics('stream-thread-body');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, PARTITIONS);
    const generated = stream(77, t.topics).slice(0, 600);
    await produceAll(kafka, generated);
    const applicationId = uniqueName('stream-thread-body');
    const { port1, port2 } = new MessageChannel();
    const messages: StreamThreadMessage[] = [];
    port2.on('message', (m: StreamThreadMessage) => messages.push(m));
    const running = runStreamThread(port1, {
      index: 5,
      kafka: { clientId: applicationId, brokers: testStack().kafkaBrokers, logLevel: logLevel.INFO },
      processor: { applicationId, topics: t.topics, internalTopics: t.internalTopics },
      metrics: true,
      codecs: { maxDecompressedBytes: 8 * 1024 * 1024 },
      maxEventBytes: 64 * 1024,
      statePollMs: 20,
    });
    await running;
    try {
      await eventually(() => {
        expect(messages.some((m) => m.type === 'started')).toBe(true);
        const states = messages.filter((m) => m.type === 'state');
        expect(states.at(-1)).toMatchObject({ ready: true, groups: [0, 1, 2], groupCount: PARTITIONS });
        return true;
      });
      await waitUntilConsumed(admin, `${applicationId}-aggregate`, Object.values(t.topics));
      await eventually(() => {
        const batched = messages.flatMap((m) =>
          m.type === 'metric' && m.hook === 'onBatch' ? [(m.info as BatchMetrics).messages] : [],
        );
        expect(batched.reduce((n, k) => n + k, 0)).toBe(generated.length);
        return true;
      });
    } finally {
      port2.postMessage({ type: 'stop' });
      await eventually(() => {
        expect(messages.at(-1)).toEqual({ type: 'stopped' });
        return true;
      });
      port2.close();
    }
    const logs = messages.filter((m) => m.type === 'log');
    // The processor's own lines and kafkajs' (through the thread's logCreator) carry the index.
    expect(logs.find((m) => m.message === 'aggregate processor started')?.fields.thread).toBe(5);
    expect(logs.some((m) => m.fields.client === 'kafkajs' && m.fields.thread === 5)).toBe(true);
    expect(messages.some((m) => m.type === 'metric' && m.hook === 'onRestore')).toBe(true);
  });
});
