/**
 * Upper bounds of the decompressed size of Kafka record-batch payloads, read from the framing
 * alone (no decompression), so a batch over the bound is refused before any memory is spent on
 * it. Each codec checks the real size again after decompressing.
 */

/** A codec whose framing {@link decompressedSizeBound} reads. */
export type FramedCodec = 'snappy' | 'lz4' | 'zstd';

/** The framing is not what the codec writes: the payload is corrupt or not of that codec. */
export class InvalidFramingError extends Error {
  constructor(codec: FramedCodec, problem: string) {
    super(`Invalid ${codec} framing: ${problem}`);
    this.name = 'InvalidFramingError';
  }
}

/**
 * What {@link decompressedSizeBound} found: the largest number of bytes the payload can
 * decompress to, and for snappy the raw chunks to decompress one by one.
 */
export interface SizeBound {
  /** Upper bound of the decompressed size in bytes. */
  bytes: number;
  /** Largest buffer the decoder allocates up front (zstd window, declared content sizes). */
  allocation: number;
  /** Snappy only: the raw snappy blocks (one for raw snappy, several for xerial framing). */
  chunks?: Buffer[];
}

/**
 * Reads the framing of a compressed Kafka record-batch payload and returns an upper bound of its
 * decompressed size:
 * - snappy: raw snappy (librdkafka) or xerial framing (Java's `SnappyOutputStream`); each raw
 *   block starts with its exact decompressed length;
 * - lz4: LZ4 frames (what Kafka uses since message format v1): declared content size, else the
 *   sum of stored blocks and the frame's block maximum size per compressed block;
 * - zstd: zstd frames (and skippable frames): the sum of raw and RLE block sizes and at most
 *   128 KiB per compressed block (the format's block maximum).
 * @throws {InvalidFramingError} when the framing is not valid for the codec.
 */
export function decompressedSizeBound(codec: FramedCodec, buffer: Buffer): SizeBound {
  switch (codec) {
    case 'snappy':
      return snappyBound(buffer);
    case 'lz4':
      return lz4Bound(buffer);
    case 'zstd':
      return zstdBound(buffer);
  }
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

/** The length varint at the start of a raw snappy block (at most 32 bits). */
function snappyLength(block: Buffer): number {
  let length = 0;
  for (let index = 0; index < 5; index++) {
    const byte = block[index];
    if (byte === undefined) break;
    length += (byte & 0x7f) * 2 ** (7 * index);
    if ((byte & 0x80) === 0) return length;
  }
  throw new InvalidFramingError('snappy', 'truncated or overlong length of a raw block');
}

function snappyBound(buffer: Buffer): SizeBound {
  if (buffer.length >= XERIAL_HEADER_BYTES && buffer.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let index = XERIAL_HEADER_BYTES;
    while (index < buffer.length) {
      if (index + 4 > buffer.length) throw new InvalidFramingError('snappy', 'truncated xerial chunk length');
      const size = buffer.readUInt32BE(index);
      index += 4;
      if (index + size > buffer.length) throw new InvalidFramingError('snappy', 'truncated xerial chunk');
      const chunk = buffer.subarray(index, index + size);
      index += size;
      bytes += snappyLength(chunk);
      chunks.push(chunk);
    }
    return { bytes, allocation: bytes, chunks };
  }
  const bytes = snappyLength(buffer);
  return { bytes, allocation: bytes, chunks: [buffer] };
}

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

function isSkippableFrame(magic: number): boolean {
  return magic >>> 4 === 0x184d2a5;
}

/** Skips a skippable frame (LZ4 and zstd share the form) and returns the next index. */
function skipFrame(codec: FramedCodec, buffer: Buffer, index: number): number {
  if (index + 8 > buffer.length) throw new InvalidFramingError(codec, 'truncated skippable frame');
  const next = index + 8 + buffer.readUInt32LE(index + 4);
  if (next > buffer.length) throw new InvalidFramingError(codec, 'truncated skippable frame');
  return next;
}

function lz4Bound(buffer: Buffer): SizeBound {
  let bytes = 0;
  let allocation = 0;
  let index = 0;
  if (buffer.length === 0) throw new InvalidFramingError('lz4', 'empty payload');
  while (index < buffer.length) {
    if (index + 7 > buffer.length) throw new InvalidFramingError('lz4', 'truncated frame header');
    const magic = buffer.readUInt32LE(index);
    if (isSkippableFrame(magic)) {
      index = skipFrame('lz4', buffer, index);
      continue;
    }
    if (magic !== LZ4_MAGIC) throw new InvalidFramingError('lz4', 'not an LZ4 frame (magic number)');
    const flags = buffer[index + 4]!;
    const blockMax = LZ4_BLOCK_MAX[(buffer[index + 5]! >> 4) & 0x07]!;
    if (flags >> 6 !== 1 || blockMax === 0) {
      throw new InvalidFramingError('lz4', 'unsupported frame version or block size');
    }
    const blockChecksum = (flags & 0x10) !== 0;
    const hasContentSize = (flags & 0x08) !== 0;
    const contentChecksum = (flags & 0x04) !== 0;
    index += 6;
    let contentSize: number | undefined;
    if (hasContentSize) {
      if (index + 8 > buffer.length) throw new InvalidFramingError('lz4', 'truncated frame header');
      contentSize = Number(buffer.readBigUInt64LE(index));
      index += 8;
    }
    if ((flags & 0x01) !== 0) index += 4; // dictionary id
    index += 1; // header checksum
    let frameBytes = 0;
    for (;;) {
      if (index + 4 > buffer.length) throw new InvalidFramingError('lz4', 'truncated block');
      const word = buffer.readUInt32LE(index);
      index += 4;
      if (word === 0) break; // end mark
      const size = word & 0x7fffffff;
      const stored = word >>> 31 === 1;
      if (size > blockMax) throw new InvalidFramingError('lz4', 'block larger than the frame allows');
      index += size + (blockChecksum ? 4 : 0);
      if (index > buffer.length) throw new InvalidFramingError('lz4', 'truncated block');
      frameBytes += stored ? size : blockMax;
    }
    if (contentChecksum) index += 4;
    if (index > buffer.length) throw new InvalidFramingError('lz4', 'truncated content checksum');
    // A declared content size is only a promise (the decoder may allocate it); the blocks bound
    // what can come out.
    bytes += frameBytes;
    allocation = Math.max(allocation, contentSize ?? 0, blockMax);
  }
  return { bytes, allocation };
}

const ZSTD_MAGIC = 0xfd2fb528;
/** Largest decompressed size of one zstd block (RFC 8878 §3.1.1.2.3). */
const ZSTD_BLOCK_MAX = 128 * 1024;
const FCS_BYTES = [0, 2, 4, 8];

function zstdBound(buffer: Buffer): SizeBound {
  let bytes = 0;
  let allocation = 0;
  let index = 0;
  if (buffer.length === 0) throw new InvalidFramingError('zstd', 'empty payload');
  while (index < buffer.length) {
    if (index + 5 > buffer.length) throw new InvalidFramingError('zstd', 'truncated frame header');
    const magic = buffer.readUInt32LE(index);
    if (isSkippableFrame(magic)) {
      index = skipFrame('zstd', buffer, index);
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new InvalidFramingError('zstd', 'not a zstd frame (magic number)');
    const descriptor = buffer[index + 4]!;
    index += 5;
    const singleSegment = (descriptor & 0x20) !== 0;
    const contentChecksum = (descriptor & 0x04) !== 0;
    if ((descriptor & 0x08) !== 0) throw new InvalidFramingError('zstd', 'reserved bit set');
    let window = 0;
    if (!singleSegment) {
      const windowDescriptor = buffer[index++];
      if (windowDescriptor === undefined) throw new InvalidFramingError('zstd', 'truncated frame header');
      const base = 2 ** (10 + (windowDescriptor >> 3));
      window = base + (base / 8) * (windowDescriptor & 0x07);
    }
    index += [0, 1, 2, 4][descriptor & 0x03]!; // dictionary id
    const fcsFlag = descriptor >> 6;
    const fcsBytes = fcsFlag === 0 && singleSegment ? 1 : FCS_BYTES[fcsFlag]!;
    if (index + fcsBytes > buffer.length) throw new InvalidFramingError('zstd', 'truncated frame header');
    let contentSize: number | undefined;
    if (fcsBytes === 1) contentSize = buffer[index]!;
    else if (fcsBytes === 2) contentSize = buffer.readUInt16LE(index) + 256;
    else if (fcsBytes === 4) contentSize = buffer.readUInt32LE(index);
    else if (fcsBytes === 8) contentSize = Number(buffer.readBigUInt64LE(index));
    index += fcsBytes;
    if (singleSegment) window = contentSize!;
    const blockMax = Math.min(window, ZSTD_BLOCK_MAX);
    let frameBytes = 0;
    for (let last = false; !last; ) {
      if (index + 3 > buffer.length) throw new InvalidFramingError('zstd', 'truncated block header');
      const header = buffer.readUIntLE(index, 3);
      index += 3;
      last = (header & 1) === 1;
      const type = (header >> 1) & 0x03;
      const size = header >>> 3;
      if (type === 3) throw new InvalidFramingError('zstd', 'reserved block type');
      if (type === 1) {
        // RLE: one byte repeated `size` times.
        index += 1;
        frameBytes += size;
      } else {
        index += size;
        frameBytes += type === 0 ? size : blockMax;
      }
      if (index > buffer.length) throw new InvalidFramingError('zstd', 'truncated block');
    }
    if (contentChecksum) index += 4;
    if (index > buffer.length) throw new InvalidFramingError('zstd', 'truncated content checksum');
    bytes += frameBytes;
    allocation = Math.max(allocation, window, contentSize ?? 0);
  }
  return { bytes, allocation };
}
