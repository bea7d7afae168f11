import { describe, expect, it } from 'vitest';
import { PartitionerSampler } from './PartitionerSampler.js';
import { type PartitionerName, partitionForKey } from './partitioners.js';

const N = 4;
const keys = Array.from({ length: 400 }, (_, i) => `p-${i}`);

/** Records of `keys` grouped by the partition `pick` sends them to. */
function byPartition(pick: (key: string) => number): Map<number, { key: Buffer }[]> {
  const out = new Map<number, { key: Buffer }[]>();
  for (const key of keys) {
    const p = pick(key);
    out.set(p, [...(out.get(p) ?? []), { key: Buffer.from(key) }]);
  }
  return out;
}

const by = (name: PartitionerName) => (key: string) => partitionForKey(name, Buffer.from(key), N);

function judge(sampler: PartitionerSampler, topic: string, pick: (key: string) => number) {
  const verdicts = [];
  for (const [partition, messages] of byPartition(pick)) {
    const verdict = sampler.observe(topic, partition, N, messages);
    if (verdict) verdicts.push(verdict);
  }
  return verdicts;
}

describe('PartitionerSampler', () => {
  it('names the partitioner that predicts every sampled record, once per topic', () => {
    const sampler = new PartitionerSampler('murmur2', 50);
    const crc = judge(sampler, 'product.created', by('crc32'));
    expect(crc).toHaveLength(1);
    expect(crc[0]).toMatchObject({
      topic: 'product.created',
      follows: 'crc32',
      configured: 'murmur2',
      sampled: 50,
    });
    expect(crc[0]!.matches.crc32).toBe(50);
    expect(judge(sampler, 'product.created', by('crc32'))).toEqual([]);
    expect(judge(sampler, 'product.updated', by('murmur2'))[0]).toMatchObject({ follows: 'murmur2' });
  });

  it('says neither when the records follow another partitioner', () => {
    const sampler = new PartitionerSampler('crc32', 50);
    const [verdict] = judge(sampler, 'product.deleted', (key) => (key.length * 7 + key.charCodeAt(2)) % N);
    expect(verdict).toMatchObject({ follows: 'neither', configured: 'crc32' });
  });

  it('waits for enough records on which the partitioners disagree', () => {
    const sampler = new PartitionerSampler('murmur2');
    expect(
      sampler.observe('t', 0, N, [{ key: Buffer.from('p-1') }, { key: null }, { key: Buffer.alloc(0) }]),
    ).toBeUndefined();
  });

  it('judges nothing on a single partition (every partitioner agrees)', () => {
    const sampler = new PartitionerSampler('murmur2', 1);
    expect(sampler.observe('t', 0, 1, [{ key: Buffer.from('p-1') }])).toBeUndefined();
  });
});
