import { createRequire } from 'node:module';
import { generateMarketplaceStream } from '@marketplace/product-events';
import { afterEach, describe, expect, it } from 'vitest';
import { registerKafkaCodecs } from './codecs.js';
import { decodeInputRecords, installInputRecordsDecoder } from './inputRecords.js';

// kafkajs' own record batch encoder and decoder: every case compares this module's records with
// the ones kafkajs' decoder gives for the same bytes.
const require = createRequire(import.meta.url);
const { RecordBatch: encodeBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (args: object) => Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (args: object) => object;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string | number): unknown };
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as ((
  decoder: unknown,
) => Promise<{ records: unknown[] }>) & {
  setRecordsDecoder(decoder: typeof decodeInputRecords | undefined): void;
};

interface TestRecord {
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: Record<string, string | Buffer | null | (string | Buffer)[]>;
  timestampDelta?: number;
  offsetDelta?: number;
}

async function batch(
  records: TestRecord[],
  options: { firstOffset?: string; compression?: number; attributes?: number } = {},
): Promise<Buffer> {
  const encoded = await encodeBatch({
    firstOffset: Long.fromValue(options.firstOffset ?? '1000'),
    firstTimestamp: 1_795_000_000_000,
    maxTimestamp: 1_795_000_000_999,
    lastOffsetDelta: Math.max(0, records.length - 1),
    producerId: Long.fromValue('-1'),
    compression: options.compression ?? 0,
    records: records.map((r, i) =>
      Record({
        offsetDelta: r.offsetDelta ?? i,
        timestampDelta: r.timestampDelta ?? i,
        key: r.key === undefined ? Buffer.from(`k${i}`) : r.key,
        value: r.value === undefined ? Buffer.from(`{"i":${i}}`) : r.value,
        headers: r.headers ?? {},
      }),
    ),
  });
  const bytes = Buffer.from(encoded.buffer);
  // Attribute bits kafkajs' encoder never sets (log-append time, control): set in place.
  if (options.attributes !== undefined) bytes.writeInt16BE(bytes.readInt16BE(21) | options.attributes, 21);
  return bytes;
}

/** Zigzag varint bytes of `n` (as Kafka's record fields). */
function varint(n: number): number[] {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z & 0x7f) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return out;
}

/**
 * A batch whose records are written byte by byte (what kafkajs' encoder cannot write, such as a
 * null header value or a null header name): each record is its fields after the length.
 */
async function rawBatch(records: number[][]): Promise<Buffer> {
  const header = Buffer.from((await batch([])).subarray(0, 61));
  const body = Buffer.from(records.flatMap((fields) => [...varint(fields.length), ...fields]));
  header.writeInt32BE(records.length, 57);
  header.writeInt32BE(49 + body.length, 8);
  header.writeInt32BE(records.length - 1, 23);
  return Buffer.concat([header, body]);
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

async function decodeWith(bytes: Buffer, decoder: typeof decodeInputRecords | undefined): Promise<Outcome> {
  decodeBatch.setRecordsDecoder(decoder);
  try {
    return { ok: true, value: await decodeBatch(new Decoder(bytes)) };
  } catch (error) {
    return { ok: false, error: String(error) };
  }
}

/** Decodes with kafkajs' decoder and with this module's; says whether the fast path took it. */
async function compare(bytes: Buffer): Promise<{ fast: boolean; expected: Outcome; actual: Outcome }> {
  const expected = await decodeWith(bytes, undefined);
  let fast = false;
  const actual = await decodeWith(bytes, (...args) => {
    const records = decodeInputRecords(...args);
    fast = records !== undefined;
    return records;
  });
  return { fast, expected, actual };
}

afterEach(() => decodeBatch.setRecordsDecoder(undefined));

describe('decodeInputRecords against kafkajs’ record decoder', () => {
  it('gives the same records for a batch of marketplace events with their headers', async () => {
    const events = [
      ...generateMarketplaceStream({
        seed: 7,
        events: 300,
        products: 50,
        sellers: 5,
        categories: 3,
        topics: { created: 'c', updated: 'u', deleted: 'd' },
      }),
    ];
    const bytes = await batch(
      events.map((e) => ({ key: Buffer.from(e.key), value: e.value, headers: e.headers })),
    );
    const { fast, expected, actual } = await compare(bytes);
    expect(fast).toBe(true);
    expect(actual).toEqual(expected);
    const records = (actual as { value: { records: { offset: string; headers: object }[] } }).value.records;
    expect(records).toHaveLength(300);
    expect(records[299]!.offset).toBe('1299');
    expect(Object.keys(records[0]!.headers)).toEqual(['content-type', 'event-type', 'schema-version']);
  });

  it('keeps null and empty keys, values and header values, and repeated header names as arrays', async () => {
    const bytes = await batch([
      { key: null, value: null },
      { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: { empty: Buffer.alloc(0) } },
      { headers: { trace: ['a', 'b'], single: 'x' } },
      { headers: { trace: ['a', 'b', 'c'] } },
    ]);
    const { fast, expected, actual } = await compare(bytes);
    expect(fast).toBe(true);
    expect(actual).toEqual(expected);
    const records = (actual as { value: { records: { key: unknown; headers: Record<string, unknown> }[] } })
      .value.records;
    expect(records[0]!.key).toBeNull();
    expect(records[3]!.headers['trace']).toEqual([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
  });

  it('decodes header names in UTF-8, long ones and more distinct ones than it remembers', async () => {
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`name-${i}`, String(i)]));
    const bytes = await batch([
      { headers: { größe: 'xl', 名前: 'n', ['h'.repeat(100)]: 'long' } },
      { headers: many },
      { headers: { ...many, größe: 's' } },
      { headers: { 'name-1': 'again', 'name-19': 'again' } },
    ]);
    const { fast, expected, actual } = await compare(bytes);
    expect(fast).toBe(true);
    expect(actual).toEqual(expected);
  });

  it('adds negative and large timestamp deltas, and gives log-append batches their max timestamp', async () => {
    const deltas = [{ timestampDelta: -5_000 }, { timestampDelta: 2 ** 40 }, { timestampDelta: 0 }];
    for (const attributes of [undefined, 0x08]) {
      const { fast, expected, actual } = await compare(
        await batch(deltas, attributes === undefined ? {} : { attributes }),
      );
      expect(fast).toBe(true);
      expect(actual).toEqual(expected);
      const stamps = (actual as { value: { records: { timestamp: string }[] } }).value.records.map(
        (r) => r.timestamp,
      );
      expect(stamps).toEqual(
        attributes === undefined
          ? ['1794999995000', String(1_795_000_000_000 + 2 ** 40), '1795000000000']
          : ['1795000000999', '1795000000999', '1795000000999'],
      );
    }
  });

  it('marks the records of a control batch, and reads an empty and a compressed batch', async () => {
    registerKafkaCodecs();
    for (const bytes of [
      await batch([{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], {
        attributes: 0x20,
      }),
      await batch([]),
      await batch(
        Array.from({ length: 50 }, (_, i) => ({ headers: { n: String(i) } })),
        { compression: 1 },
      ),
    ]) {
      const { fast, expected, actual } = await compare(bytes);
      expect(fast).toBe(true);
      expect(actual).toEqual(expected);
    }
  });

  it('leaves to kafkajs what it does not read the plain way, with kafkajs’ result', async () => {
    // JSON.parse gives an own `__proto__` name (an object literal would set the prototype).
    const own = await batch([{ headers: JSON.parse('{"__proto__":"x","a":"b"}') }]);
    const hugeOffset = await batch([{}], { firstOffset: '9007199254740993' });
    const longDelta = await batch([{ offsetDelta: 2 ** 28 }]);
    const longTimestampDelta = await batch([{ timestampDelta: 2 ** 52 }]);
    // A record whose key claims more bytes than the record holds.
    const overrun = await batch([{ key: Buffer.from('abc') }]);
    overrun[61 + 4] = 0x7e; // after length, attributes and both deltas: key length 63 instead of 3
    for (const [i, bytes] of [own, hugeOffset, longDelta, longTimestampDelta, overrun].entries()) {
      const { fast, expected, actual } = await compare(bytes);
      expect([i, fast]).toEqual([i, false]);
      expect(actual).toEqual(expected);
    }
    const ownRecords = (await decodeWith(own, decodeInputRecords)) as {
      value: { records: { headers: object }[] };
    };
    expect(Object.hasOwn(ownRecords.value.records[0]!.headers, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(ownRecords.value.records[0]!.headers)).toBe(Object.prototype);
  });

  it('refuses a negative record count or a record length past the bytes', () => {
    const context = { firstOffset: '0', firstTimestamp: '0', maxTimestamp: '0', timestampType: 0 };
    expect(decodeInputRecords(Buffer.from([0x02]), 0, -2, context)).toBeUndefined();
    expect(decodeInputRecords(Buffer.from([0x20, 0x00]), 0, 1, context)).toBeUndefined();
    expect(decodeInputRecords(Buffer.from([0x03]), 0, 1, context)).toBeUndefined();
  });
});

describe('decodeInputRecords on bytes kafkajs’ encoder cannot write', () => {
  it('keeps a null header value and a null header name as kafkajs does', async () => {
    const name = [...Buffer.from('trace')];
    const bytes = await rawBatch([
      // attributes, timestamp delta, offset delta, key "k", value "v", 2 headers: trace=null, null=x
      [
        0,
        0,
        0,
        ...varint(1),
        0x6b,
        ...varint(1),
        0x76,
        ...varint(2),
        ...varint(5),
        ...name,
        ...varint(-1),
        ...varint(-1),
        ...varint(1),
        0x78,
      ],
    ]);
    const { fast, expected, actual } = await compare(bytes);
    expect(fast).toBe(true);
    expect(actual).toEqual(expected);
    const headers = (actual as { value: { records: { headers: Record<string, unknown> }[] } }).value
      .records[0]!.headers;
    expect(headers).toEqual({ trace: null, null: Buffer.from('x') });
  });

  it('leaves a record with a negative length or fields past its end to kafkajs', async () => {
    const negativeKey = await rawBatch([[0, 0, 0, ...varint(-3), ...varint(1), 0x76, 0]]);
    const headersPastEnd = await rawBatch([[0, 0, 0, ...varint(1), 0x6b, ...varint(1), 0x76, ...varint(4)]]);
    for (const bytes of [negativeKey, headersPastEnd]) {
      const { fast, expected, actual } = await compare(bytes);
      expect(fast).toBe(false);
      expect(actual).toEqual(expected);
    }
  });
});

describe('installInputRecordsDecoder', () => {
  it('finds the hook in the workspace’s kafkajs, whose batch decoder then gives the same records', async () => {
    const bytes = await batch([{ headers: { a: 'b' } }, { key: null }]);
    const expected = await decodeWith(bytes, undefined);
    expect(installInputRecordsDecoder()).toBe(true);
    const actual = await decodeBatch(new Decoder(bytes));
    expect({ ok: true, value: actual }).toEqual(expected);
  });
});
