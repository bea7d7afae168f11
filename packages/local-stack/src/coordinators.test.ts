import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { coordinatorPartition, partitionLeaders, transactionCoordinator } from './coordinators.js';

describe('coordinatorPartition', () => {
  it('takes Java String.hashCode modulo the partition count', () => {
    // "abc".hashCode() == 96354 in Java.
    expect(coordinatorPartition('abc', 10)).toBe(96_354 % 10);
    expect(coordinatorPartition('abc', 50)).toBe(96_354 % 50);
  });

  it('uses the absolute value of a negative hash', () => {
    // "hello world".hashCode() == 1794106052 (overflows on the way); "hello world!" is negative.
    expect(coordinatorPartition('hello world', 7)).toBe(1_794_106_052 % 7);
    expect(coordinatorPartition('hello world!', 10)).toBe(217_287_203 % 10);
    expect(coordinatorPartition('zzzzzz', 50)).toBe(685_785_664 % 50);
  });

  it('maps a hash of Integer.MIN_VALUE to partition 0, as Kafka Utils.abs does', () => {
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE.
    expect(coordinatorPartition('polygenelubricants', 7)).toBe(0);
  });
});

/**
 * A kafkajs admin that answers metadata requests with `topics` (a stand-in for the third-party
 * client, not for our code): the shapes below are what a broker answers before the first
 * transactional producer created `__transaction_state`, or while a partition is missing from it.
 */
function metadataAdmin(topics: Array<{ partitions: Array<{ partitionId: number; leader: number }> }>): Admin {
  return { fetchTopicMetadata: async () => ({ topics }) } as unknown as Admin;
}

describe('transactionCoordinator', () => {
  it('says that __transaction_state does not exist yet when the broker knows no such topic', async () => {
    expect(await partitionLeaders(metadataAdmin([]), '__transaction_state')).toEqual(new Map());
    await expect(transactionCoordinator(metadataAdmin([]), 'tx-1')).rejects.toThrow(
      '__transaction_state does not exist yet',
    );
  });

  it('names the leader of the partition that holds the id, or -1 when metadata lists no such partition', async () => {
    const partitions = [
      { partitionId: 0, leader: 1 },
      { partitionId: 1, leader: 2 },
    ];
    const id = 'abc'; // 96354 % 2 == 0

    expect(await transactionCoordinator(metadataAdmin([{ partitions }]), id)).toBe(1);
    expect(
      await transactionCoordinator(metadataAdmin([{ partitions: [{ partitionId: 1, leader: 2 }] }]), id),
    ).toBe(-1);
  });
});
