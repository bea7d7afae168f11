import { describe, expect, it } from 'vitest';
import { approximateSize, chunkBySize } from './chunkBySize.js';

describe('chunkBySize', () => {
  const record = (bytes: number) => ({
    key: 'k',
    value: Buffer.alloc(bytes),
    headers: { h: ['a', Buffer.from('b')] },
  });

  it('keeps order and splits so that no chunk exceeds the limit', () => {
    const records = Array.from({ length: 10 }, () => record(300));
    const chunks = chunkBySize(records, 1_000);
    expect(chunks.flat()).toEqual(records);
    for (const chunk of chunks)
      expect(chunk.reduce((n, m) => n + approximateSize(m), 0)).toBeLessThanOrEqual(1_000);
    expect(chunks.length).toBeGreaterThan(1);
  });

  it('gives a record larger than the limit a chunk of its own', () => {
    expect(chunkBySize([record(10), record(5_000), record(10)], 1_000).map((c) => c.length)).toEqual([
      1, 1, 1,
    ]);
  });

  it('returns no chunks for no records and counts null keys and values as empty', () => {
    expect(chunkBySize([], 1_000)).toEqual([]);
    expect(approximateSize({ key: null, value: null })).toBe(64);
    expect(approximateSize({ value: 'abc' })).toBe(67);
  });

  it('also caps the records per chunk, keeping their order', () => {
    const records = Array.from({ length: 7 }, () => record(10));

    const chunks = chunkBySize(records, 1_000_000, 3);

    expect(chunks.map((c) => c.length)).toEqual([3, 3, 1]);
    expect(chunks.flat()).toEqual(records);
  });
});
