/**
 * `reset` end to end through the built app, input from an independent kafkajs producer: a stream
 * is consumed, `reset` (SIGKILLed once in the middle, then run again) recreates the internal
 * topics under a new epoch, the service reprocesses from the earliest offsets and consumes the
 * rest; the metrics (MetricsReader and raw table reads) equal the independent oracle.
 */
import {
  type GeneratedMessage,
  generateMarketplaceStream,
  type ProductEvent,
} from '@marketplace/product-events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, eventually, startApp } from './app.js';
import { Deployment, oracleCounts } from './pipeline.js';

const deployment = new Deployment('reset');
const messages: GeneratedMessage[] = [
  ...generateMarketplaceStream({
    seed: 18_003,
    events: 2000,
    sellers: 6,
    categories: 4,
    products: 200,
    topics: deployment.topics,
    duplicateRate: 0.05,
    reorder: true,
    currencyMix: { USD: 2, EUR: 1 },
  }),
];
const eventsOf = (batch: readonly GeneratedMessage[]): ProductEvent[] =>
  batch.flatMap((m) => (m.event === undefined ? [] : [m.event]));
const half = Math.floor(messages.length / 2);

beforeAll(async () => {
  await ensureBuilt();
  await deployment.setUp(2);
}, 600_000);

afterAll(async () => {
  await deployment.tearDown();
}, 120_000);

describe('reset', () => {
  it('reprocesses from the earliest offsets under a new epoch, also after a SIGKILL mid-reset', async () => {
    let app = await deployment.launch();
    await deployment.produce(messages.slice(0, half));
    await deployment.converged(eventsOf(messages.slice(0, half)));
    expect((await app.terminate()).code).toBe(0);

    const plan = await deployment.command(['reset']);
    expect(plan).toMatchObject({ code: 0 });
    expect(plan.stdout).toMatch(
      /^Plan: epoch 0 -> 1; recreate .* at 2 partitions; stage 1 reprocesses \d+ retained input records/,
    );
    const killed = startApp(deployment.env(), ['reset', '--yes']);
    deployment.apps.push(killed);
    await eventually('the reset rebuilds the topics', () =>
      killed.stderr().includes('progress: rebuilding-topics') ? true : undefined,
    );
    killed.kill();
    await killed.exited;
    const rerun = await deployment.command(['reset', '--yes']);
    expect(rerun.stdout).toMatch(/^Reset to epoch 1 \((resumed|reset)\)/);
    expect(rerun.code).toBe(0);

    app = await deployment.launch();
    await deployment.produce(messages.slice(half));
    await deployment.converged(eventsOf(messages));
    const raw = await deployment.rawCounts();
    const expected = oracleCounts(eventsOf(messages));
    expect([...raw.sellers].sort()).toEqual([...expected.sellers].sort());
    expect([...raw.categories].sort()).toEqual([...expected.categories].sort());
    const liveRows = (await deployment.scan()).filter(
      (item) => item.sk?.S?.startsWith('CUR#') && Number(item.totalProducts?.N ?? item.productCount?.N) > 0,
    );
    expect(new Set(liveRows.map((item) => item.epoch?.N))).toEqual(new Set(['1']));
    expect((await app.terminate()).code).toBe(0);
  }, 900_000);
});
