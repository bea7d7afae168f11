import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { AbortedTransaction } from './changelogFetch.js';
import { registerKafkaCodecs } from './codecs.js';
import { type BatchHeader, readBatches, scanBatches, UnreadableBatchError } from './recordBatches.js';

// kafkajs' own record batch encoder (the one its producer uses): an encoder this reader did not
// write, so the bytes below are what a real client sends.
const require = createRequire(import.meta.url);
const { RecordBatch: encodeBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (args: object) => Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (args: object) => object;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string | number): unknown };

interface TestRecord {
  key: string | null;
  value: string | null;
  headers?: Record<string, string>;
}

async function batch(
  baseOffset: number,
  records: TestRecord[],
  options: {
    producerId?: number;
    transactional?: boolean;
    compression?: number;
    timestampDelta?: number;
  } = {},
): Promise<Buffer> {
  const encoded = await encodeBatch({
    firstOffset: Long.fromValue(String(baseOffset)),
    lastOffsetDelta: records.length - 1,
    transactional: options.transactional ?? false,
    producerId: Long.fromValue(String(options.producerId ?? -1)),
    compression: options.compression ?? 0,
    records: records.map((r, i) =>
      Record({
        offsetDelta: i,
        timestampDelta: options.timestampDelta ?? 0,
        key: r.key === null ? null : Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(r.value),
        headers: r.headers ?? {},
      }),
    ),
  });
  return encoded.buffer;
}

/** An abort (type 0) or commit (1) marker of `producerId` at `offset`: a control batch. */
async function marker(offset: number, producerId: number, type: 0 | 1): Promise<Buffer> {
  const bytes = await encodeBatch({
    firstOffset: Long.fromValue(String(offset)),
    transactional: true,
    producerId: Long.fromValue(String(producerId)),
    records: [Record({ key: Buffer.from([0, 0, 0, type]), value: Buffer.from([0, 0, 0, 0, 0, 0]) })],
  });
  const control = Buffer.from(bytes.buffer);
  control.writeInt16BE(control.readInt16BE(21) | 0x20, 21); // the control bit kafkajs never sets
  return control;
}

interface Seen {
  key: string;
  value: string | null;
  offset: bigint;
}

async function read(
  bytes: Buffer,
  aborted: AbortedTransaction[] = [],
  window = { from: 0n, to: 1n << 62n },
): Promise<Seen[]> {
  const seen: Seen[] = [];
  await readBatches(bytes, scanBatches(bytes), aborted, window, (b, ks, ke, vs, ve, base, delta) =>
    seen.push({
      key: b.toString('utf8', ks, ke),
      value: vs < 0 ? null : b.toString('utf8', vs, ve),
      offset: base + BigInt(delta),
    }),
  );
  return seen;
}

describe('scanBatches', () => {
  it('lists the complete batches with their offsets and leaves out a batch the response cut short', async () => {
    const bytes = Buffer.concat([
      await batch(0, [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ]),
      await batch(2, [{ key: 'c', value: '3' }], { producerId: 7, transactional: true }),
    ]);
    const batches = scanBatches(bytes);
    expect(batches.map((b: BatchHeader) => [b.baseOffset, b.lastOffset, b.producerId])).toEqual([
      [0n, 1n, -1n],
      [2n, 2n, 7n],
    ]);
    expect(batches[1]!.end).toBe(bytes.length);
    // The broker cuts a response at its byte limit, inside the last batch.
    expect(scanBatches(bytes.subarray(0, bytes.length - 5))).toHaveLength(1);
    expect(scanBatches(bytes.subarray(0, 30))).toHaveLength(0);
  });

  it('refuses a batch in another message format than v2, naming its offsets', async () => {
    const bytes = await batch(40, [{ key: 'a', value: '1' }]);
    bytes[16] = 1;
    expect(() => scanBatches(bytes)).toThrow(UnreadableBatchError);
    expect(() => scanBatches(bytes)).toThrow('is in message format v1 (only v2 is read)');
  });
});

describe('readBatches', () => {
  it('hands over key, value and offset of every record, null values as -1, headers and long timestamps skipped', async () => {
    const bytes = Buffer.concat([
      await batch(
        10,
        [
          { key: 'p-1', value: 'state one', headers: { source: 'x', other: 'y' } },
          { key: 'p-2', value: null },
          { key: 'ü-3', value: '' },
        ],
        { timestampDelta: 2 ** 40 },
      ),
      await batch(13, [{ key: '', value: 'marker' }]),
    ]);
    expect(await read(bytes)).toEqual([
      { key: 'p-1', value: 'state one', offset: 10n },
      { key: 'p-2', value: null, offset: 11n },
      { key: 'ü-3', value: '', offset: 12n },
      { key: '', value: 'marker', offset: 13n },
    ]);
  });

  it('delivers only offsets within [from, to), also inside a batch', async () => {
    const bytes = Buffer.concat([
      await batch(0, [
        { key: 'a', value: '0' },
        { key: 'b', value: '1' },
        { key: 'c', value: '2' },
      ]),
      await batch(3, [
        { key: 'd', value: '3' },
        { key: 'e', value: '4' },
      ]),
      await batch(5, [{ key: 'f', value: '5' }]),
    ]);
    const keys = async (from: bigint, to: bigint) => (await read(bytes, [], { from, to })).map((s) => s.key);
    expect(await keys(1n, 4n)).toEqual(['b', 'c', 'd']);
    expect(await keys(0n, 6n)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(await keys(5n, 6n)).toEqual(['f']);
    expect(await keys(6n, 9n)).toEqual([]);
  });

  it('leaves out aborted transactions and control batches, and keeps committed and later writes of the same producer', async () => {
    const bytes = Buffer.concat([
      await batch(0, [{ key: 'aborted', value: 'x' }], { producerId: 5, transactional: true }),
      await batch(1, [{ key: 'plain', value: 'x' }]),
      await marker(2, 5, 0),
      await batch(3, [{ key: 'committed', value: 'x' }], { producerId: 5, transactional: true }),
      await marker(4, 5, 1),
    ]);
    expect((await read(bytes, [{ producerId: 5n, firstOffset: 0n }])).map((s) => s.key)).toEqual([
      'plain',
      'committed',
    ]);
    // Without the broker's list of aborted transactions every data record is delivered.
    expect((await read(bytes)).map((s) => s.key)).toEqual(['aborted', 'plain', 'committed']);
  });

  it('leaves out two overlapping aborted transactions listed in the order they aborted, not by first offset', async () => {
    // B opens at 0, A at 1, A aborts (2), B writes (3) and aborts (4), then A commits (5, 6).
    const bytes = Buffer.concat([
      await batch(0, [{ key: 'b-1', value: 'x' }], { producerId: 2, transactional: true }),
      await batch(1, [{ key: 'a-1', value: 'x' }], { producerId: 1, transactional: true }),
      await marker(2, 1, 0),
      await batch(3, [{ key: 'b-2', value: 'x' }], { producerId: 2, transactional: true }),
      await marker(4, 2, 0),
      await batch(5, [{ key: 'a-ok', value: 'x' }], { producerId: 1, transactional: true }),
      await marker(6, 1, 1),
    ]);
    const aborted = [
      { producerId: 1n, firstOffset: 1n },
      { producerId: 2n, firstOffset: 0n },
    ];
    expect((await read(bytes, aborted)).map((s) => s.key)).toEqual(['a-ok']);
    // A fetch that starts at 3, inside B's transaction: the broker still lists B.
    expect((await read(bytes, aborted, { from: 3n, to: 10n })).map((s) => s.key)).toEqual(['a-ok']);
  });

  it('reads a gzip batch through the registered codecs', async () => {
    registerKafkaCodecs();
    const bytes = await batch(
      20,
      [
        { key: 'z-1', value: 'one' },
        { key: 'z-2', value: 'two' },
      ],
      {
        compression: 1,
      },
    );
    expect(await read(bytes)).toEqual([
      { key: 'z-1', value: 'one', offset: 20n },
      { key: 'z-2', value: 'two', offset: 21n },
    ]);
  });

  it('refuses a batch that cannot be decompressed or names a codec nobody registered', async () => {
    registerKafkaCodecs();
    const corrupt = await batch(30, [{ key: 'k', value: 'v' }], { compression: 1 });
    corrupt.fill(0xff, 70); // inside the gzip stream
    await expect(read(corrupt)).rejects.toThrow(
      expect.objectContaining({
        name: 'UnreadableBatchError',
        message: 'could not be decompressed',
        firstOffset: 30n,
      }),
    );
    const unknown = await batch(31, [{ key: 'k', value: 'v' }]);
    unknown.writeInt16BE(7, 21); // codec 7 does not exist
    const error = await read(unknown).catch((e: unknown) => e as UnreadableBatchError);
    expect(error).toBeInstanceOf(UnreadableBatchError);
    expect(String((error as Error).cause)).toContain('no codec is registered for compression type 7');
  });

  it('refuses a record whose lengths run past its batch', async () => {
    const bytes = await batch(50, [{ key: 'k', value: 'a value of some length' }]);
    // The value length varint (zigzag 22 = 44) becomes 120 (zigzag 60 = 0x78).
    const at = bytes.indexOf(Buffer.from('a value'));
    bytes[at - 1] = 0x78;
    await expect(read(bytes)).rejects.toThrow('has a record that overruns it');
  });
});
