import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaProcessorOptionsError } from './errors.js';
import { fetchGroupLag } from './fetchGroupLag.js';
import { LagMonitor } from './LagMonitor.js';

/**
 * A stand-in for the kafkajs admin client (a third-party API) answering committed offsets and
 * watermarks from tables, so that the lag arithmetic can be checked without a broker.
 */
function fakeAdmin(
  committed: Record<string, Record<string, Array<{ partition: number; offset: string }>>>,
  ends: Record<string, Array<{ partition: number; low: string; high: string }>>,
  options: { fail?: boolean } = {},
): Admin {
  return {
    fetchOffsets: async ({ groupId, topics }: { groupId: string; topics: string[] }) => {
      if (options.fail) throw new Error('broker down');
      return topics.map((topic) => ({ topic, partitions: committed[groupId]?.[topic] ?? [] }));
    },
    fetchTopicOffsets: async (topic: string) => (ends[topic] ?? []).map((e) => ({ ...e, offset: e.high })),
  } as unknown as Admin;
}

const ends = {
  in: [
    { partition: 0, low: '0', high: '100' },
    { partition: 1, low: '5', high: '50' },
  ],
  out: [{ partition: 0, low: '0', high: '10' }],
};

describe('fetchGroupLag', () => {
  it('is the high watermark minus the committed offset, from the low watermark when nothing is committed', async () => {
    const admin = fakeAdmin(
      {
        g: {
          in: [
            { partition: 0, offset: '90' },
            { partition: 1, offset: '-1' },
          ],
        },
      },
      ends,
    );

    const lags = await fetchGroupLag(admin, { groupId: 'g', topics: ['in'] });

    expect(lags).toEqual([
      { groupId: 'g', topic: 'in', partition: 0, lag: 10, position: 90n },
      { groupId: 'g', topic: 'in', partition: 1, lag: 45, position: 5n },
    ]);
  });

  it('never reports a negative lag', async () => {
    const admin = fakeAdmin({ g: { out: [{ partition: 0, offset: '11' }] } }, ends);

    expect(await fetchGroupLag(admin, { groupId: 'g', topics: ['out'] })).toEqual([
      { groupId: 'g', topic: 'out', partition: 0, lag: 0, position: 11n },
    ]);
  });
});

describe('LagMonitor', () => {
  it('totals the lag of every group and hands each poll to onLag', async () => {
    const seen: string[] = [];
    const admin = fakeAdmin(
      {
        agg: {
          in: [
            { partition: 0, offset: '100' },
            { partition: 1, offset: '50' },
          ],
        },
        sink: { out: [{ partition: 0, offset: '7' }] },
      },
      ends,
    );
    const monitor = new LagMonitor({
      admin,
      groups: [
        { stage: 'aggregate', groupId: 'agg', topics: ['in'] },
        { stage: 'sink', groupId: 'sink', topics: ['out'] },
      ],
      onLag: (group, lags) => {
        for (const { topic, partition, lag } of lags)
          seen.push(`${group.stage} ${topic}/${partition} ${lag}`);
      },
    });

    expect(monitor.total()).toBeUndefined();
    await monitor.poll();

    expect(monitor.lagOf('agg')).toBe(0);
    expect(monitor.lagOf('sink')).toBe(3);
    expect(monitor.total()).toBe(3);
    expect(seen).toEqual(['aggregate in/0 0', 'aggregate in/1 0', 'sink out/0 3']);
    await monitor.stop();
  });

  it('keeps the last values and the error when a poll fails', async () => {
    const monitor = new LagMonitor({
      admin: fakeAdmin({}, ends, { fail: true }),
      groups: [{ groupId: 'g', topics: ['in'] }],
    });

    await monitor.poll();

    expect(monitor.total()).toBeUndefined();
    expect(monitor.error()).toEqual(new Error('broker down'));
  });

  it('shares a poll in flight, and polls again when started', async () => {
    let calls = 0;
    const admin = fakeAdmin({}, ends);
    const counting = {
      ...admin,
      fetchOffsets: async (args: { groupId: string; topics: string[] }) => {
        calls += 1;
        return admin.fetchOffsets(args as never);
      },
    } as unknown as Admin;
    const monitor = new LagMonitor({ admin: counting, groups: [{ groupId: 'g', topics: ['in'] }] });

    await Promise.all([monitor.poll(), monitor.poll()]);
    expect(calls).toBe(1);

    monitor.start(10);
    await monitor.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('rejects a missing admin client, groups that are not an array, a bad group id and a non-function onLag', () => {
    const admin = fakeAdmin({}, ends);
    expect(() => new LagMonitor({ admin: {} as Admin, groups: [] })).toThrow(KafkaProcessorOptionsError);
    expect(() => new LagMonitor({ admin, groups: 'g' as never })).toThrow(
      expect.objectContaining({ field: 'groups' }),
    );
    expect(() => new LagMonitor({ admin, groups: [{ groupId: 'a b', topics: [] }] })).toThrow(
      expect.objectContaining({ field: 'groups[0].groupId' }),
    );
    expect(() => new LagMonitor({ admin, groups: [], onLag: 3 as never })).toThrow(
      expect.objectContaining({ field: 'onLag' }),
    );
  });
});
