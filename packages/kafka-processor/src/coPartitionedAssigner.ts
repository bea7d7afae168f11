import type { GroupMemberAssignment, PartitionAssigner } from 'kafkajs';
import kafkajs from 'kafkajs';

const { AssignerProtocol } = kafkajs;

/** Protocol name the co-partitioned assigner registers with the group coordinator. */
export const CO_PARTITIONED_PROTOCOL = 'copartitioned';

/** A member as seen by {@link planCoPartitionedAssignment}. */
export interface AssignmentMember {
  /** Kafka member id. */
  readonly memberId: string;
  /** Groups (partition indexes) the member owned before this rebalance, from its userData. */
  readonly previousGroups: readonly number[];
}

/**
 * The pure assignment rule behind {@link createCoPartitionedAssigner}: distributes groups
 * `0..groupCount-1` over the members so that
 *
 * - every group goes to exactly one member (the caller then gives it partition *i* of every topic),
 * - group counts of any two members differ by at most one,
 * - a member keeps as many of its previous groups as its share allows (sticky), so a member
 *   joining or leaving moves only the groups it must.
 *
 * Deterministic: the same input gives the same plan regardless of member order.
 * @returns groups per member id, each sorted ascending; members without groups map to `[]`.
 */
export function planCoPartitionedAssignment(
  groupCount: number,
  members: readonly AssignmentMember[],
): Map<string, number[]> {
  const plan = new Map<string, number[]>();
  if (members.length === 0) return plan;
  // Member ids are unique within a group.
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  for (const member of sorted) plan.set(member.memberId, []);

  const base = Math.floor(groupCount / sorted.length);
  const extra = groupCount % sorted.length;
  const validPrevious = (member: AssignmentMember): number[] =>
    [...new Set(member.previousGroups)]
      .filter((g) => Number.isInteger(g) && g >= 0 && g < groupCount)
      .sort((a, b) => a - b);

  // The members that owned most before get the `extra` larger shares, so fewer groups move.
  const bySeniority = [...sorted].sort((a, b) => validPrevious(b).length - validPrevious(a).length);
  const capacity = new Map<string, number>();
  for (const [rank, member] of bySeniority.entries()) {
    capacity.set(member.memberId, base + (rank < extra ? 1 : 0));
  }

  const owner = new Map<number, string>();
  for (const member of bySeniority) {
    const groups = plan.get(member.memberId)!;
    for (const group of validPrevious(member)) {
      if (groups.length >= capacity.get(member.memberId)!) break;
      if (owner.has(group)) continue; // claimed twice (stale userData): the first keeps it
      owner.set(group, member.memberId);
      groups.push(group);
    }
  }

  for (let group = 0; group < groupCount; group++) {
    if (owner.has(group)) continue;
    const target = sorted.find((m) => plan.get(m.memberId)!.length < capacity.get(m.memberId)!)!;
    owner.set(group, target.memberId);
    plan.get(target.memberId)!.push(group);
  }
  for (const groups of plan.values()) groups.sort((a, b) => a - b);
  return plan;
}

/** Encodes the groups a member owns into the userData of its subscription. */
export function encodeOwnedGroups(groups: readonly number[]): Buffer {
  return Buffer.from(JSON.stringify({ groups: [...groups] }), 'utf8');
}

/** Decodes {@link encodeOwnedGroups} userData; anything unreadable counts as "owned nothing". */
export function decodeOwnedGroups(userData: Buffer | null | undefined): number[] {
  if (!userData || userData.length === 0) return [];
  try {
    const parsed: unknown = JSON.parse(userData.toString('utf8'));
    const groups = (parsed as { groups?: unknown } | null)?.groups;
    return Array.isArray(groups) ? groups.filter((g): g is number => Number.isInteger(g)) : [];
  } catch {
    return [];
  }
}

/** Options of {@link createCoPartitionedAssigner}. */
export interface CoPartitionedAssignerOptions {
  /**
   * The groups this member owns now; sent as userData when joining so the leader can keep them
   * in place (stickiness). The processor passes its current assignment.
   * @default () => []
   */
  ownedGroups?: () => readonly number[];
  /**
   * Protocol name registered with the coordinator; every member of the group must use the same.
   * @default 'copartitioned'
   */
  name?: string;
}

/**
 * A kafkajs `PartitionAssigner` that gives partition *i* of every subscribed topic to the same
 * member (group *i*), balanced across members and sticky across rebalances (see
 * {@link planCoPartitionedAssignment}). The number of groups is the largest partition count of the
 * subscribed topics; the processor checks at start that the counts are equal.
 *
 * @example
 * ```ts
 * const consumer = kafka.consumer({
 *   groupId: 'analytics-aggregate',
 *   partitionAssigners: [createCoPartitionedAssigner({ ownedGroups: () => [...owned] })],
 * });
 * ```
 */
export function createCoPartitionedAssigner(options: CoPartitionedAssignerOptions = {}): PartitionAssigner {
  const ownedGroups = options.ownedGroups ?? (() => []);
  const name = options.name ?? CO_PARTITIONED_PROTOCOL;
  const version = 0;
  return ({ cluster }) => ({
    name,
    version,
    async assign({ members, topics }): Promise<GroupMemberAssignment[]> {
      const partitionCounts = new Map<string, number>();
      for (const topic of topics)
        partitionCounts.set(topic, cluster.findTopicPartitionMetadata(topic).length);
      const groupCount = Math.max(0, ...partitionCounts.values());
      const subscriptions = new Map<string, Set<string>>();
      const planned = planCoPartitionedAssignment(
        groupCount,
        members.map(({ memberId, memberMetadata }) => {
          const metadata = AssignerProtocol.MemberMetadata.decode(memberMetadata);
          subscriptions.set(memberId, new Set(metadata?.topics ?? topics));
          return { memberId, previousGroups: decodeOwnedGroups(metadata?.userData) };
        }),
      );
      return [...planned].map(([memberId, groups]) => {
        const assignment: Record<string, number[]> = {};
        for (const topic of topics) {
          if (!subscriptions.get(memberId)?.has(topic)) continue;
          const count = partitionCounts.get(topic)!;
          assignment[topic] = groups.filter((g) => g < count);
        }
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version,
            assignment,
            userData: Buffer.alloc(0),
          }),
        };
      });
    },
    protocol({ topics }) {
      return {
        name,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version,
          topics,
          userData: encodeOwnedGroups(ownedGroups()),
        }),
      };
    },
  });
}
