import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { compressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompressSync } from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkOutputCompression,
  compressionType,
  DEFAULT_CODEC_OPTIONS,
  ensureKafkaCodecs,
  isZstdOutputAvailable,
  OUTPUT_COMPRESSIONS,
  registeredCodecOptions,
  registerKafkaCodecs,
} from './codecs.js';
import { decompressedSizeBound, InvalidFramingError } from './decompressedSizeBound.js';
import { CodecError } from './errors.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

// kafkajs' own wire encoders and decoders (the patched ones, see patches/kafkajs@2.2.4.patch).
const require = createRequire(import.meta.url);
type Encoder = { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<Encoder>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (
  options: Record<string, unknown>,
) => Encoder;
const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<{ records: DecodedRecord[] }>;
const RecordDecoder = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  decoder: unknown,
  context: Record<string, unknown>,
) => DecodedRecord;
const Long = require('kafkajs/src/utils/long') as { fromInt(value: number): unknown };
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => { readVarInt(): number };

interface DecodedRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, unknown>;
  undecodableBatch?: {
    firstOffset: string;
    lastOffset: string;
    recordCount: number;
    compressedBytes: number;
    error: unknown;
  };
}

type Codec = { compress(e: Encoder): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
const codec = (type: number): Codec => (CompressionCodecs as Record<number, () => Codec>)[type]!();

/** A kafkajs record batch at offset 100 with `count` records whose values are `value`. */
async function encodeBatch(compression: number, count: number, value: string): Promise<Buffer> {
  const records = Array.from({ length: count }, (_, i) =>
    Record({
      offsetDelta: i,
      key: Buffer.from(`p-${i}`),
      value: Buffer.from(value),
      headers: { n: String(i) },
    }),
  );
  const batch = await RecordBatch({
    compression,
    firstOffset: Long.fromInt(100),
    lastOffsetDelta: count - 1,
    records,
  });
  return batch.buffer;
}

async function decodeBatch(buffer: Buffer): Promise<DecodedRecord[]> {
  return (await RecordBatchDecoder(new Decoder(buffer))).records;
}

afterEach(() => registerKafkaCodecs());

describe('registerKafkaCodecs', () => {
  it('registers defaults once through ensureKafkaCodecs and keeps a chosen bound', () => {
    registerKafkaCodecs({ maxDecompressedBytes: 4096 });
    ensureKafkaCodecs();
    expect(registeredCodecOptions()).toEqual({ maxDecompressedBytes: 4096 });
    registerKafkaCodecs();
    expect(registeredCodecOptions()).toEqual(DEFAULT_CODEC_OPTIONS);
  });

  it('rejects a bound below 1024 bytes', () => {
    expect(() => registerKafkaCodecs({ maxDecompressedBytes: 10 })).toThrow(/maxDecompressedBytes/);
  });

  it.each([
    ['gzip', CompressionTypes.GZIP],
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
  ] as const)('round-trips a %s record batch through kafkajs', async (_name, type) => {
    registerKafkaCodecs();
    const value = JSON.stringify({ productId: 'p', data: 'x'.repeat(50_000) });
    const records = await decodeBatch(await encodeBatch(type, 3, value));
    expect(records.map((r) => [r.offset, r.key?.toString(), r.value?.toString().length])).toEqual([
      ['100', 'p-0', value.length],
      ['101', 'p-1', value.length],
      ['102', 'p-2', value.length],
    ]);
    expect(records[2]!.headers.n?.toString()).toBe('2');
  });

  it.each([
    ['gzip', CompressionTypes.GZIP],
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
  ] as const)(
    'turns a %s batch over the bound into one undecodable record at its last offset',
    async (_name, type) => {
      const buffer = await encodeBatch(type, 5, 'y'.repeat(2000));
      registerKafkaCodecs({ maxDecompressedBytes: 4096 });
      const records = await decodeBatch(buffer);
      expect(records).toHaveLength(1);
      const [record] = records;
      expect(record!.offset).toBe('104');
      expect(record!.value).toBeNull();
      expect(record!.undecodableBatch).toMatchObject({
        firstOffset: '100',
        lastOffset: '104',
        recordCount: 5,
      });
      expect(record!.undecodableBatch!.compressedBytes).toBeGreaterThan(0);
      const error = record!.undecodableBatch!.error as CodecError;
      expect(error).toBeInstanceOf(CodecError);
      expect(error.code).toBe('DECOMPRESSED_TOO_LARGE');
      expect(error.maxDecompressedBytes).toBe(4096);
      expect(error.retryable).toBe(false);
    },
  );

  it('turns a corrupt batch into one undecodable record with DECOMPRESSION_FAILED', async () => {
    const buffer = await encodeBatch(CompressionTypes.GZIP, 2, 'z'.repeat(100));
    // Flip bytes inside the deflate stream (past the 61-byte batch header and the gzip header).
    for (let i = 75; i < buffer.length - 8; i++) buffer[i] = 0xff - (buffer[i] ?? 0);
    const [record] = await decodeBatch(buffer);
    expect((record!.undecodableBatch!.error as CodecError).code).toBe('DECOMPRESSION_FAILED');
  });

  it.each([
    ['snappy', CompressionTypes.Snappy, Buffer.from('not snappy at all')],
    ['lz4', CompressionTypes.LZ4, Buffer.from('not an lz4 frame')],
    ['zstd', CompressionTypes.ZSTD, Buffer.from('not a zstd frame')],
  ] as const)(
    'refuses a %s payload with a broken framing as DECOMPRESSION_FAILED',
    async (_n, type, bytes) => {
      await expect(codec(type).decompress(bytes)).rejects.toMatchObject({ code: 'DECOMPRESSION_FAILED' });
    },
  );

  it('reads raw snappy (librdkafka) as well as xerial framing (Java)', async () => {
    const plain = Buffer.from('raw snappy '.repeat(300));
    expect((await codec(CompressionTypes.Snappy).decompress(snappyCompressSync(plain))).equals(plain)).toBe(
      true,
    );
    const framed = await codec(CompressionTypes.Snappy).compress({ buffer: Buffer.alloc(100_000, 7) });
    expect(framed.subarray(1, 7).toString()).toBe('SNAPPY');
    expect((await codec(CompressionTypes.Snappy).decompress(framed)).equals(Buffer.alloc(100_000, 7))).toBe(
      true,
    );
  });

  it('writes LZ4 frames with independent blocks, as Kafka requires', async () => {
    const frame = await codec(CompressionTypes.LZ4).compress({ buffer: Buffer.from('lz4 '.repeat(1000)) });
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect(frame[4]! & 0x20).toBe(0x20);
  });

  // zstd frames written by the zstd CLI: 'kafka ' x 100 (with and without a content size) and
  // 200,000 zero bytes.
  const ZSTD_STREAMED = 'KLUv/QBYbQAAMGthZmthIAEAT1KVIg==';
  const ZSTD_SIZED = 'KLUv/WRYAW0AADBrYWZrYSABAE9SlSLDejtp';
  const ZSTD_ZEROS = 'KLUv/QRYVAAAEAAAAQD7/znAAgNqCADE6XRw';

  it('reads zstd frames with and without a content size', async () => {
    for (const fixture of [ZSTD_STREAMED, ZSTD_SIZED]) {
      const plain = await codec(CompressionTypes.ZSTD).decompress(Buffer.from(fixture, 'base64'));
      expect(plain.toString()).toBe('kafka '.repeat(100));
    }
  });

  it('refuses a zstd payload over the bound before decoding it', async () => {
    registerKafkaCodecs({ maxDecompressedBytes: 4096 });
    await expect(
      codec(CompressionTypes.ZSTD).decompress(Buffer.from(ZSTD_ZEROS, 'base64')),
    ).rejects.toMatchObject({
      code: 'DECOMPRESSED_TOO_LARGE',
      codec: 'zstd',
    });
  });

  it('refuses a zstd frame that declares a window over the bound, however little it holds', async () => {
    registerKafkaCodecs({ maxDecompressedBytes: 4096 });
    // Magic, no content size, window 2^13 = 8 KiB, one last raw block of 3 bytes.
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x18, 0x19, 0x00, 0x00, 0x61, 0x62, 0x63]);
    await expect(codec(CompressionTypes.ZSTD).decompress(frame)).rejects.toMatchObject({
      code: 'DECOMPRESSED_TOO_LARGE',
      message: expect.stringContaining('declares a window or content of 8192 bytes'),
    });
    registerKafkaCodecs({ maxDecompressedBytes: 8192 });
    expect((await codec(CompressionTypes.ZSTD).decompress(frame)).toString()).toBe('abc');
  });

  it('reports a zstd frame whose blocks do not decode as DECOMPRESSION_FAILED', async () => {
    // Keep the frame and block headers (9 bytes, the size bound reads them), spoil the payload.
    const spoiled = Buffer.from(ZSTD_STREAMED, 'base64');
    for (let i = 9; i < spoiled.length; i++) spoiled[i] = 0xff - (spoiled[i] ?? 0);
    await expect(codec(CompressionTypes.ZSTD).decompress(spoiled)).rejects.toMatchObject({
      code: 'DECOMPRESSION_FAILED',
      codec: 'zstd',
    });
  });

  it('writes zstd only where the runtime has it', async () => {
    const output = codec(CompressionTypes.ZSTD).compress({ buffer: Buffer.from('zstd') });
    if (isZstdOutputAvailable()) {
      expect(await codec(CompressionTypes.ZSTD).decompress(await output)).toEqual(Buffer.from('zstd'));
    } else {
      await expect(output).rejects.toMatchObject({ code: 'CODEC_UNAVAILABLE' });
    }
  });
});

describe('checkOutputCompression', () => {
  it('maps every output compression to its kafkajs type', () => {
    expect(OUTPUT_COMPRESSIONS.map(compressionType)).toEqual([
      CompressionTypes.None,
      CompressionTypes.GZIP,
      CompressionTypes.Snappy,
      CompressionTypes.LZ4,
      CompressionTypes.ZSTD,
    ]);
  });

  it('accepts the named compressions and rejects others naming the field', () => {
    expect(checkOutputCompression('lz4', 'compression')).toBe('lz4');
    expect(() => checkOutputCompression('brotli', 'compression')).toThrow(/"compression".*brotli/);
    if (isZstdOutputAvailable()) expect(checkOutputCompression('zstd', 'compression')).toBe('zstd');
    else expect(() => checkOutputCompression('zstd', 'compression')).toThrow(/Node.js 22.15/);
  });
});

describe('decompressedSizeBound', () => {
  it('reads the exact size of raw snappy and of every xerial chunk', () => {
    const raw = snappyCompressSync(Buffer.alloc(70_000));
    expect(decompressedSizeBound('snappy', raw).bytes).toBe(70_000);
    expect(() => decompressedSizeBound('snappy', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow(
      InvalidFramingError,
    );
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    const truncated = Buffer.concat([header, Buffer.from([0, 0, 0, 9, 1])]);
    expect(() => decompressedSizeBound('snappy', truncated)).toThrow(/truncated xerial chunk/);
    expect(() => decompressedSizeBound('snappy', Buffer.concat([header, Buffer.from([0, 0])]))).toThrow(
      /chunk length/,
    );
  });

  it('bounds LZ4 frames by their blocks and skips skippable frames', () => {
    const frame = compressFrameSync(Buffer.alloc(600_000, 3));
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
    const bound = decompressedSizeBound('lz4', Buffer.concat([skippable, frame]));
    expect(bound.bytes).toBeGreaterThanOrEqual(600_000);
    const blockMax = 2 ** (8 + 2 * ((frame[5]! >> 4) & 7));
    expect(bound.bytes).toBeLessThanOrEqual(600_000 + blockMax);
    expect(() => decompressedSizeBound('lz4', frame.subarray(0, frame.length - 2))).toThrow(
      InvalidFramingError,
    );
    expect(() => decompressedSizeBound('lz4', Buffer.alloc(0))).toThrow(/empty/);
    expect(() => decompressedSizeBound('lz4', skippable.subarray(0, 9))).toThrow(/skippable/);
    const badVersion = Buffer.from(frame);
    badVersion[4] = 0x00;
    expect(() => decompressedSizeBound('lz4', badVersion)).toThrow(/version/);
  });

  it('counts a declared LZ4 content size as an allocation and stored blocks by their size', () => {
    // FLG: version 01, independent blocks, block checksums, content size, content checksum.
    const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x7c, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x10]);
    header.writeBigUInt64LE(1_000_000n, 6);
    const stored = Buffer.alloc(4);
    stored.writeUInt32LE((0x80000000 | 3) >>> 0);
    const frame = Buffer.concat([
      header,
      Buffer.from([0]),
      stored,
      Buffer.from('abc'),
      Buffer.alloc(4),
      Buffer.alloc(4),
      Buffer.alloc(4),
    ]);
    const bound = decompressedSizeBound('lz4', frame);
    expect(bound.bytes).toBe(3);
    expect(bound.allocation).toBe(1_000_000);
    const tooBig = Buffer.from(frame);
    tooBig.writeUInt32LE((0x80000000 | 70_000) >>> 0, 15);
    expect(() => decompressedSizeBound('lz4', tooBig)).toThrow(/block larger/);
    expect(() => decompressedSizeBound('lz4', frame.subarray(0, 10))).toThrow(/truncated frame header/);
    expect(() => decompressedSizeBound('lz4', frame.subarray(0, frame.length - 2))).toThrow(
      /content checksum/,
    );
  });

  it('bounds zstd frames by raw, RLE and compressed blocks, and reports the window', () => {
    const sized = decompressedSizeBound(
      'zstd',
      Buffer.from('KLUv/WRYAW0AADBrYWZrYSABAE9SlSLDejtp', 'base64'),
    );
    expect(sized.bytes).toBeGreaterThanOrEqual(600);
    // Frame: no single segment, window 1 KiB, then a raw block (3 bytes) and a last RLE block (5).
    const frame = Buffer.from([
      0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, 0x18, 0, 0, 0x61, 0x62, 0x63, 0x2b, 0, 0, 0x78,
    ]);
    expect(decompressedSizeBound('zstd', frame)).toEqual({ bytes: 8, allocation: 1024 });
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 0, 0, 0, 0]);
    expect(decompressedSizeBound('zstd', Buffer.concat([skippable, frame])).bytes).toBe(8);
    const reservedType = Buffer.from(frame);
    reservedType[6] = 0x06;
    expect(() => decompressedSizeBound('zstd', reservedType)).toThrow(/reserved block type/);
    const reservedBit = Buffer.from(frame);
    reservedBit[4] = 0x08;
    expect(() => decompressedSizeBound('zstd', reservedBit)).toThrow(/reserved bit/);
    expect(() => decompressedSizeBound('zstd', frame.subarray(0, 5))).toThrow(/truncated frame header/);
    expect(() => decompressedSizeBound('zstd', frame.subarray(0, 8))).toThrow(/truncated block header/);
    expect(() => decompressedSizeBound('zstd', frame.subarray(0, 11))).toThrow(/truncated block/);
    expect(() => decompressedSizeBound('zstd', Buffer.alloc(0))).toThrow(/empty/);
    // A 1-byte dictionary id and a 2-byte content size; a 4-byte one with a checksum flag but no checksum.
    const fcs2 = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x61, 0x07, 0x00, 0x01, 0x01, 0, 0]);
    expect(decompressedSizeBound('zstd', fcs2).allocation).toBe(0x0100 + 256);
    const fcs4 = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa4, 0x10, 0, 0, 0, 0x01, 0, 0]);
    expect(() => decompressedSizeBound('zstd', fcs4)).toThrow(/content checksum/);
  });
});

describe('kafkajs record decoding (patched)', () => {
  function encodeRecord(headers: Record<string, string | string[]>): Buffer {
    return Record({ key: Buffer.from('k'), value: Buffer.from('v'), headers }).buffer;
  }
  function decodeRecord(buffer: Buffer): DecodedRecord {
    const decoder = new Decoder(buffer);
    decoder.readVarInt(); // the record's length prefix
    return RecordDecoder(decoder, { firstOffset: '0', firstTimestamp: '0' });
  }

  it('decodes 10k headers in linear time (the spread per header took 7.4 s for 8k)', () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) headers[`h${i}`] = `v${i}`;
    const buffer = encodeRecord(headers);
    // CPU time of this thread, not wall time: a loaded machine (other test workers) stretches
    // wall time many times over, but not the work the decode itself does. Node < 23.9 has no
    // per-thread figure: the process's CPU time (other threads included) gets a looser bound.
    const threadCpu = (process as { threadCpuUsage?: typeof process.cpuUsage }).threadCpuUsage;
    const cpuUsage = threadCpu === undefined ? process.cpuUsage : threadCpu.bind(process);
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run++) {
      const started = cpuUsage();
      const record = decodeRecord(buffer);
      const used = cpuUsage(started);
      best = Math.min(best, (used.user + used.system) / 1000);
      expect(Object.keys(record.headers)).toHaveLength(10_000);
    }
    // Linear code takes a few ms; the quadratic one took seconds for fewer headers.
    expect(best).toBeLessThan(threadCpu === undefined ? 250 : 100);
  });

  it('keeps repeated headers as arrays in order and names like __proto__ as own properties', () => {
    const record = decodeRecord(
      encodeRecord({ a: ['1', '2', '3'], __proto__x: 'p', constructor: 'c', ['__proto__']: 'evil' }),
    );
    expect((record.headers.a as Buffer[]).map(String)).toEqual(['1', '2', '3']);
    expect(String(record.headers.constructor)).toBe('c');
    expect(Object.getPrototypeOf(record.headers)).toBe(Object.prototype);
    expect(Object.keys(record.headers)).toEqual(['a', '__proto__x', 'constructor', '__proto__']);
    expect(String(Object.getOwnPropertyDescriptor(record.headers, '__proto__')?.value)).toBe('evil');
  });
});
