/**
 * A reducer worker thread dies in the middle of a running stage (issue 13): after a first part of
 * the stream is committed, the real pool's fault injection makes the thread reducing the next
 * batch exit (`process.exit` inside the worker, as a native crash would). The batch's attempt must
 * commit nothing, the group must be taken again (new producer epoch, restore from the changelog),
 * the batch retried, and the final outputs equal the oracle.
 */
import { decodeProductState } from '@marketplace/analytics-aggregator';
import { type GeneratedMessage, generateMarketplaceStream } from '@marketplace/product-events';
import { ReducerPool, WorkerPoolError } from '@marketplace/worker-pool';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient, uniqueName } from '../../../local-stack/test/clients.js';
import { AggregateProcessor } from '../../src/AggregateProcessor.js';
import type { BatchMetrics } from '../../src/types.js';
import {
  createInputTopics,
  deleteTopics,
  injectPoolFault,
  produceAll,
  readOutputs,
  testTopics,
  waitUntilConsumed,
} from './helpers.js';
import { expectOutputsMatchOracle } from './oracle.js';

const PARTITIONS = 3;

function isWorkerCrash(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof WorkerPoolError && e.code === 'WORKER_CRASHED') return true;
  }
  return false;
}

describe('AggregateProcessor when a reducer worker thread dies', () => {
  let kafka: Kafka;
  let admin: Admin;
  const created: string[] = [];

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await deleteTopics(admin, created);
    await admin.disconnect();
  });

  it('commits nothing of the crashed attempt, takes the group again from its changelog and ends equal to the oracle', async () => {
    const t = testTopics('worker-crash');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, PARTITIONS);
    const generated: GeneratedMessage[] = [
      ...generateMarketplaceStream({
        seed: 1313,
        events: 6_000,
        products: 600,
        sellers: 12,
        categories: 5,
        duplicateRate: 0.05,
        reorder: { window: 10 },
        malformedRate: 0.01,
        lowStockRate: 0.2,
        topics: t.topics,
      }),
    ];
    const first = generated.slice(0, 3_000);
    const second = generated.slice(3_000);
    const applicationId = uniqueName('worker-crash');
    const groupId = `${applicationId}-aggregate`;
    const batches: BatchMetrics[] = [];
    const restores: { groups: readonly number[]; states: number }[] = [];
    const retries: { group: number; error: unknown; restoresBefore: number }[] = [];
    // One thread and nothing inline: every batch is reduced on a worker thread.
    const pool = new ReducerPool({ threads: 1, inlineBelow: 0 });
    const processor = new AggregateProcessor({
      kafka,
      applicationId,
      topics: t.topics,
      internalTopics: t.internalTopics,
      pool,
      retry: { minDelayMs: 10, maxDelayMs: 50 },
      metrics: {
        onBatch: (m) => batches.push(m),
        onRestore: ({ groups, states }) => restores.push({ groups, states }),
        onTransactionRetry: ({ group, error }) =>
          retries.push({ group, error, restoresBefore: restores.length }),
      },
    });

    await produceAll(kafka, first);
    await processor.start();
    try {
      await waitUntilConsumed(admin, groupId, Object.values(t.topics));
      const committedBefore = batches.length;
      expect(retries.filter((r) => isWorkerCrash(r.error))).toEqual([]);

      // The stage is running with committed state: the next batch's thread dies.
      injectPoolFault(pool, 'exit');
      await produceAll(kafka, second);
      await waitUntilConsumed(admin, groupId, Object.values(t.topics));

      // The crash surfaced as a retry of the batch (WORKER_CRASHED is retryable)...
      const crash = retries.find((r) => isWorkerCrash(r.error));
      expect(crash).toBeDefined();
      // ...after which the group was taken again: restored from its changelog, non-empty.
      const retaken = restores.slice(crash!.restoresBefore).find((r) => r.groups.includes(crash!.group));
      expect(retaken).toBeDefined();
      expect(retaken!.states).toBeGreaterThan(0);
      expect(batches.length).toBeGreaterThan(committedBefore);
    } finally {
      await processor.stop();
      await pool.destroy();
    }

    // Every input offset was committed by exactly one batch.
    const covered = new Set<string>();
    let consumedMessages = 0;
    for (const b of batches) {
      for (let offset = BigInt(b.firstOffset); offset <= BigInt(b.lastOffset); offset++) {
        const position = `${b.topic}/${b.partition}/${offset}`;
        expect(covered.has(position)).toBe(false);
        covered.add(position);
      }
      consumedMessages += b.messages;
    }
    expect(consumedMessages).toBe(generated.length);

    const outputs = await readOutputs(kafka, admin, t.internalTopics);
    // The crashed attempt committed nothing: no product version reached the changelog twice.
    const versions = outputs.changelog.map((r) => {
      const state = decodeProductState(r.value!);
      return `${state.productId}@${state.version}`;
    });
    expect(new Set(versions).size).toBe(versions.length);
    expectOutputsMatchOracle(outputs, generated);
  });
});
