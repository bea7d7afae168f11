import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { decompress as zstdDecompressJs } from 'fzstd';
import kafkajs from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappy';
import { decompressedSizeBound, type FramedCodec } from './decompressedSizeBound.js';
import { CodecError, type CodecName, KafkaProcessorOptionsError } from './errors.js';
import { check } from './validateOptions.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/** Compression of the records a processor produces (`compression` option of `AggregateProcessor`). */
export const OUTPUT_COMPRESSIONS = Object.freeze(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const);

/** One of {@link OUTPUT_COMPRESSIONS}. */
export type OutputCompression = (typeof OUTPUT_COMPRESSIONS)[number];

/** Options of {@link registerKafkaCodecs}. */
export interface KafkaCodecOptions {
  /**
   * Largest decompressed size of one record batch, in bytes. A batch that would exceed it is not
   * decompressed: it reaches the consumer as one `undecodableBatch` record (stage 1 dead-letters
   * it by reference with code `DECOMPRESSED_TOO_LARGE`).
   * @default 33554432 (32 MiB)
   */
  maxDecompressedBytes?: number;
}

/** Defaults of {@link registerKafkaCodecs}. */
export const DEFAULT_CODEC_OPTIONS: Readonly<{ maxDecompressedBytes: 33_554_432 }> = Object.freeze({
  maxDecompressedBytes: 33_554_432,
});

interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

type ZlibZstd = {
  zstdCompress?: (buffer: Buffer, callback: (error: Error | null, result: Buffer) => void) => void;
  zstdDecompress?: (
    buffer: Buffer,
    options: { maxOutputLength: number },
    callback: (error: Error | null, result: Buffer) => void,
  ) => void;
};

/** Node's own zstd (22.15+/23.8+), when this runtime has it. */
const nodeZstd = zlib as unknown as ZlibZstd;

let registered: Readonly<Required<KafkaCodecOptions>> | undefined;

/**
 * Whether this runtime can produce zstd (Node's zlib has zstd from 22.15/23.8). Reading zstd
 * works everywhere (a pure-JS decoder on older runtimes).
 */
export function isZstdOutputAvailable(): boolean {
  return typeof nodeZstd.zstdCompress === 'function';
}

/** The kafkajs compression type of an {@link OutputCompression}. */
export function compressionType(compression: OutputCompression): number {
  switch (compression) {
    case 'none':
      return CompressionTypes.None;
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'snappy':
      return CompressionTypes.Snappy;
    case 'lz4':
      return CompressionTypes.LZ4;
    case 'zstd':
      return CompressionTypes.ZSTD;
  }
}

/**
 * Checks an output compression option: one of {@link OUTPUT_COMPRESSIONS}, and zstd only where
 * the runtime can produce it.
 * @throws {KafkaProcessorOptionsError} code `INVALID_OPTIONS` naming `field`.
 */
export function checkOutputCompression(value: unknown, field: string): OutputCompression {
  if (!(OUTPUT_COMPRESSIONS as readonly unknown[]).includes(value)) {
    throw new KafkaProcessorOptionsError(
      field,
      `expected one of ${OUTPUT_COMPRESSIONS.join(', ')}, got ${String(value)}`,
    );
  }
  /* v8 ignore if -- Node's zstd exists from 22.15; the tests run on the pinned Node.js 24 */
  if (value === 'zstd' && !isZstdOutputAvailable()) {
    throw new KafkaProcessorOptionsError(
      field,
      `zstd output needs Node.js 22.15 or later (this is ${process.version}); reading zstd works on any`,
    );
  }
  return value as OutputCompression;
}

/** The options in force, or undefined before the first {@link registerKafkaCodecs}. */
export function registeredCodecOptions(): Readonly<Required<KafkaCodecOptions>> | undefined {
  return registered;
}

/**
 * Registers gzip, snappy, lz4 and zstd codecs with kafkajs (process-wide: kafkajs keeps one codec
 * table), each bounded by `maxDecompressedBytes`. kafkajs 2.2.4 ships only gzip (without a
 * bound); without these codecs a batch of another codec crashes the consumer on every fetch.
 *
 * Formats: snappy reads raw snappy (librdkafka) and xerial framing (Java) and writes xerial
 * framing; lz4 is the LZ4 frame format Kafka uses (independent blocks); zstd reads with Node's
 * zlib where it has zstd (22.15+) and a pure-JS decoder before, and writes only with Node's zlib.
 *
 * `AggregateProcessor` and `MetricChangeConsumer` call it with the defaults on construction when
 * nothing was registered yet; call it once before creating them to choose the bound. Calling it
 * again replaces the bound.
 * @throws {KafkaProcessorOptionsError} code `INVALID_OPTIONS` when `maxDecompressedBytes` is not an integer >= 1024.
 * @example
 * ```ts
 * registerKafkaCodecs({ maxDecompressedBytes: 64 * 1024 * 1024 });
 * const processor = new AggregateProcessor({ kafka, applicationId: 'analytics', pool, compression: 'lz4' });
 * ```
 */
export function registerKafkaCodecs(options: KafkaCodecOptions = {}): void {
  const maxDecompressedBytes = check.integer(
    options.maxDecompressedBytes ?? DEFAULT_CODEC_OPTIONS.maxDecompressedBytes,
    'maxDecompressedBytes',
    1024,
  );
  registered = Object.freeze({ maxDecompressedBytes });
  const codecs = CompressionCodecs as Record<number, () => KafkaCodec>;
  const gzip = gzipCodec(maxDecompressedBytes);
  const snappy = snappyCodec(maxDecompressedBytes);
  const lz4 = lz4Codec(maxDecompressedBytes);
  const zstd = zstdCodec(maxDecompressedBytes);
  codecs[CompressionTypes.GZIP] = () => gzip;
  codecs[CompressionTypes.Snappy] = () => snappy;
  codecs[CompressionTypes.LZ4] = () => lz4;
  codecs[CompressionTypes.ZSTD] = () => zstd;
}

/** Registers the codecs with their defaults unless {@link registerKafkaCodecs} already ran. */
export function ensureKafkaCodecs(): void {
  if (registered === undefined) registerKafkaCodecs();
}

function tooLarge(codec: CodecName, compressedBytes: number, limit: number, found: string): CodecError {
  return new CodecError('DECOMPRESSED_TOO_LARGE', codec, {
    compressedBytes,
    maxDecompressedBytes: limit,
    message: `A ${codec} record batch of ${compressedBytes} bytes ${found}, over maxDecompressedBytes (${limit})`,
  });
}

function failed(codec: CodecName, compressedBytes: number, limit: number, cause: unknown): CodecError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CodecError('DECOMPRESSION_FAILED', codec, {
    compressedBytes,
    maxDecompressedBytes: limit,
    message: `A ${codec} record batch of ${compressedBytes} bytes could not be decompressed: ${reason.slice(0, 200)}`,
    cause,
  });
}

/**
 * Runs a framed codec's decoder after checking the framing's size bound, and checks the result.
 * Errors of the decoder become `DECOMPRESSION_FAILED`.
 */
async function boundedDecompress(
  codec: FramedCodec,
  buffer: Buffer,
  limit: number,
  decode: (chunks: Buffer[] | undefined) => Promise<Buffer>,
): Promise<Buffer> {
  let bound: ReturnType<typeof decompressedSizeBound>;
  try {
    bound = decompressedSizeBound(codec, buffer);
  } catch (error) {
    throw failed(codec, buffer.length, limit, error);
  }
  if (bound.bytes > limit)
    throw tooLarge(codec, buffer.length, limit, `can decompress to ${bound.bytes} bytes`);
  if (bound.allocation > limit) {
    throw tooLarge(codec, buffer.length, limit, `declares a window or content of ${bound.allocation} bytes`);
  }
  let result: Buffer;
  try {
    result = await decode(bound.chunks);
  } catch (error) {
    throw failed(codec, buffer.length, limit, error);
  }
  // The framing bounds the output; a decoder that produced more was fed a lie.
  if (result.length > limit)
    throw tooLarge(codec, buffer.length, limit, `decompressed to ${result.length} bytes`);
  return result;
}

const gzipAsync = promisify(zlib.gzip);
const unzipAsync = promisify(zlib.unzip) as (buffer: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;

function gzipCodec(limit: number): KafkaCodec {
  return {
    compress: (encoder) => gzipAsync(encoder.buffer),
    async decompress(buffer) {
      try {
        // zlib stops inflating once the output would pass maxOutputLength.
        return await unzipAsync(buffer, { maxOutputLength: limit });
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
          throw tooLarge('gzip', buffer.length, limit, 'inflates to more bytes');
        }
        throw failed('gzip', buffer.length, limit, error);
      }
    },
  };
}

const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
/** Uncompressed bytes per xerial chunk, as Java's `SnappyOutputStream` writes them. */
const XERIAL_CHUNK_BYTES = 32 * 1024;

function snappyCodec(limit: number): KafkaCodec {
  return {
    async compress(encoder) {
      const input = encoder.buffer;
      const parts: Buffer[] = [XERIAL_HEADER];
      for (let start = 0; start < input.length; start += XERIAL_CHUNK_BYTES) {
        const chunk = await snappyCompress(input.subarray(start, start + XERIAL_CHUNK_BYTES));
        const length = Buffer.alloc(4);
        length.writeUInt32BE(chunk.length);
        parts.push(length, chunk);
      }
      return Buffer.concat(parts);
    },
    decompress: (buffer) =>
      boundedDecompress('snappy', buffer, limit, async (chunks) => {
        const parts: Buffer[] = [];
        for (const chunk of chunks!)
          parts.push((await snappyUncompress(chunk, { asBuffer: true })) as Buffer);
        return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      }),
  };
}

function lz4Codec(limit: number): KafkaCodec {
  return {
    compress: (encoder) => compressFrame(encoder.buffer),
    decompress: (buffer) => boundedDecompress('lz4', buffer, limit, () => decompressFrame(buffer)),
  };
}

function zstdCodec(limit: number): KafkaCodec {
  return {
    compress(encoder) {
      const compress = nodeZstd.zstdCompress;
      /* v8 ignore if -- Node's zstd exists from 22.15; the tests run on the pinned Node.js 24 */
      if (compress === undefined) {
        return Promise.reject(
          new CodecError('CODEC_UNAVAILABLE', 'zstd', {
            compressedBytes: 0,
            maxDecompressedBytes: limit,
            message: `zstd output needs Node.js 22.15 or later (this is ${process.version})`,
          }),
        );
      }
      return new Promise((resolve, reject) =>
        compress(encoder.buffer, (error, result) => (error ? reject(error) : resolve(result))),
      );
    },
    decompress: (buffer) =>
      boundedDecompress('zstd', buffer, limit, async () => {
        const decompress = nodeZstd.zstdDecompress;
        /* v8 ignore if -- Node's zstd exists from 22.15; the tests run on the pinned Node.js 24 */
        if (decompress === undefined) {
          const output = zstdDecompressJs(buffer);
          return Buffer.from(output.buffer, output.byteOffset, output.byteLength);
        }
        return new Promise<Buffer>((resolve, reject) =>
          decompress(buffer, { maxOutputLength: limit }, (error, result) =>
            error ? reject(error) : resolve(result),
          ),
        );
      }),
  };
}
