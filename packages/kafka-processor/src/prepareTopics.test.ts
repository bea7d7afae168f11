/**
 * Unit tests of the topic checks with an in-memory stand-in for the kafkajs admin client (a
 * third-party library), for answers a real broker gives only in races: a concurrent creation,
 * a failed creation, leaders that never appear. The normal paths run against the real broker in
 * test/integration.
 */

import { SILENT_LOGGER } from '@marketplace/options';
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INTERNAL_TOPICS } from './defaults.js';
import { InternalTopicError } from './errors.js';
import { createTopicsAndWait, prepareTopics } from './prepareTopics.js';

const INPUTS = ['product.created', 'product.updated', 'product.deleted'];

function fakeAdmin(options: {
  existing: Record<string, number>;
  createTopics?: (topics: { topic: string; numPartitions?: number }[]) => Promise<boolean>;
  leaders?: boolean;
  policy?: string;
}): Admin {
  const topics = { ...options.existing };
  return {
    listTopics: async () => Object.keys(topics),
    fetchTopicMetadata: async ({ topics: names }: { topics: string[] }) => ({
      topics: names
        .filter((name) => name in topics)
        .map((name) => ({
          name,
          partitions: Array.from({ length: topics[name]! }, (_, partitionId) => ({
            partitionId,
            leader: options.leaders === false ? -1 : 1,
          })),
        })),
    }),
    createTopics: async ({ topics: created }: { topics: { topic: string; numPartitions?: number }[] }) => {
      // The topics exist afterwards even when the call fails (e.g. another instance made them).
      for (const t of created) topics[t.topic] = t.numPartitions ?? 1;
      return options.createTopics ? options.createTopics(created) : true;
    },
    describeConfigs: async ({ resources }: { resources: { name: string }[] }) => ({
      resources: resources.map((r) => ({
        resourceName: r.name,
        configEntries:
          options.policy === undefined ? [] : [{ configName: 'cleanup.policy', configValue: options.policy }],
      })),
    }),
  } as unknown as Admin;
}

const prepare = (admin: Admin, createTopics = true) =>
  prepareTopics(admin, {
    inputTopics: INPUTS,
    internalTopics: { ...DEFAULT_INTERNAL_TOPICS },
    createTopics,
    replicationFactor: -1,
    logger: SILENT_LOGGER,
  });

const inputs = Object.fromEntries(INPUTS.map((t) => [t, 4]));

describe('prepareTopics', () => {
  it('accepts internal topics another instance created at the same moment', async () => {
    const admin = fakeAdmin({
      existing: inputs,
      policy: 'compact',
      createTopics: async () => {
        throw Object.assign(new Error('exists'), { errors: [{ type: 'TOPIC_ALREADY_EXISTS' }] });
      },
    });
    await expect(prepare(admin)).resolves.toBe(4);
  });

  it('reports a creation that failed for another reason', async () => {
    const admin = fakeAdmin({
      existing: inputs,
      createTopics: async () => {
        throw Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED' });
      },
    });
    await expect(prepare(admin)).rejects.toBeInstanceOf(InternalTopicError);
  });

  it('requires the dead-letter and alert topics to have at least the input partition count', async () => {
    const admin = fakeAdmin({
      existing: {
        ...inputs,
        ...Object.fromEntries(Object.values(DEFAULT_INTERNAL_TOPICS).map((t) => [t, 4])),
        [DEFAULT_INTERNAL_TOPICS.deadLetter]: 2,
      },
      policy: 'compact',
    });
    await expect(prepare(admin, false)).rejects.toThrow(/has 2 partitions, expected at least 4/);
  });

  it('accepts more partitions on the dead-letter topic but needs a cleanup policy on the changelogs', async () => {
    const existing = {
      ...inputs,
      ...Object.fromEntries(Object.values(DEFAULT_INTERNAL_TOPICS).map((t) => [t, 4])),
      [DEFAULT_INTERNAL_TOPICS.deadLetter]: 8,
    };
    await expect(prepare(fakeAdmin({ existing, policy: 'compact,delete' }), false)).resolves.toBe(4);
    await expect(prepare(fakeAdmin({ existing }), false)).rejects.toThrow(/cleanup.policy is ""/);
  });

  it('requires the reroute topic to have exactly the input partition count (partition g = group g)', async () => {
    const existing = {
      ...inputs,
      ...Object.fromEntries(Object.values(DEFAULT_INTERNAL_TOPICS).map((t) => [t, 4])),
      [DEFAULT_INTERNAL_TOPICS.reroute]: 8,
    };
    await expect(prepare(fakeAdmin({ existing, policy: 'compact' }), false)).rejects.toThrow(
      /"analytics\.reroute" is not usable: it has 8 partitions, expected 4/,
    );
  });

  it('creates the reroute topic with the input partition count, delete cleanup and a week of retention', async () => {
    const created: { topic: string; numPartitions?: number; configEntries?: unknown }[] = [];
    const admin = fakeAdmin({
      existing: inputs,
      policy: 'compact',
      createTopics: async (topics) => {
        created.push(...topics);
        return true;
      },
    });
    await expect(prepare(admin)).resolves.toBe(4);
    expect(created.find((t) => t.topic === DEFAULT_INTERNAL_TOPICS.reroute)).toMatchObject({
      numPartitions: 4,
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: '604800000' },
      ],
    });
  });
});

describe('createTopicsAndWait', () => {
  it('gives up when the new topics get no leader in time', async () => {
    const admin = fakeAdmin({ existing: {}, leaders: false });
    await expect(createTopicsAndWait(admin, [{ topic: 't', numPartitions: 1 }], 150)).rejects.toThrow(
      /no leaders/,
    );
  });

  it('keeps polling through metadata errors until the deadline, then reports the last one', async () => {
    const admin = {
      createTopics: async () => true,
      fetchTopicMetadata: async () => {
        throw new Error('This server does not host this topic-partition');
      },
    } as unknown as Admin;
    await expect(createTopicsAndWait(admin, [{ topic: 't' }], 150)).rejects.toThrow(/does not host/);
  });
});
