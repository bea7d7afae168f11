import type { ChildProcess } from 'node:child_process';
import { generateMarketplaceStream } from '@marketplace/product-events';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient, testStack, uniqueName } from '../../../local-stack/test/clients.js';
import {
  createInputTopics,
  deleteTopics,
  produceAll,
  readOutputs,
  testTopics,
  waitUntilConsumed,
} from './helpers.js';
import { expectOutputsMatchOracle } from './oracle.js';
import { committedCount, startStage } from './stageProcess.js';

describe('AggregateProcessor crash recovery', () => {
  let kafka: Kafka;
  let admin: Admin;
  const created: string[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await deleteTopics(admin, created);
    await admin.disconnect();
  });

  it('equals the oracle after being SIGKILLed at random points three times while consuming 50k events', async () => {
    const t = testTopics('crash');
    created.push(...t.all);
    await createInputTopics(admin, t.topics, 6);
    const generated = [
      ...generateMarketplaceStream({
        seed: 2026,
        events: 50_000,
        products: 5_000,
        sellers: 60,
        categories: 15,
        duplicateRate: 0.03,
        reorder: { window: 20 },
        malformedRate: 0.005,
        topics: t.topics,
      }),
    ];
    expect(generated.length).toBeGreaterThanOrEqual(50_000);
    await produceAll(kafka, generated);
    const total = BigInt(generated.length);
    const applicationId = uniqueName('crash');
    const groupId = `${applicationId}-aggregate`;
    const inputs = Object.values(t.topics);
    const config = {
      brokers: testStack().kafkaBrokers,
      applicationId,
      topics: t.topics,
      internalTopics: t.internalTopics,
    };

    // Kill points: three random fractions of the stream, increasing.
    const fractions = [Math.random(), Math.random(), Math.random()].map((f) => 0.1 + f * 0.7).sort();
    const killedAt: bigint[] = [];
    for (const fraction of fractions) {
      const stage = startStage(config);
      children.push(stage.child);
      const target = (total * BigInt(Math.round(fraction * 1000))) / 1000n;
      const deadline = Date.now() + 120_000;
      let progress = await committedCount(admin, groupId, inputs);
      while (
        progress < target &&
        progress < total &&
        Date.now() < deadline &&
        stage.child.exitCode === null
      ) {
        await new Promise((r) => setTimeout(r, 50));
        progress = await committedCount(admin, groupId, inputs);
      }
      expect(stage.child.exitCode, stage.output()).toBeNull();
      // Somewhere inside the next batch(es), not at a batch boundary.
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)));
      stage.child.kill('SIGKILL');
      await stage.exited;
      killedAt.push(progress);
    }
    expect(killedAt.filter((p) => p < total)).toHaveLength(3);

    const final = startStage(config);
    children.push(final.child);
    await waitUntilConsumed(admin, groupId, inputs, 180_000);
    final.child.kill('SIGTERM');
    expect(await final.exited, final.output()).toBe(0);

    expectOutputsMatchOracle(await readOutputs(kafka, admin, t.internalTopics), generated);
  });
});
