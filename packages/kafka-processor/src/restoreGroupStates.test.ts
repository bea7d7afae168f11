import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { exactPartitionsAssigner } from './readChangelogPartitions.js';

type Assigner = ReturnType<PartitionAssigner>;

describe('exactPartitionsAssigner', () => {
  it('gives exactly the asked partitions to the first member and nothing to any other', async () => {
    const assigner = (exactPartitionsAssigner('changelog', [2, 5]) as PartitionAssigner)({
      cluster: {} as never,
      groupId: 'g',
      logger: {} as never,
    }) as Assigner;

    const assignment = await assigner.assign({
      members: [{ memberId: 'first' }, { memberId: 'second' }] as never,
      topics: ['changelog'],
    });

    const decoded = assignment.map(({ memberId, memberAssignment }) => ({
      memberId,
      assignment: AssignerProtocol.MemberAssignment.decode(memberAssignment)?.assignment,
    }));
    expect(decoded).toEqual([
      { memberId: 'first', assignment: { changelog: [2, 5] } },
      { memberId: 'second', assignment: {} },
    ]);
    expect(assigner.name).toBe('exact-partitions');
  });
});
