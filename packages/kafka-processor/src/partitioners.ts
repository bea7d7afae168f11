import { crc32 } from 'node:zlib';

/**
 * Key partitioners of the Kafka clients that produce the input topics, written from the
 * algorithms' definitions:
 *
 * - `murmur2`: the Java client's (and kafkajs') default, `toPositive(murmur2(key)) % partitions`
 *   (librdkafka calls it `murmur2` / `murmur2_random`);
 * - `crc32`: librdkafka's default (`consistent_random`, and `consistent`), `crc32(key) % partitions`
 *   (Go, Python, .NET and C clients built on librdkafka, kcat).
 */
export const PARTITIONERS = Object.freeze(['murmur2', 'crc32'] as const);

/** One of {@link PARTITIONERS}. */
export type PartitionerName = (typeof PARTITIONERS)[number];

/** The default partitioner: the Java client's and kafkajs' (murmur2). */
export const DEFAULT_PARTITIONER: PartitionerName = 'murmur2';

const MURMUR2_SEED = 0x9747b28c;
const MURMUR2_M = 0x5bd1e995;

/**
 * The 32-bit MurmurHash2 variant of the Kafka Java client (seed `0x9747b28c`), as a signed 32-bit
 * integer like Java's `int`.
 */
export function murmur2(key: Uint8Array): number {
  const length = key.length;
  let h = (MURMUR2_SEED ^ length) | 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    // Four bytes little-endian, each byte unsigned.
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, MURMUR2_M);
    k ^= k >>> 24;
    k = Math.imul(k, MURMUR2_M);
    h = Math.imul(h, MURMUR2_M);
    h ^= k;
  }
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= key[blocks + 2]! << 16;
    if (rest >= 2) h ^= key[blocks + 1]! << 8;
    h ^= key[blocks]!;
    h = Math.imul(h, MURMUR2_M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, MURMUR2_M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a key under `partitioner` for a topic of `partitions` partitions. */
export function partitionForKey(partitioner: PartitionerName, key: Uint8Array, partitions: number): number {
  if (partitioner === 'murmur2') return (murmur2(key) & 0x7fffffff) % partitions;
  // zlib's CRC-32 (IEEE 802.3, reflected 0xEDB88320) is the one librdkafka's rd_crc32 computes.
  return crc32(key) % partitions;
}

/** True when `value` names a partitioner of {@link PARTITIONERS}. */
export function isPartitionerName(value: unknown): value is PartitionerName {
  return typeof value === 'string' && (PARTITIONERS as readonly string[]).includes(value);
}
