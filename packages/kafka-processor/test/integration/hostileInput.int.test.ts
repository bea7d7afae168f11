/**
 * Stage 1 against input it does not control: record batches compressed by an independent producer
 * (kcat, i.e. librdkafka, as Java and other clients compress them), batches over the
 * decompression bound, records too large to dead-letter whole, dead letters the broker refuses,
 * and event times in the future. Every input ends as metrics or as one coded dead letter, and no
 * partition stalls.
 */

import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  computeMetrics,
  decodeMetricChange,
  foldMetricChanges,
  replayToStates,
} from '@marketplace/analytics-aggregator';
import { type ProductEvent, topicForEventType } from '@marketplace/product-events';
import { ReducerPool } from '@marketplace/worker-pool';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readClasspath } from '../../../local-stack/src/maven.js';
import { eventually, kafkaClient, testStack, uniqueName } from '../../../local-stack/test/clients.js';
import { AggregateProcessor, type AggregateProcessorOptions } from '../../src/AggregateProcessor.js';
import { registerKafkaCodecs } from '../../src/codecs.js';
import { DEAD_LETTER_HEADERS as H } from '../../src/defaults.js';
import { decodeInputRecords } from '../../src/inputRecords.js';
import { MetricChangeConsumer } from '../../src/MetricChangeConsumer.js';
import { encodeOutputBatch } from '../../src/outputRecords.js';
import { createTopicsAndWait } from '../../src/prepareTopics.js';
import type { BatchMetrics } from '../../src/types.js';
import {
  createInputTopics,
  deleteTopics,
  eventRecords,
  headerString,
  produceAll,
  readOutputs,
  type TestTopics,
  testTopics,
  waitUntilConsumed,
} from './helpers.js';

const PARTITIONS = 3;

let clock = 0;

/** A valid event; `occurredAt` may be rewritten by the caller. */
function event(type: ProductEvent['type'], productId: string, version: number, index: number): ProductEvent {
  clock += 1;
  const base = {
    eventId: randomUUID(),
    schemaVersion: 1 as const,
    productId,
    version,
    occurredAt: new Date(Date.UTC(2026, 10, 25, 10) + clock * 1_000).toISOString(),
  };
  const sellerId = `s-${index % 7}`;
  if (type === 'product.deleted') return { ...base, type, data: { sellerId, category: `c-${index % 5}` } };
  return {
    ...base,
    type,
    data: {
      sellerId,
      category: `c-${index % 5}`,
      name: `name of ${productId}`,
      priceCents: 100 + (index % 9) * 50,
      currency: 'USD',
      quantity: (index * 7) % 25,
      status: 'active',
    },
  };
}

/** `count` events over 30 products, in version order per product. */
function stream(count: number, offset = 0): ProductEvent[] {
  const events: ProductEvent[] = [];
  for (let i = offset; i < offset + count; i++) {
    const version = Math.floor(i / 30) + 1;
    const type = version === 1 ? 'product.created' : i % 11 === 0 ? 'product.deleted' : 'product.updated';
    events.push(event(type, `p-${i % 30}`, version, i));
  }
  return events;
}

/** The same instant written with a -05:00 offset (`…T05:00:00-05:00` for 10:00Z). */
function withOffset(occurredAt: string): string {
  const local = new Date(Date.parse(occurredAt) - 5 * 3_600_000).toISOString();
  return `${local.slice(0, 19)}-05:00`;
}

/**
 * Produces with kcat (librdkafka), compressed with `codec`: one kcat run per topic, records in
 * order, keyed (`-K` tab), partitioned like Java and kafkajs (murmur2).
 */
function produceWithKcat(
  topic: string,
  codec: 'gzip' | 'snappy' | 'lz4' | 'zstd',
  lines: { key: string; value: string }[],
  headers: Record<string, string>,
  extraArgs: string[] = [],
): void {
  const args = ['-P', '-b', testStack().kafkaBrokers[0]!, '-t', topic, '-z', codec, '-K', '\t'];
  args.push('-X', 'partitioner=murmur2_random', ...extraArgs);
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  const input = `${lines.map((l) => `${l.key}\t${l.value}`).join('\n')}\n`;
  const result = spawnSync('kcat', args, { input, encoding: 'utf8', timeout: 60_000 });
  if (result.error || result.status !== 0) {
    throw new Error(`kcat failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}`);
  }
}

function produceEventsWithKcat(
  events: ProductEvent[],
  t: TestTopics,
  codec: Parameters<typeof produceWithKcat>[1],
): void {
  for (const type of ['product.created', 'product.updated', 'product.deleted'] as const) {
    const ofType = events.filter((e) => e.type === type);
    if (ofType.length === 0) continue;
    produceWithKcat(
      topicForEventType(type, t.topics),
      codec,
      ofType.map((e) => ({ key: e.productId, value: JSON.stringify(e) })),
      { 'content-type': 'application/json', 'event-type': type, 'schema-version': '1' },
    );
  }
}

/**
 * Produces with Kafka's own Java client (`test/fixtures/JavaProducer.java`, run as a single-file
 * source program on the local broker's class path, which holds kafka-clients and its codecs):
 * `lines` in order, each with its codec; Java writes snappy with xerial framing.
 */
function produceWithJava(
  lines: { codec: string; topic: string; key: string; value: string; type: string }[],
): void {
  const classpath = readClasspath('kafka');
  if (classpath === undefined) throw new Error('the Kafka class path is not resolved (pnpm stack prepare)');
  const source = new URL('../fixtures/JavaProducer.java', import.meta.url).pathname;
  const input = `${lines.map((l) => [l.codec, l.topic, l.key, l.value, l.type].join('\t')).join('\n')}\n`;
  const result = spawnSync('java', ['-cp', classpath, source, testStack().kafkaBrokers[0]!], {
    input,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error || result.status !== 0) {
    throw new Error(
      `the Java producer failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}`,
    );
  }
}

// The hooks of the workspace's kafkajs patch that stream threads install stage 1's records decoder
// and batch encoder through (inputRecords.ts, outputRecords.ts); set here on the test's own
// kafkajs to run foreign input, and stage 1's output, through them.
const requireKafkajs = createRequire(import.meta.url);
const { setRecordsDecoder } = requireKafkajs('kafkajs/src/protocol/recordBatch/v0/decoder.js') as {
  setRecordsDecoder(decoder: typeof decodeInputRecords | undefined): void;
};
const { setRecordBatchEncoder } = requireKafkajs('kafkajs/src/protocol/requests/produce/v3/request.js') as {
  setRecordBatchEncoder(encoder: typeof encodeOutputBatch | undefined): void;
};

/** Batches stage 1's own codec decoded and encoded so far. */
type CodecUse = () => { decoded: number; encoded: number };

/**
 * The record codecs stage 1 runs with: kafkajs' own (main thread) and stage 1's (stream threads).
 * `use` installs it and returns its counts.
 */
const RECORD_CODECS = [
  {
    name: "kafkajs' record codec (main thread)",
    own: false,
    use: (): CodecUse => {
      // A test file run before this one in the same worker may have installed stage 1's.
      setRecordsDecoder(undefined);
      setRecordBatchEncoder(undefined);
      return () => ({ decoded: 0, encoded: 0 });
    },
  },
  {
    name: "stage 1's record codec (stream threads)",
    own: true,
    use: (): CodecUse => {
      const counts = { decoded: 0, encoded: 0 };
      setRecordsDecoder((...args) => {
        const records = decodeInputRecords(...args);
        if (records !== undefined) counts.decoded++;
        return records;
      });
      setRecordBatchEncoder((context) => {
        const batch = encodeOutputBatch(context);
        if (batch !== undefined) counts.encoded++;
        return batch;
      });
      return () => counts;
    },
  },
];

const sha256 = (value: Buffer): string => createHash('sha256').update(value).digest('hex');

describe('stage 1 against hostile and foreign input (real broker, kcat as producer)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let pool: ReducerPool;
  const created: string[] = [];

  beforeAll(async () => {
    const version = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
    if (version.error || version.status !== 0) {
      throw new Error(
        'kcat is not installed: these tests produce compressed input with it as an independent producer ' +
          '(Debian: apt-get install -y kcat; .ci/run installs it)',
      );
    }
    kafka = kafkaClient();
    admin = kafka.admin();
    await admin.connect();
    pool = new ReducerPool({ inline: true });
  });

  afterEach(() => {
    registerKafkaCodecs();
    setRecordsDecoder(undefined);
    setRecordBatchEncoder(undefined);
  });

  afterAll(async () => {
    await deleteTopics(admin, created);
    await admin?.disconnect();
    await pool?.destroy();
  });

  function track(topics: TestTopics): TestTopics {
    created.push(...topics.all);
    return topics;
  }

  async function runUntilConsumed(
    t: TestTopics,
    options: Partial<AggregateProcessorOptions> = {},
  ): Promise<{ batches: BatchMetrics[]; warnings: string[] }> {
    const applicationId = uniqueName('hostile');
    const batches: BatchMetrics[] = [];
    const warnings: string[] = [];
    const fatal: unknown[] = [];
    const processor = new AggregateProcessor({
      kafka,
      applicationId,
      topics: t.topics,
      internalTopics: t.internalTopics,
      pool,
      retry: { minDelayMs: 10, maxDelayMs: 100 },
      metrics: { onBatch: (b) => batches.push(b) },
      onFatal: (error) => fatal.push(error),
      logger: {
        debug: () => {},
        info: () => {},
        warn: (message) => warnings.push(message),
        error: (message) => warnings.push(message),
      },
      ...options,
    });
    await processor.start();
    try {
      await waitUntilConsumed(admin, `${applicationId}-aggregate`, Object.values(t.topics));
    } finally {
      await processor.stop();
    }
    expect(fatal).toEqual([]);
    return { batches, warnings };
  }

  async function expectMetricsOf(
    t: TestTopics,
    events: ProductEvent[],
  ): Promise<Awaited<ReturnType<typeof readOutputs>>> {
    const outputs = await readOutputs(kafka, admin, t.internalTopics);
    const changes = outputs.metricChanges.map((r) => decodeMetricChange(r.value!));
    expect(foldMetricChanges(changes)).toEqual(computeMetrics(replayToStates(events).values()));
    return outputs;
  }

  it.each(RECORD_CODECS)(
    'reads gzip, snappy, lz4 and zstd batches from kcat into the three topics, metrics equal to the oracle, with $name',
    async ({ use, own }) => {
      const stage1Codec = use();
      const t = track(testTopics('codecs'));
      await createInputTopics(admin, t.topics, PARTITIONS);
      const events = stream(480);
      // A third of the events carry a zone offset: the watermark must order them as instants.
      events.forEach((e, i) => {
        if (i % 3 === 0) e.occurredAt = withOffset(e.occurredAt);
      });
      const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
      const chunk = events.length / codecs.length;
      for (const [i, codec] of codecs.entries()) {
        produceEventsWithKcat(events.slice(i * chunk, (i + 1) * chunk), t, codec);
      }
      // One event 10 years ahead: dead-lettered with its own code, not applied.
      const future = { ...event('product.updated', 'p-1', 1_000, 1), occurredAt: '2036-11-27T00:00:00Z' };
      produceWithKcat(t.topics.updated, 'lz4', [{ key: future.productId, value: JSON.stringify(future) }], {
        'event-type': 'product.updated',
      });

      // The processor's own output is lz4 too, and read back through the same codecs.
      const { batches } = await runUntilConsumed(t, { compression: 'lz4' });

      const outputs = await expectMetricsOf(t, events);
      expect(outputs.deadLetters.map((r) => headerString(r.headers, H.errorCode))).toEqual([
        'EVENT_TIME_IN_FUTURE',
      ]);
      expect(batches.reduce((n, b) => n + b.applied + b.duplicate + b.stale, 0)).toBe(events.length);
      // The watermark (event time of metric changes) is canonical UTC text.
      for (const record of outputs.metricChanges) {
        expect(decodeMetricChange(record.value!).eventTime).toMatch(
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
        );
      }
      // Its output is lz4, which kafkajs compresses itself.
      if (own) expect(stage1Codec().decoded).toBeGreaterThanOrEqual(codecs.length);
    },
  );

  it.each(RECORD_CODECS)(
    "reads gzip, snappy, lz4 and zstd batches from Kafka's own Java producer, metrics equal to the oracle, with $name",
    async ({ use, own }) => {
      const stage1Codec = use();
      const t = track(testTopics('java'));
      await createInputTopics(admin, t.topics, PARTITIONS);
      const events = stream(480);
      const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
      const chunk = events.length / codecs.length;
      produceWithJava(
        events.map((e, i) => ({
          codec: codecs[Math.floor(i / chunk)]!,
          topic: topicForEventType(e.type, t.topics),
          key: e.productId,
          value: JSON.stringify(e),
          type: e.type,
        })),
      );

      await runUntilConsumed(t);

      const outputs = await expectMetricsOf(t, events);
      expect(outputs.deadLetters).toEqual([]);
      if (own) {
        expect(stage1Codec().decoded).toBeGreaterThanOrEqual(codecs.length);
        expect(stage1Codec().encoded).toBeGreaterThan(0);
      }
    },
  );

  it('dead-letters a compressed batch over maxDecompressedBytes by reference, and the partition moves on', async () => {
    const t = track(testTopics('bound'));
    await createInputTopics(admin, t.topics, 1);
    const inflating = stream(60).map((e) => ({ ...e, pad: 'x'.repeat(1_000) }));
    const valid = stream(90, 60).filter((e) => e.type !== 'product.created');
    const creates = stream(30);
    registerKafkaCodecs({ maxDecompressedBytes: 8_192 });
    produceWithKcat(
      t.topics.created,
      'gzip',
      inflating
        .filter((e) => e.type === 'product.created')
        .map((e) => ({ key: e.productId, value: JSON.stringify(e) })),
      { 'event-type': 'product.created' },
      // One record batch for all of them.
      ['-X', 'linger.ms=500'],
    );
    await produceAll(kafka, eventRecords([...creates, ...valid], t));

    const { batches } = await runUntilConsumed(t);
    registerKafkaCodecs();

    // The oversized batch(es) are dead letters by reference; everything else is applied.
    const outputs = await expectMetricsOf(t, [...creates, ...valid]);
    expect(outputs.deadLetters.length).toBeGreaterThanOrEqual(1);
    let next = 0n;
    for (const dead of outputs.deadLetters) {
      expect(dead.key).toBeNull();
      expect(dead.value).toBeNull();
      expect(headerString(dead.headers, H.errorCode)).toBe('DECOMPRESSED_TOO_LARGE');
      expect(headerString(dead.headers, H.form)).toBe('reference');
      expect(headerString(dead.headers, H.sourceTopic)).toBe(t.topics.created);
      expect(Number(headerString(dead.headers, H.compressedBytes))).toBeGreaterThan(0);
      // The ranges cover the kcat records without gap or overlap, each once.
      expect(BigInt(headerString(dead.headers, H.sourceOffset)!)).toBe(next);
      next = BigInt(headerString(dead.headers, H.sourceLastOffset)!) + 1n;
    }
    expect(next).toBe(30n);
    const byCode = batches.map((b) => b.invalidByCode.DECOMPRESSED_TOO_LARGE ?? 0);
    expect(byCode.reduce((a, b) => a + b, 0)).toBe(outputs.deadLetters.length);
  });

  it('dead-letters a 900 KB payload with a 200 KB mismatched key in bounded form, and the partition moves on', async () => {
    const t = track(testTopics('huge'));
    await createTopicsAndWait(
      admin,
      Object.values(t.topics).map((topic) => ({
        topic,
        numPartitions: PARTITIONS,
        configEntries: [{ name: 'max.message.bytes', value: String(4 * 1024 * 1024) }],
      })),
    );
    const before = stream(60);
    const after = stream(60, 60);
    const huge = { ...event('product.updated', 'p-7', 999, 7), pad: 'v'.repeat(900_000) };
    const hugeValue = Buffer.from(JSON.stringify(huge));
    const hugeKey = Buffer.from('k'.repeat(200_000));
    await produceAll(kafka, eventRecords(before, t));
    // kcat sends it in a fraction of the time kafkajs' encoder takes for a 1.1 MB record.
    produceWithKcat(
      t.topics.updated,
      'gzip',
      [{ key: hugeKey.toString(), value: hugeValue.toString() }],
      { 'event-type': 'product.updated' },
      ['-X', 'message.max.bytes=4000000'],
    );
    await produceAll(kafka, eventRecords(after, t));

    await runUntilConsumed(t);

    const outputs = await expectMetricsOf(t, [...before, ...after]);
    expect(outputs.deadLetters).toHaveLength(1);
    const [dead] = outputs.deadLetters;
    expect(headerString(dead!.headers, H.errorCode)).toBe('KEY_MISMATCH');
    expect(headerString(dead!.headers, H.form)).toBe('truncated');
    expect(headerString(dead!.headers, H.valueBytes)).toBe(String(hugeValue.length));
    expect(headerString(dead!.headers, H.valueSha256)).toBe(sha256(hugeValue));
    expect(headerString(dead!.headers, H.keySha256)).toBe(sha256(hugeKey));
    expect(dead!.value!.equals(hugeValue.subarray(0, dead!.value!.length))).toBe(true);
    expect(headerString(dead!.headers, H.errorMessage)!.length).toBeLessThan(300);
  });

  it('falls back to reference-only dead letters when the broker refuses them as too large', async () => {
    const t = track(testTopics('refused'));
    await createInputTopics(admin, t.topics, PARTITIONS);
    // The dead-letter topic takes no record batch over 8 KiB.
    await createTopicsAndWait(admin, [
      {
        topic: t.internalTopics.deadLetter,
        numPartitions: PARTITIONS,
        configEntries: [{ name: 'max.message.bytes', value: '8192' }],
      },
    ]);
    const events = stream(60);
    const invalid = Buffer.from(`{"not json${' '.repeat(100_000)}`);
    await produceAll(kafka, [...eventRecords(events.slice(0, 30), t)]);
    await produceAll(kafka, [{ topic: t.topics.created, key: 'p-x', value: invalid }]);
    await produceAll(kafka, [...eventRecords(events.slice(30), t)]);

    const { warnings } = await runUntilConsumed(t);

    expect(warnings).toContain('output refused as too large; retrying with dead letters by reference');
    const outputs = await expectMetricsOf(t, events);
    expect(outputs.deadLetters).toHaveLength(1);
    const [dead] = outputs.deadLetters;
    expect(dead!.value).toBeNull();
    expect(headerString(dead!.headers, H.form)).toBe('reference');
    expect(headerString(dead!.headers, H.errorCode)).toBe('INVALID_JSON');
    expect(headerString(dead!.headers, H.valueSha256)).toBe(sha256(invalid));
    expect(headerString(dead!.headers, H.sourceTopic)).toBe(t.topics.created);
  });

  it('stage 2 counts and skips a metric-change batch over the bound, then goes on', async () => {
    const topic = uniqueName('mc-bound');
    created.push(topic);
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]);
    registerKafkaCodecs({ maxDecompressedBytes: 4_096 });
    produceWithKcat(
      topic,
      'zstd',
      Array.from({ length: 20 }, (_, i) => ({ key: `k-${i}`, value: `{"pad":"${'z'.repeat(1_000)}"}` })),
      {},
      ['-X', 'linger.ms=500'],
    );
    const invalid: { offset: string; error: unknown }[] = [];
    const groupId = uniqueName('mc-bound');
    const consumer = new MetricChangeConsumer({
      kafka,
      groupId,
      topic,
      handleBatch: async () => {},
      metrics: { onInvalidRecord: ({ offset, error }) => invalid.push({ offset, error }) },
    });
    await consumer.start();
    try {
      await waitUntilConsumed(admin, groupId, [topic], 30_000);
    } finally {
      await consumer.stop();
    }
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.offset).toBe('19');
    expect((invalid[0]!.error as Error).message).toContain('offsets 0..19 could not be decompressed');
    expect((invalid[0]!.error as Error).cause).toMatchObject({
      code: 'DECOMPRESSED_TOO_LARGE',
      codec: 'zstd',
    });
  });

  it('refuses to restore from a changelog batch it cannot decompress (RESTORE_FAILED, fatal)', async () => {
    const t = track(testTopics('restore-bound'));
    await createInputTopics(admin, t.topics, 1);
    await createTopicsAndWait(admin, [
      {
        topic: t.internalTopics.productState,
        numPartitions: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ]);
    registerKafkaCodecs({ maxDecompressedBytes: 4_096 });
    produceWithKcat(
      t.internalTopics.productState,
      'snappy',
      Array.from({ length: 20 }, (_, i) => ({ key: `p-${i}`, value: `{"pad":"${'s'.repeat(1_000)}"}` })),
      {},
      ['-X', 'linger.ms=500'],
    );
    await produceAll(kafka, eventRecords(stream(10), t));
    const fatal: unknown[] = [];
    const processor = new AggregateProcessor({
      kafka,
      applicationId: uniqueName('restore-bound'),
      topics: t.topics,
      internalTopics: t.internalTopics,
      pool,
      onFatal: (error) => fatal.push(error),
    });
    await processor.start();
    try {
      const error = await eventually(() => fatal[0]);
      expect(error).toMatchObject({ code: 'RESTORE_FAILED', retryable: false });
      expect((error as Error).message).toContain('offsets 0..19 could not be decompressed');
    } finally {
      await processor.stop();
    }
  });
});
