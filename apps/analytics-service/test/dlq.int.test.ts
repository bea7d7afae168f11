/**
 * The dead-letter workflow against the local stack: stage 1 (the BUILT app) runs with a
 * payload limit that is too small (a producer-side fix is simulated by raising it: the rejection
 * no longer applies), the operator inspects the dead letters with `dlq stats` / `dlq show`,
 * restarts stage 1 with the new limit and redrives them with `dlq redrive`. Records that are still
 * invalid (a wrong `event-type` header) come back with a higher redrive count until the limit
 * refuses them; re-running a redrive sends nothing twice. The `dlq` commands run in this process
 * (`runMain`, so that coverage sees them), except in the crash test, which kills the built program.
 */
import { randomUUID } from 'node:crypto';
import { encodeProductEvent, type ProductEvent } from '@marketplace/product-events';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopicsAndWait } from '../../../packages/kafka-processor/src/prepareTopics.js';
import { readToEnd } from '../../../packages/kafka-processor/test/integration/helpers.js';
import { kafkaClient, testStack, uniqueName } from '../../../packages/local-stack/test/clients.js';
import {
  type AppProcess,
  baseEnv,
  ensureBuilt,
  eventually,
  metricValue,
  runInProcess,
  startApp,
} from './app.js';

const PARTITIONS = 2;
const SMALL_LIMIT = 600;
const names = {
  app: uniqueName('dlq-app'),
  created: uniqueName('dlq-created'),
  updated: uniqueName('dlq-updated'),
  deleted: uniqueName('dlq-deleted'),
  productState: uniqueName('dlq-state'),
  metricChanges: uniqueName('dlq-changes'),
  deadLetter: uniqueName('dlq-dead'),
  lowStock: uniqueName('dlq-lowstock'),
};

let kafka: Kafka;
let admin: Admin;
const apps: AppProcess[] = [];

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return baseEnv({
    KAFKA_BROKERS: testStack().kafkaBrokers.join(','),
    KAFKA_CREATE_TOPICS: 'true',
    APPLICATION_ID: names.app,
    TOPIC_PRODUCT_CREATED: names.created,
    TOPIC_PRODUCT_UPDATED: names.updated,
    TOPIC_PRODUCT_DELETED: names.deleted,
    TOPIC_PRODUCT_STATE: names.productState,
    TOPIC_METRIC_CHANGES: names.metricChanges,
    TOPIC_DEAD_LETTER: names.deadLetter,
    TOPIC_LOW_STOCK_ALERTS: names.lowStock,
    HTTP_PORT: '0',
    WORKER_THREADS: '1',
    KAFKA_MAX_WAIT_TIME_MS: '200',
    // info: the app logs its HTTP address at info.
    LOG_LEVEL: 'info',
    ...extra,
  });
}

function event(productId: string, name: string): ProductEvent {
  return {
    eventId: randomUUID(),
    type: 'product.created',
    schemaVersion: 1,
    occurredAt: '2026-11-27T10:00:00.000Z',
    productId,
    version: 1,
    data: {
      sellerId: 's-1',
      category: 'books',
      name,
      priceCents: 1999,
      currency: 'USD',
      quantity: 4,
      status: 'active',
    },
  } as ProductEvent;
}

const SMALL = 20;
const LARGE = 6;
const WRONG_HEADER = 3;

async function produceInput(): Promise<void> {
  const records = [
    ...Array.from({ length: SMALL }, (_, i) => encodeProductEvent(event(`p-small-${i}`, 'Dune'))),
    // Over SMALL_LIMIT bytes: rejected as PAYLOAD_TOO_LARGE until the limit is raised.
    ...Array.from({ length: LARGE }, (_, i) => encodeProductEvent(event(`p-large-${i}`, 'x'.repeat(800)))),
    // A producer bug no configuration fixes: the event-type header disagrees with the payload.
    ...Array.from({ length: WRONG_HEADER }, (_, i) => {
      const record = encodeProductEvent(event(`p-header-${i}`, 'Emma'));
      return { ...record, headers: { ...record.headers, 'event-type': 'product.updated' } };
    }),
  ];
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    await producer.send({ topic: names.created, messages: records });
  } finally {
    await producer.disconnect();
  }
}

async function launch(extra: Record<string, string> = {}): Promise<{ app: AppProcess; url: string }> {
  const app = startApp(env(extra), ['--role', 'aggregate']);
  apps.push(app);
  const url = await app.url();
  await eventually('stage 1 reports ready', async () =>
    (await fetch(`${url}/readyz`)).status === 200 ? true : undefined,
  );
  return { app, url };
}

async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Runs `analytics-service dlq ...args` to its end, in this process (the crash test runs the built program). */
async function dlq(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runInProcess(env(), ['dlq', ...args]);
}

async function dlqJson<T>(...args: string[]): Promise<T> {
  const run = await dlq(...args, '--json');
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

interface Stats {
  total: number;
  byCode: Record<string, number>;
  byTopic: Record<string, number>;
  byHour: Record<string, number>;
  byRedriveCount: Record<string, number>;
}
interface Redrive {
  scanned: number;
  matched: number;
  redriven: number;
  refused: number;
  dryRun: boolean;
}

async function inputEnds(): Promise<string[]> {
  return (await admin.fetchTopicOffsets(names.created)).map((o) => o.high);
}

beforeAll(async () => {
  await ensureBuilt();
  kafka = kafkaClient();
  admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(
    admin,
    [names.created, names.updated, names.deleted].map((topic) => ({
      topic,
      numPartitions: PARTITIONS,
    })),
  );
}, 600_000);

afterAll(async () => {
  for (const app of apps) app.kill();
  await admin.deleteTopics({ topics: Object.values(names).filter((n) => n !== names.app) }).catch(() => {});
  await admin.disconnect();
});

describe('dead-letter workflow (built app)', () => {
  it('counts, shows and redrives dead letters once per name, with loop protection', async () => {
    // Stage 1 with a payload limit that is too small.
    await produceInput();
    let stage = await launch({ MAX_EVENT_BYTES: String(SMALL_LIMIT) });
    await eventually('stage 1 dead-lettered the large and the mislabelled events', async () => {
      const text = await scrape(stage.url);
      return metricValue(text, 'analytics_events_invalid_total{code="PAYLOAD_TOO_LARGE"}') === LARGE &&
        metricValue(text, 'analytics_events_invalid_total{code="HEADER_MISMATCH"}') === WRONG_HEADER
        ? true
        : undefined;
    });
    expect((await stage.app.terminate()).code).toBe(0);

    const stats = await dlqJson<Stats>('stats');
    expect(stats).toMatchObject({
      total: LARGE + WRONG_HEADER,
      byCode: { HEADER_MISMATCH: WRONG_HEADER, PAYLOAD_TOO_LARGE: LARGE },
      byTopic: { [names.created]: LARGE + WRONG_HEADER },
      byRedriveCount: { '0': LARGE + WRONG_HEADER },
    });
    expect(Object.keys(stats.byHour)).toHaveLength(1);

    const shown = await dlq('show', '--code', 'PAYLOAD_TOO_LARGE', '--limit', '2', '--json');
    expect(shown.code).toBe(0);
    const lines = shown.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      sourceTopic: names.created,
      redriveCount: 0,
      key: expect.stringMatching(/^p-large-/),
      headers: { 'event-type': 'product.created' },
    });
    const human = await dlq('show', '--topic', names.created, '--code', 'HEADER_MISMATCH');
    expect(human.stdout).toContain(`HEADER_MISMATCH from ${names.created}`);
    expect(human.stdout).toContain(`${WRONG_HEADER} shown (limit 100)`);

    // The fix: stage 1 runs again with the default limit; a dry run sends nothing.
    stage = await launch();
    const before = await inputEnds();
    const dry = await dlqJson<Redrive>(
      'redrive',
      '--name',
      'raise-limit',
      '--code',
      'PAYLOAD_TOO_LARGE',
      '--dry-run',
    );
    expect(dry).toMatchObject({ dryRun: true, matched: LARGE, redriven: LARGE, refused: 0 });
    expect(await inputEnds()).toEqual(before);

    const run = await dlq('redrive', '--name', 'raise-limit', '--code', 'PAYLOAD_TOO_LARGE');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`redriven ${LARGE} (${names.created} ${LARGE})`);
    expect(run.stderr).toMatch(/redrive raise-limit: read \d+ of at most \d+, sent 6, refused 0/);
    await eventually('stage 1 applied the redriven events', async () =>
      metricValue(await scrape(stage.url), 'analytics_events_total{type="product.created"}') === LARGE
        ? true
        : undefined,
    );

    // Idempotent: the same name again sends nothing.
    const ends = await inputEnds();
    const again = await dlqJson<Redrive>('redrive', '--name', 'raise-limit', '--code', 'PAYLOAD_TOO_LARGE');
    expect(again).toMatchObject({ redriven: 0 });
    expect(await inputEnds()).toEqual(ends);

    // Still invalid: each redrive brings them back with a higher count, until the limit refuses them.
    for (const round of [1, 2]) {
      const loop = await dlqJson<Redrive>(
        'redrive',
        '--name',
        'headers',
        '--code',
        'HEADER_MISMATCH',
        '--max-redrives',
        '2',
      );
      expect(loop).toMatchObject({ redriven: WRONG_HEADER, refused: 0 });
      await eventually(`the mislabelled events are dead letters again (round ${round})`, async () => {
        const now = await dlqJson<Stats>('stats', '--code', 'HEADER_MISMATCH');
        return now.byRedriveCount[String(round)] === WRONG_HEADER ? now : undefined;
      });
    }
    const refused = await dlqJson<Redrive>(
      'redrive',
      '--name',
      'headers',
      '--code',
      'HEADER_MISMATCH',
      '--max-redrives',
      '2',
    );
    expect(refused).toMatchObject({ matched: WRONG_HEADER, redriven: 0, refused: WRONG_HEADER });

    const final = await dlqJson<Stats>('stats');
    expect(final).toMatchObject({
      total: LARGE + 3 * WRONG_HEADER,
      byCode: { HEADER_MISMATCH: 3 * WRONG_HEADER, PAYLOAD_TOO_LARGE: LARGE },
      byRedriveCount: { '0': LARGE + WRONG_HEADER, '1': WRONG_HEADER, '2': WRONG_HEADER },
    });
    const text = await scrape(stage.url);
    // Nothing was applied twice: the small events were before this run, the large ones once.
    expect(metricValue(text, 'analytics_events_total{type="product.created"}')).toBe(LARGE);
    expect(metricValue(text, 'analytics_events_invalid_total{code="PAYLOAD_TOO_LARGE"}')).toBe(0);
    expect((await stage.app.terminate()).code).toBe(0);
  });

  it('neither loses nor duplicates records when a redrive is killed (SIGKILL) mid-way and run again', async () => {
    const crash = {
      app: uniqueName('dlq-crash'),
      input: uniqueName('dlq-crash-created'),
      deadLetter: uniqueName('dlq-crash-dead'),
    };
    const crashEnv = (): NodeJS.ProcessEnv =>
      env({
        APPLICATION_ID: crash.app,
        TOPIC_PRODUCT_CREATED: crash.input,
        TOPIC_DEAD_LETTER: crash.deadLetter,
        LOG_LEVEL: 'warn',
      });
    await createTopicsAndWait(
      admin,
      [crash.input, crash.deadLetter].map((topic) => ({ topic, numPartitions: PARTITIONS })),
    );
    const COUNT = 40_000;
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let chunk = 0; chunk < COUNT / 2000; chunk++) {
      await producer.send({
        topic: crash.deadLetter,
        messages: Array.from({ length: 2000 }, (_, i) => {
          const n = chunk * 2000 + i;
          return {
            key: `p-${n}`,
            value: `{"n":${n}}`,
            partition: n % PARTITIONS,
            headers: {
              'dlq-source-topic': crash.input,
              'dlq-source-partition': String(n % PARTITIONS),
              'dlq-source-offset': String(n),
              'dlq-error-code': 'SCHEMA_VIOLATION',
              'dlq-redrive-count': '0',
            },
          };
        }),
      });
    }
    await producer.disconnect();

    const first = startApp(crashEnv(), ['dlq', 'redrive', '--name', 'crash']);
    apps.push(first);
    await eventually('the redrive committed its first batch', () =>
      /sent [1-9]\d*/.test(first.stderr()) ? true : undefined,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.stdout(), 'killed before it finished').toBe('');

    const second = startApp(crashEnv(), ['dlq', 'redrive', '--name', 'crash', '--json']);
    apps.push(second);
    expect((await second.exited).code, second.stderr()).toBe(0);
    const result = JSON.parse(second.stdout()) as Redrive;
    expect(result.redriven).toBeGreaterThan(0);
    expect(result.redriven).toBeLessThan(COUNT);

    // Read committed, as stage 1 reads: every record exactly once.
    const keys = await eventually('the redriven records are visible', async () => {
      const read = (await readToEnd(kafka, admin, crash.input)).map((r) => r.key?.toString() ?? '');
      return read.length >= COUNT ? read : undefined;
    });
    expect(keys).toHaveLength(COUNT);
    expect(new Set(keys).size).toBe(COUNT);
    await admin.deleteTopics({ topics: [crash.input, crash.deadLetter] }).catch(() => {});
  });

  it('refuses to run without KAFKA_BROKERS and on bad arguments, with exit code 2', async () => {
    const demo = startApp(baseEnv({}), ['dlq', 'stats']);
    apps.push(demo);
    expect((await demo.exited).code).toBe(2);
    expect(demo.stderr()).toContain('dlq needs KAFKA_BROKERS');

    const bad = await dlq('redrive', '--code', 'X');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--name is required');
  });

  it('fails with exit code 1 and the reason when the dead-letter topic does not exist', async () => {
    const topic = uniqueName('dlq-missing');

    const missing = await runInProcess(env({ TOPIC_DEAD_LETTER: topic }), ['dlq', 'stats']);

    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('analytics-service: dlq stats failed:');
    expect(missing.stderr).toContain(topic);
  });
});
