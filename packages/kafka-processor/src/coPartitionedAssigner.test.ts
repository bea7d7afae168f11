import type { Cluster, Logger } from 'kafkajs';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  CO_PARTITIONED_PROTOCOL,
  createCoPartitionedAssigner,
  decodeOwnedGroups,
  encodeOwnedGroups,
  planCoPartitionedAssignment,
} from './coPartitionedAssigner.js';

const { AssignerProtocol } = kafkajs;

function members(previous: Record<string, number[]>) {
  return Object.entries(previous).map(([memberId, previousGroups]) => ({ memberId, previousGroups }));
}

function sizes(plan: Map<string, number[]>): number[] {
  return [...plan.values()].map((groups) => groups.length);
}

function allGroups(plan: Map<string, number[]>): number[] {
  return [...plan.values()].flat().sort((a, b) => a - b);
}

function moved(before: Map<string, number[]>, after: Map<string, number[]>): number {
  let count = 0;
  for (const [memberId, groups] of after) {
    const previous = new Set(before.get(memberId) ?? []);
    count += groups.filter((g) => !previous.has(g)).length;
  }
  return count;
}

describe('planCoPartitionedAssignment', () => {
  it('gives every group to exactly one member', () => {
    const plan = planCoPartitionedAssignment(6, members({ a: [], b: [], c: [], d: [] }));
    expect(allGroups(plan)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('balances groups so that counts differ by at most one', () => {
    for (let memberCount = 1; memberCount <= 8; memberCount++) {
      const plan = planCoPartitionedAssignment(
        7,
        Array.from({ length: memberCount }, (_, i) => ({ memberId: `m${i}`, previousGroups: [] })),
      );
      expect(Math.max(...sizes(plan)) - Math.min(...sizes(plan))).toBeLessThanOrEqual(1);
      expect(allGroups(plan)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    }
  });

  it('keeps the existing member on as many groups as its share allows when a member joins', () => {
    const first = planCoPartitionedAssignment(6, members({ a: [] }));
    const second = planCoPartitionedAssignment(6, members({ a: first.get('a')!, b: [] }));
    expect(second.get('a')).toHaveLength(3);
    expect(second.get('a')!.every((g) => first.get('a')!.includes(g))).toBe(true);
    expect(moved(first, second)).toBe(3);
  });

  it('moves only the groups of a member that leaves', () => {
    const before = planCoPartitionedAssignment(6, members({ a: [], b: [], c: [] }));
    const after = planCoPartitionedAssignment(6, members({ a: before.get('a')!, c: before.get('c')! }));
    expect(after.get('a')!.filter((g) => before.get('a')!.includes(g))).toEqual(before.get('a'));
    expect(after.get('c')!.filter((g) => before.get('c')!.includes(g))).toEqual(before.get('c'));
    expect(moved(before, after)).toBe(2);
    expect(allGroups(after)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('returns the same plan whatever the order of the members', () => {
    const input = members({ x: [0, 1], y: [2], z: [] });
    const forward = planCoPartitionedAssignment(5, input);
    const backward = planCoPartitionedAssignment(5, [...input].reverse());
    expect([...backward.entries()].sort()).toEqual([...forward.entries()].sort());
  });

  it('ignores stale claims: out-of-range groups and a group claimed by two members', () => {
    const plan = planCoPartitionedAssignment(4, members({ a: [0, 1, 9, -1], b: [1, 2] }));
    expect(allGroups(plan)).toEqual([0, 1, 2, 3]);
    expect(plan.get('a')).toEqual([0, 1]);
    expect(plan.get('b')).toEqual([2, 3]);
  });

  it('gives members beyond the number of groups nothing', () => {
    const plan = planCoPartitionedAssignment(2, members({ a: [], b: [], c: [] }));
    expect(sizes(plan).sort()).toEqual([0, 1, 1]);
  });

  it('returns an empty plan without members', () => {
    expect(planCoPartitionedAssignment(3, []).size).toBe(0);
  });
});

describe('owned groups userData', () => {
  it('round-trips the owned groups', () => {
    expect(decodeOwnedGroups(encodeOwnedGroups([3, 1]))).toEqual([3, 1]);
  });

  it('reads empty, missing or garbled userData as owning nothing', () => {
    expect(decodeOwnedGroups(undefined)).toEqual([]);
    expect(decodeOwnedGroups(Buffer.alloc(0))).toEqual([]);
    expect(decodeOwnedGroups(Buffer.from('{not json'))).toEqual([]);
    expect(decodeOwnedGroups(Buffer.from('{"groups":"x"}'))).toEqual([]);
    expect(decodeOwnedGroups(Buffer.from('null'))).toEqual([]);
  });
});

describe('createCoPartitionedAssigner', () => {
  const counts: Record<string, number> = { 'product.created': 4, 'product.updated': 4, 'product.deleted': 4 };
  const cluster = {
    findTopicPartitionMetadata: (topic: string) =>
      Array.from({ length: counts[topic] ?? 0 }, (_, partitionId) => ({ partitionId })),
  } as unknown as Cluster;
  const logger = {} as Logger;
  const topics = Object.keys(counts);

  it('announces the protocol with the groups the member owns as userData', () => {
    const assigner = createCoPartitionedAssigner({ ownedGroups: () => [2, 3] })({
      cluster,
      groupId: 'g',
      logger,
    });
    const protocol = assigner.protocol({ topics });
    const metadata = AssignerProtocol.MemberMetadata.decode(protocol.metadata)!;
    expect(protocol.name).toBe(CO_PARTITIONED_PROTOCOL);
    expect(metadata.topics).toEqual(topics);
    expect(decodeOwnedGroups(metadata.userData)).toEqual([2, 3]);
  });

  it('assigns partition i of every topic to the same member, keeping previous owners in place', async () => {
    const a = createCoPartitionedAssigner({ ownedGroups: () => [0, 1, 2, 3] })({
      cluster,
      groupId: 'g',
      logger,
    });
    const b = createCoPartitionedAssigner({ name: 'custom' })({ cluster, groupId: 'g', logger });
    expect(b.name).toBe('custom');
    const result = await a.assign({
      topics,
      members: [
        { memberId: 'member-b', memberMetadata: b.protocol({ topics }).metadata },
        { memberId: 'member-a', memberMetadata: a.protocol({ topics }).metadata },
      ],
    });
    const decoded = Object.fromEntries(
      result.map(({ memberId, memberAssignment }) => [
        memberId,
        AssignerProtocol.MemberAssignment.decode(memberAssignment)!.assignment,
      ]),
    );
    expect(decoded['member-a']).toEqual({
      'product.created': [0, 1],
      'product.updated': [0, 1],
      'product.deleted': [0, 1],
    });
    expect(decoded['member-b']).toEqual({
      'product.created': [2, 3],
      'product.updated': [2, 3],
      'product.deleted': [2, 3],
    });
  });

  it('assigns a member only topics it subscribed to and only partitions that exist', async () => {
    const uneven = {
      findTopicPartitionMetadata: (topic: string) =>
        Array.from({ length: topic === 'small' ? 1 : 2 }, (_, partitionId) => ({ partitionId })),
    } as unknown as Cluster;
    const assigner = createCoPartitionedAssigner()({ cluster: uneven, groupId: 'g', logger });
    const result = await assigner.assign({
      topics: ['small', 'big'],
      members: [
        { memberId: 'only', memberMetadata: assigner.protocol({ topics: ['small', 'big'] }).metadata },
      ],
    });
    expect(AssignerProtocol.MemberAssignment.decode(result[0]!.memberAssignment)!.assignment).toEqual({
      small: [0],
      big: [0, 1],
    });
    const partial = await assigner.assign({
      topics: ['small', 'big'],
      members: [{ memberId: 'only', memberMetadata: assigner.protocol({ topics: ['big'] }).metadata }],
    });
    expect(AssignerProtocol.MemberAssignment.decode(partial[0]!.memberAssignment)!.assignment).toEqual({
      big: [0, 1],
    });
  });
});
