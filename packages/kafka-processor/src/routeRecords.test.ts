import { describe, expect, it } from 'vitest';
import { partitionForKey } from './partitioners.js';
import { routeRecords } from './routeRecords.js';

const record = (key: string | null, id: number) => ({ key: key === null ? null : Buffer.from(key), id });
const ownerOf = (key: string, n: number) => partitionForKey('murmur2', Buffer.from(key), n);

/** Product ids with their murmur2 owner over 4 partitions. */
const ids = Array.from({ length: 40 }, (_, i) => `p-${i}`);
const ownedBy = (group: number) => ids.filter((id) => ownerOf(id, 4) === group);

describe('routeRecords', () => {
  it('returns the batch itself when every keyed record belongs to the group', () => {
    const batch = ownedBy(2).map((id, i) => record(id, i));
    const routed = routeRecords(batch, 2, 4, 'murmur2');
    expect(routed.local).toBe(batch);
    expect(routed.misrouted).toEqual([]);
    expect(routed.keyless).toBe(0);
  });

  it('splits misrouted records off with their owner, keeping the order of the rest', () => {
    const mine = ownedBy(1);
    const theirs = ownedBy(3);
    const batch = [
      record(mine[0]!, 0),
      record(theirs[0]!, 1),
      record(mine[1]!, 2),
      record(theirs[1]!, 3),
      record(mine[2]!, 4),
    ];
    const routed = routeRecords(batch, 1, 4, 'murmur2');
    expect(routed.local.map((r) => r.id)).toEqual([0, 2, 4]);
    expect(routed.misrouted.map((m) => [m.message.id, m.owner])).toEqual([
      [1, 3],
      [3, 3],
    ]);
  });

  it('keeps keyless records (missing or empty key) local, for the reduce to dead-letter as MISSING_KEY', () => {
    const theirs = ownedBy(0)[0]!;
    const batch = [record(null, 0), record(theirs, 1), record('', 2)];
    const routed = routeRecords(batch, 3, 4, 'murmur2');
    expect(routed.local.map((r) => r.id)).toEqual([0, 2]);
    expect(routed.keyless).toBe(2);
    expect(routed.misrouted.map((m) => m.owner)).toEqual([0]);
  });

  it('routes by the configured partitioner', () => {
    const key = ids.find((id) => ownerOf(id, 4) !== partitionForKey('crc32', Buffer.from(id), 4))!;
    const crcOwner = partitionForKey('crc32', Buffer.from(key), 4);
    expect(routeRecords([record(key, 0)], crcOwner, 4, 'crc32').misrouted).toEqual([]);
    expect(routeRecords([record(key, 0)], crcOwner, 4, 'murmur2').misrouted[0]?.owner).toBe(ownerOf(key, 4));
  });

  it('owns every key when there is a single group', () => {
    const batch = ids.map((id, i) => record(id, i));
    expect(routeRecords(batch, 0, 1, 'crc32').local).toBe(batch);
  });
});
