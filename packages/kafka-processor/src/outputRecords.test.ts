import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerKafkaCodecs } from './codecs.js';
import { encodeOutputBatch, installOutputBatchEncoder, type OutputMessage } from './outputRecords.js';

// kafkajs' own produce request (version 3, which kafkajs' later versions reuse): every case
// compares the request bytes it writes with and without this module's batch encoder.
const require = createRequire(import.meta.url);
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as ((args: {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: Array<{
    topic: string;
    partitions: Array<{ partition: number; firstSequence?: number; messages: OutputMessage[] }>;
  }>;
}) => { encode(): Promise<{ buffer: Buffer }> }) & {
  setRecordBatchEncoder(encoder: typeof encodeOutputBatch | undefined): void;
};

type Outcome = { ok: true; bytes: Buffer } | { ok: false; error: string };

async function encodeWith(
  partitions: Array<{ partition: number; messages: OutputMessage[] }>,
  encoder: typeof encodeOutputBatch | undefined,
  options: { transactionalId?: string | null; compression?: number } = {},
): Promise<Outcome> {
  produceRequest.setRecordBatchEncoder(encoder);
  try {
    const request = produceRequest({
      acks: -1,
      timeout: 30_000,
      transactionalId:
        options.transactionalId === undefined ? 'analytics-aggregate-g3' : options.transactionalId,
      producerId: '4711',
      producerEpoch: 12,
      compression: options.compression ?? 0,
      topicData: [
        { topic: 'analytics.product-state', partitions: partitions.map((p) => ({ ...p, firstSequence: 0 })) },
      ],
    });
    return { ok: true, bytes: (await request.encode()).buffer };
  } catch (error) {
    return { ok: false, error: String(error) };
  }
}

/** Encodes with kafkajs' encoder and with this module's; says how many batches the fast path wrote. */
async function compare(
  partitions: Array<{ partition: number; messages: OutputMessage[] }>,
  options: { transactionalId?: string | null; compression?: number } = {},
): Promise<{ fast: number; expected: Outcome; actual: Outcome }> {
  const expected = await encodeWith(partitions, undefined, options);
  let fast = 0;
  const actual = await encodeWith(
    partitions,
    (context) => {
      const batch = encodeOutputBatch(context);
      if (batch !== undefined) fast++;
      return batch;
    },
    options,
  );
  return { fast, expected, actual };
}

beforeEach(() => {
  // kafkajs stamps messages without a timestamp with Date.now() of the request.
  vi.spyOn(Date, 'now').mockReturnValue(1_795_000_000_000);
});

afterEach(() => {
  vi.restoreAllMocks();
  produceRequest.setRecordBatchEncoder(undefined);
});

describe('encodeOutputBatch against kafkajs’ record batch encoder', () => {
  it('writes the same bytes for a transaction’s changelog and metric-change records', async () => {
    const states = Array.from({ length: 1_000 }, (_, i) => ({
      key: `p-${i}`,
      value: Buffer.from([1, i % 256, 7, 0, 42, (i * 7) % 256]),
      headers: { 'analytics-epoch': '3' },
    }));
    const changes = Array.from({ length: 40 }, (_, i) => ({
      key: `SELLER#s-${i}`,
      value: JSON.stringify({ format: 2, group: 3, totalValue: { USD: i * 100 } }),
    }));
    const { fast, expected, actual } = await compare([
      { partition: 3, messages: states },
      { partition: 4, messages: changes },
    ]);
    expect(fast).toBe(2);
    expect(actual).toEqual(expected);
    expect((actual as { bytes: Buffer }).bytes.length).toBeGreaterThan(20_000);
  });

  it('writes null and empty keys and values, UTF-8 text, Buffers and repeated headers as kafkajs does', async () => {
    const { fast, expected, actual } = await compare([
      {
        partition: 0,
        messages: [
          { key: null, value: null },
          { key: '', value: '' },
          { key: Buffer.alloc(0), value: Buffer.from('bytes') },
          { value: 'größe 名前 😀', headers: { größe: 'xl', trace: ['a', Buffer.from('b')] } },
          { key: 'k', value: 'x'.repeat(300_000), headers: {} },
        ],
      },
    ]);
    expect(fast).toBe(1);
    expect(actual).toEqual(expected);
  });

  it('writes the timestamps kafkajs chooses: own ones, string ones sorted as strings, and the request time', async () => {
    for (const messages of [
      [
        { value: 'a', timestamp: 1_795_000_000_500 },
        { value: 'b' },
        { value: 'c', timestamp: 1_794_000_000_000 },
      ],
      [
        { value: 'a', timestamp: '1795000000999' },
        { value: 'b', timestamp: '999' },
      ],
    ] as OutputMessage[][]) {
      const { fast, expected, actual } = await compare([{ partition: 1, messages }]);
      expect(fast).toBe(1);
      expect(actual).toEqual(expected);
    }
  });

  it('writes a batch outside a transaction, and leaves compressed requests to kafkajs', async () => {
    registerKafkaCodecs();
    const messages = [{ key: 'k', value: 'v' }];
    const plain = await compare([{ partition: 0, messages }], { transactionalId: null });
    expect(plain.fast).toBe(1);
    expect(plain.actual).toEqual(plain.expected);
    const gzip = await compare([{ partition: 0, messages }], { compression: 1 });
    expect(gzip.fast).toBe(0);
    expect(gzip.actual).toEqual(gzip.expected);
  });

  it('leaves to kafkajs what it does not write the plain way, with kafkajs’ result', async () => {
    for (const messages of [
      [{ key: 42, value: 'v' }],
      [{ key: 'k', value: new Uint8Array([1, 2]) }],
      [{ key: 'k', value: 'v', headers: { h: null } }],
      [{ key: 'k', value: 'v', headers: null }],
      [{ key: 'k', value: 'v', timestamp: 'soon' }],
      [{ key: 'k', value: 'v', timestamp: 1.5 }],
      // A delta of about -2^60 from the request time.
      [
        { key: 'k', value: 'v', timestamp: 2 ** 60 },
        { key: 'k', value: 'v' },
      ],
    ] as OutputMessage[][]) {
      const { fast, expected, actual } = await compare([{ partition: 0, messages }]);
      expect([messages, fast]).toEqual([messages, 0]);
      expect(actual).toEqual(expected);
    }
  });

  it('refuses a producer id beyond 64 bits and a record count past its varints', () => {
    const base = {
      dateNow: 0,
      firstTimestamp: 0,
      maxTimestamp: 0,
      producerEpoch: 0,
      firstSequence: 0,
      transactional: true,
    };
    expect(encodeOutputBatch({ ...base, messages: [], producerId: 2n ** 64n })).toBeUndefined();
    expect(
      encodeOutputBatch({ ...base, messages: { length: 2 ** 27 } as never, producerId: 1 }),
    ).toBeUndefined();
  });
});

describe('installOutputBatchEncoder', () => {
  it('finds the hook in the workspace’s kafkajs, whose produce request then writes the same bytes', async () => {
    const partitions = [{ partition: 2, messages: [{ key: 'k', value: 'v', headers: { a: 'b' } }] }];
    const expected = await encodeWith(partitions, undefined);
    expect(installOutputBatchEncoder()).toBe(true);
    const request = produceRequest({
      acks: -1,
      timeout: 30_000,
      transactionalId: 'analytics-aggregate-g3',
      producerId: '4711',
      producerEpoch: 12,
      topicData: [
        { topic: 'analytics.product-state', partitions: partitions.map((p) => ({ ...p, firstSequence: 0 })) },
      ],
    });
    expect({ ok: true, bytes: (await request.encode()).buffer }).toEqual(expected);
  });
});
