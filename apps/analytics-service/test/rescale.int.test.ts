/**
 * Partition growth end to end through the built app, input from an independent kafkajs producer:
 * a stream consumed at 2 partitions; the inputs grown to 4 (input produced meanwhile is pending);
 * the service refuses to start and names `rescale`; `rescale` checks the partitioner, rescales,
 * and the rest is consumed; then 4 -> 6 with the rescale SIGKILLed in the middle and run again.
 * The metrics (MetricsReader and raw table reads) equal the independent oracle.
 */
import {
  type GeneratedMessage,
  generateMarketplaceStream,
  type ProductEvent,
} from '@marketplace/product-events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, eventually, startApp } from './app.js';
import { Deployment, oracleCounts } from './pipeline.js';

const deployment = new Deployment('rescale');
const messages: GeneratedMessage[] = [
  ...generateMarketplaceStream({
    seed: 18_002,
    events: 3000,
    sellers: 8,
    categories: 5,
    products: 300,
    topics: deployment.topics,
    duplicateRate: 0.05,
    reorder: true,
    malformedRate: 0.01,
    currencyMix: { USD: 3, EUR: 1, JPY: 1 },
  }),
];
const eventsOf = (batch: readonly GeneratedMessage[]): ProductEvent[] =>
  batch.flatMap((m) => (m.event === undefined ? [] : [m.event]));
const cut = (share: number) => Math.floor(messages.length * share);

async function growInputs(count: number): Promise<void> {
  const admin = deployment.kafka.admin();
  await admin.connect();
  await admin.createPartitions({
    topicPartitions: Object.values(deployment.topics).map((topic) => ({ topic, count })),
  });
  // The new partitions reach the metadata a little later.
  await eventually('the new partitions have leaders', async () => {
    const { topics } = await admin.fetchTopicMetadata({ topics: Object.values(deployment.topics) });
    return topics.every((t) => t.partitions.length === count && t.partitions.every((p) => p.leader >= 0))
      ? true
      : undefined;
  });
  await admin.disconnect();
}

async function expectRawTableEqualsOracle(events: readonly ProductEvent[]): Promise<void> {
  const raw = await deployment.rawCounts();
  const expected = oracleCounts(events);
  expect([...raw.sellers].sort()).toEqual([...expected.sellers].sort());
  expect([...raw.categories].sort()).toEqual([...expected.categories].sort());
}

beforeAll(async () => {
  await ensureBuilt();
  await deployment.setUp(2);
}, 600_000);

afterAll(async () => {
  await deployment.tearDown();
}, 120_000);

describe('rescale', () => {
  it('takes the pipeline 2 -> 4 -> 6 partitions with exact metrics, also after a SIGKILL mid-rescale', async () => {
    let app = await deployment.launch();
    await deployment.produce(messages.slice(0, cut(0.4)));
    await deployment.converged(eventsOf(messages.slice(0, cut(0.4))));
    expect((await app.terminate()).code).toBe(0);

    // 2 -> 4, with input arriving while the service is down (pending in old and new partitions).
    await growInputs(4);
    await deployment.produce(messages.slice(cut(0.4), cut(0.55)));
    const refused = startApp(deployment.env());
    deployment.apps.push(refused);
    expect((await refused.exited).code).toBe(1);
    expect(refused.stdout()).toContain('analytics-service rescale');

    const wrongPartitioner = await deployment.command(['rescale', '--partitioner', 'crc32']);
    expect(wrongPartitioner.code).toBe(1);
    expect(wrongPartitioner.stderr).toMatch(/follow murmur2 .*--partitioner murmur2/);
    const plan = await deployment.command(['rescale']);
    expect(plan).toMatchObject({ code: 0 });
    expect(plan.stdout).toMatch(
      /^Plan: 2 -> 4 groups, epoch 0 -> 1; \d+ products repartitioned, \d+ pending input records applied/,
    );
    expect(plan.stdout).toContain('Nothing was changed');
    const rescaled = await deployment.command(['rescale', '--yes']);
    expect(rescaled.stdout).toMatch(/^Rescaled to 4 groups under epoch 1 \(rescaled\)/);
    expect(rescaled.stderr).toContain('progress: staging');
    expect(rescaled.code).toBe(0);

    app = await deployment.launch();
    await deployment.produce(messages.slice(cut(0.55), cut(0.75)));
    await deployment.converged(eventsOf(messages.slice(0, cut(0.75))));
    expect((await app.terminate()).code).toBe(0);

    // 4 -> 6, the rescale killed after it committed the input offsets, then run again.
    await growInputs(6);
    await deployment.produce(messages.slice(cut(0.75), cut(0.85)));
    const killed = startApp(deployment.env(), ['rescale', '--yes']);
    deployment.apps.push(killed);
    await eventually(
      'the rescale rebuilds the topics',
      () => (killed.stderr().includes('progress: rebuilding-topics') ? true : undefined),
      180_000,
    );
    killed.kill();
    expect((await killed.exited).signal).toBe('SIGKILL');
    const staged = startApp(deployment.env());
    deployment.apps.push(staged);
    expect((await staged.exited).code).toBe(1);
    expect(staged.stdout()).toContain('has not finished');
    const rerun = await deployment.command(['rescale', '--yes']);
    expect(rerun.stdout).toMatch(/^Rescaled to 6 groups under epoch 2 \(resumed\)/);
    expect(rerun.code).toBe(0);
    const again = await deployment.command(['rescale', '--yes']);
    expect(again.stdout).toContain('Nothing to do: stage 1 already has 6 groups (epoch 2)');

    app = await deployment.launch();
    await deployment.produce(messages.slice(cut(0.85)));
    await deployment.converged(eventsOf(messages));
    await expectRawTableEqualsOracle(eventsOf(messages));
    expect((await app.terminate()).code).toBe(0);
  }, 900_000);
});
