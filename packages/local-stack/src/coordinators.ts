import type { Admin } from 'kafkajs';

/** Java's `String.hashCode()` of `text` (UTF-16 code units, 32-bit overflow). */
function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * The partition of `__transaction_state` (for a transactional id) or `__consumer_offsets` (for a
 * group id) that holds `key`, as the broker computes it: `abs(key.hashCode()) % partitions`, with
 * Kafka's `Utils.abs` mapping `Integer.MIN_VALUE` to 0. The leader of that partition is the
 * transaction (or group) coordinator of `key`.
 */
export function coordinatorPartition(key: string, partitions: number): number {
  const hash = javaStringHash(key);
  const abs = hash === -2_147_483_648 ? 0 : Math.abs(hash);
  return abs % partitions;
}

/** Leader node id of each partition of `topic`, from a metadata request (`-1`: no leader now). */
export async function partitionLeaders(admin: Admin, topic: string): Promise<Map<number, number>> {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitions = metadata.topics[0]?.partitions ?? [];
  return new Map(partitions.map((p) => [p.partitionId, p.leader]));
}

/**
 * Node id of the transaction coordinator of `transactionalId`: the leader of its partition of
 * `__transaction_state` (which exists once any transactional producer has started; the local stack
 * warms it up). kafkajs's admin has no FindCoordinator call, so this computes the partition as the
 * broker does and asks for its leader.
 * @throws Error when `__transaction_state` does not exist yet.
 */
export async function transactionCoordinator(admin: Admin, transactionalId: string): Promise<number> {
  const leaders = await partitionLeaders(admin, '__transaction_state');
  if (leaders.size === 0) throw new Error('__transaction_state does not exist yet');
  return leaders.get(coordinatorPartition(transactionalId, leaders.size)) ?? -1;
}
