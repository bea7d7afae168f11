/**
 * The waits of deleteTopics and createTopic against a stand-in for the kafkajs admin client (a
 * third-party library): a broker that keeps listing a deleted topic, or refuses to create one,
 * for longer than a test should take. Fake timers stand in for the 60 s deadlines.
 */
import type { Admin } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InternalTopicError } from './errors.js';
import { createTopic, deleteTopics } from './rebuildInternalTopics.js';

afterEach(() => {
  vi.useRealTimers();
});

/** An admin whose topic list is `listed()` and whose createTopics fails while `refuse()` says so. */
function admin(listed: () => string[], refuse: () => Error | undefined = () => undefined) {
  const calls = { deleteTopics: 0, createTopics: 0 };
  const client = {
    listTopics: async () => listed(),
    deleteTopics: async () => {
      calls.deleteTopics += 1;
    },
    createTopics: async () => {
      calls.createTopics += 1;
      const error = refuse();
      if (error) throw error;
      return true;
    },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
      topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: 1 }] })),
    }),
  };
  return { client: client as unknown as Admin, calls };
}

describe('deleteTopics', () => {
  it('deletes only the topics present and waits until the broker stops listing them', async () => {
    let lists = 0;
    const { client, calls } = admin(() => {
      lists += 1;
      return lists <= 2 ? ['a', 'b'] : ['b'];
    });
    await deleteTopics(client, ['a', 'missing']);
    expect(calls.deleteTopics).toBe(1);
    expect(lists).toBe(3);

    await deleteTopics(client, ['missing']);
    expect(calls.deleteTopics).toBe(1);
  });

  it('gives up with INTERNAL_TOPIC_INVALID when the topic is still listed after 60 s', async () => {
    vi.useFakeTimers();
    const { client } = admin(() => ['a']);
    const deleting = deleteTopics(client, ['a']).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(61_000);
    const error = await deleting;
    expect(error).toBeInstanceOf(InternalTopicError);
    expect(error).toMatchObject({ code: 'INTERNAL_TOPIC_INVALID', message: expect.stringContaining('60 s') });
  });
});

describe('createTopic', () => {
  it('retries while the broker refuses, then creates the topic', async () => {
    vi.useFakeTimers();
    let refusals = 2;
    const { client, calls } = admin(
      () => [],
      () => (refusals-- > 0 ? new Error('TOPIC_ALREADY_EXISTS: still being deleted') : undefined),
    );
    const creating = createTopic(client, 'a', 2, 1, { 'cleanup.policy': 'compact' });
    await vi.advanceTimersByTimeAsync(1_000);
    await creating;
    expect(calls.createTopics).toBe(3);
  });

  it('gives up after 60 s with INTERNAL_TOPIC_INVALID carrying the last refusal', async () => {
    vi.useFakeTimers();
    const refusal = new Error('INVALID_REPLICATION_FACTOR');
    const { client } = admin(
      () => [],
      () => refusal,
    );
    const creating = createTopic(client, 'a', 2, 3, {}).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(61_000);
    const error = await creating;
    expect(error).toBeInstanceOf(InternalTopicError);
    expect(error).toMatchObject({ code: 'INTERNAL_TOPIC_INVALID', cause: refusal });
  });
});
