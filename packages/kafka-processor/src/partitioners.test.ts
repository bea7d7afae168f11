import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isPartitionerName, murmur2, PARTITIONERS, partitionForKey } from './partitioners.js';

/** Keys of every length class (4n, 4n+1, 4n+2, 4n+3), ASCII and multi-byte UTF-8. */
function keys(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(`p-${i}${'x'.repeat(i % 5)}`, `produkt-${i}-ü€`, `${i}`);
  return out;
}

describe('murmur2', () => {
  it.each([
    // Published vectors of the Kafka Java client's Utils.murmur2 (its UtilsTest).
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j like the Java client', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected);
  });

  it('hashes an empty key', () => {
    expect(Number.isInteger(murmur2(new Uint8Array(0)))).toBe(true);
  });
});

describe('partitionForKey', () => {
  it('puts every key where the kafkajs DefaultPartitioner (Java-compatible murmur2) puts it', () => {
    const partitioner = kafkajs.Partitioners.DefaultPartitioner();
    for (const partitions of [2, 3, 4, 6, 7, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
        partitionErrorCode: 0,
      }));
      for (const key of keys(700)) {
        const expected = partitioner({ topic: 't', partitionMetadata, message: { key, value: 'v' } });
        expect(partitionForKey('murmur2', Buffer.from(key), partitions), `${key} over ${partitions}`).toBe(
          expected,
        );
      }
    }
  });

  it('uses the standard CRC-32 for crc32 (librdkafka consistent): check value and modulo', () => {
    // 0xCBF43926 is the CRC-32 check value of "123456789".
    expect(partitionForKey('crc32', Buffer.from('123456789'), 2 ** 31)).toBe(0xcbf43926 % 2 ** 31);
    expect(partitionForKey('crc32', Buffer.from('123456789'), 7)).toBe(0xcbf43926 % 7);
  });

  it('keeps every partition in range, and spreads keys over all partitions', () => {
    for (const name of PARTITIONERS) {
      const seen = new Set<number>();
      for (const key of keys(200)) {
        const p = partitionForKey(name, Buffer.from(key), 6);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(6);
        seen.add(p);
      }
      expect(seen.size).toBe(6);
    }
  });

  it('disagrees between murmur2 and crc32 for most keys (why mixed producers misroute)', () => {
    const all = keys(300);
    const differ = all.filter(
      (k) => partitionForKey('murmur2', Buffer.from(k), 4) !== partitionForKey('crc32', Buffer.from(k), 4),
    );
    expect(differ.length).toBeGreaterThan(all.length / 2);
  });
});

describe('isPartitionerName', () => {
  it('accepts murmur2 and crc32 only', () => {
    expect(isPartitionerName('murmur2')).toBe(true);
    expect(isPartitionerName('crc32')).toBe(true);
    expect(isPartitionerName('fnv1a')).toBe(false);
    expect(isPartitionerName(undefined)).toBe(false);
  });
});
