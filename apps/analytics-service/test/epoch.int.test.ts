/**
 * A recreated `analytics.metric-changes` no longer freezes the table: with the built app running,
 * the topic is deleted and created again (its offsets restart at 0) and `new-epoch --yes` starts
 * a new pipeline epoch; the running stage 1 rewrites every metric row under it, and the metrics
 * keep changing and equal the independent oracle.
 */
import {
  type GeneratedMessage,
  generateMarketplaceStream,
  type ProductEvent,
} from '@marketplace/product-events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopicsAndWait } from '../../../packages/kafka-processor/src/prepareTopics.js';
import { ensureBuilt, eventually } from './app.js';
import { Deployment, oracleCounts } from './pipeline.js';

const PARTITIONS = 2;
const deployment = new Deployment('epoch');
const messages: GeneratedMessage[] = [
  ...generateMarketplaceStream({
    seed: 18_001,
    events: 2400,
    sellers: 8,
    categories: 5,
    products: 240,
    topics: deployment.topics,
    duplicateRate: 0.05,
    reorder: true,
    currencyMix: { USD: 3, EUR: 1, JPY: 1 },
  }),
];
const eventsOf = (batch: readonly GeneratedMessage[]): ProductEvent[] =>
  batch.flatMap((m) => (m.event === undefined ? [] : [m.event]));
const half = Math.floor(messages.length / 2);

beforeAll(async () => {
  await ensureBuilt();
  await deployment.setUp(PARTITIONS);
}, 600_000);

afterAll(async () => {
  await deployment.tearDown();
}, 120_000);

describe('a recreated metric-change topic', () => {
  it('keeps the metrics changing and equal to the oracle after new-epoch', async () => {
    const app = await deployment.launch();
    await deployment.produce(messages.slice(0, half));
    await deployment.converged(eventsOf(messages.slice(0, half)));

    const dryRun = await deployment.command(['new-epoch']);
    expect(dryRun).toMatchObject({ code: 0 });
    expect(dryRun.stdout).toContain('Current pipeline epoch: 0');
    expect(dryRun.stdout).toContain('Nothing was changed');

    const admin = deployment.kafka.admin();
    await admin.connect();
    const topic = deployment.names.metricChanges!;
    await admin.deleteTopics({ topics: [topic] });
    await eventually('the topic is gone', async () =>
      (await admin.listTopics()).includes(topic) ? undefined : true,
    );
    await eventually(
      'the topic is created again',
      async () => {
        try {
          await createTopicsAndWait(admin, [
            {
              topic,
              numPartitions: PARTITIONS,
              replicationFactor: 1,
              configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
            },
          ]);
          return true;
        } catch {
          return undefined;
        }
      },
      60_000,
    );
    await admin.disconnect();

    const started = await deployment.command(['new-epoch', '--yes']);
    expect(started.stderr).not.toMatch(/"level":(50|60)/);
    expect(started).toMatchObject({ code: 0, stdout: 'Pipeline epoch is now 1 (was 0).\n' });

    await deployment.produce(messages.slice(half));
    const all = eventsOf(messages);
    await deployment.converged(all);
    const raw = await deployment.rawCounts();
    const expected = oracleCounts(all);
    expect([...raw.sellers].sort()).toEqual([...expected.sellers].sort());
    expect([...raw.categories].sort()).toEqual([...expected.categories].sort());
    const liveRows = (await deployment.scan()).filter(
      (item) => item.sk?.S?.startsWith('CUR#') && Number(item.totalProducts?.N ?? item.productCount?.N) > 0,
    );
    expect(new Set(liveRows.map((item) => item.epoch?.N))).toEqual(new Set(['1']));
    expect(app.stdout()).not.toMatch(/"level":60/);
  }, 600_000);
});
