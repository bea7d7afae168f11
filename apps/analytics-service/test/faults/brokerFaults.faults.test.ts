/**
 * Broker faults against the BUILT service on a three-node cluster (`pnpm test:faults`, not part of
 * `pnpm check`): kill -9 of the busiest leader three times at seeded points, a rolling restart of
 * all three brokers, and a 30 s SIGSTOP of the transaction coordinator. Input comes from kcat; at
 * the end DynamoDB (MetricsReader and a raw Scan), the folded S3 archive, the dead letters and the
 * changelog must equal the independent oracle, and the service must still run.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { type LocalStack, startLocalStack } from '@marketplace/local-stack';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient, createS3Client } from '../../src/clients.js';
import { loadConfig } from '../../src/config.js';
import { ensureBuilt } from '../app.js';
import {
  busiestCoordinator,
  busiestLeader,
  runScenario,
  type ScenarioContext,
  type ScenarioResult,
  seededRandom,
  snapshotEntries,
} from './faultHarness.js';

const SEED = Number(process.env.FAULTS_SEED ?? 20_261_127);
const log = (line: string): void => void process.stderr.write(`[faults] ${line}\n`);

let stack: LocalStack;
let kafka: Kafka;
let dynamo: DynamoDBClient;
let s3: S3Client;

beforeAll(async () => {
  await ensureBuilt();
  // Three JVMs starting at once on a busy 2-core machine can take longer than the 60 s default.
  stack = await startLocalStack({
    kafka: { brokers: 3, heapMb: 384, startTimeoutMs: 240_000 },
    onProgress: log,
  });
  kafka = new Kafka({
    clientId: 'faults-test',
    brokers: stack.kafka!.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 12, initialRetryTime: 300 },
  });
  const config = loadConfig({
    KAFKA_BROKERS: stack.kafka!.brokers.join(','),
    AWS_REGION: stack.region,
    DYNAMODB_ENDPOINT: stack.dynamodb!.endpoint,
    S3_ENDPOINT: stack.s3!.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    ARCHIVE_BUCKET: 'unused',
  });
  dynamo = createDynamoClient(config, stack.credentials);
  s3 = createS3Client(config, stack.credentials);
}, 600_000);

afterAll(async () => {
  dynamo?.destroy();
  s3?.destroy();
  await stack?.stop();
});

function scenario(name: string, seed: number, inject: (ctx: ScenarioContext) => Promise<void>) {
  return runScenario({ name, seed, stack, kafka, dynamo, s3, inject, log });
}

/** Everything the oracle decides, plus: the service never exited and internal topics are RF 3 / min ISR 2. */
function expectOracle(result: ScenarioResult): void {
  log(`report ${JSON.stringify(result.report)}`);
  expect.soft(result.serviceAlive, `the service exited\n${result.serviceStderr}`).toBe(true);
  expect.soft(snapshotEntries(result.dynamo)).toEqual(snapshotEntries(result.expected));
  expect.soft(result.scanned).toEqual({
    sellers: [...result.expected.sellers.keys()].sort(),
    categories: [...result.expected.categories.keys()].sort(),
    lowStock: [...result.expected.lowStock.keys()].sort(),
  });
  expect.soft(snapshotEntries(result.archive)).toEqual(snapshotEntries(result.expected));
  expect
    .soft(
      result.deadLetters.actual,
      `dead letters missing ${JSON.stringify(result.deadLetters.missing)}, unexpected ${JSON.stringify(result.deadLetters.extra)}`,
    )
    .toBe(result.deadLetters.expected);
  expect.soft(result.changelog.actual).toEqual(result.changelog.expected);
  for (const topic of result.internalReplication) {
    expect
      .soft(
        topic.replicas.every((n) => n === 3),
        topic.topic,
      )
      .toBe(true);
    expect.soft(topic.minIsr, topic.topic).toBe('2');
  }
  for (const fault of result.report.faults) {
    expect
      .soft(fault.caughtUpMs, `${fault.what} node ${fault.nodeId}: never caught up`)
      .toBeGreaterThanOrEqual(0);
  }
  // Not ready while it could not make progress: a stall longer than the watchdog's bound plus a
  // lag poll and a readiness sample must have shown on /readyz.
  // The same per fault: no commit for longer than that bound means /readyz said not ready.
  for (const fault of result.report.faults) {
    if (fault.firstCommitMs > 10_000 + 5_000 + 2_000) {
      expect.soft(fault.notReadyBeforeFirstCommit, `${fault.what}: ready all along`).toBe(true);
    }
  }
  if (result.report.longestStallMs > 10_000 + 5_000 + 2_000) {
    expect.soft(result.report.notReadyDuringStall, JSON.stringify(result.report)).toBe(true);
  }
}

describe('broker faults (three-node cluster, built service, kcat input, oracle at the end)', () => {
  it('(a) survives kill -9 of the busiest leader three times at seeded points, each restarted', async () => {
    const random = seededRandom(SEED);
    // One point in each third of the production (40 chunks), seeded.
    const points = [3, 15, 27].map((base) => base + Math.floor(random() * 8));
    const result = await scenario('kill', SEED, async (ctx) => {
      for (const point of points) {
        await ctx.untilProduced(point);
        const nodeId = await busiestLeader(ctx.admin, ctx.inputTopics);
        const node = stack.kafka!.nodes.find((n) => n.nodeId === nodeId)!;
        await ctx.fault('kill -9', nodeId, () => node.kill());
        // Down for 2-8 s (seeded), then back on its data.
        await new Promise((resolve) => setTimeout(resolve, 2_000 + Math.floor(random() * 6_000)));
        await node.start();
        await ctx.untilInSync();
      }
    });

    expectOracle(result);
    expect(result.report.faults).toHaveLength(3);
  });

  it('(b) survives a rolling restart of all three brokers (SIGTERM, wait until in sync)', async () => {
    const result = await scenario('rolling', SEED + 1, async (ctx) => {
      await ctx.untilProduced(5);
      for (const node of stack.kafka!.nodes) {
        await ctx.fault('SIGTERM', node.nodeId, () => node.stop(120_000));
        await node.start();
        await ctx.untilInSync();
      }
    });

    expectOracle(result);
    expect(result.report.faults).toHaveLength(3);
  });

  it('(c) survives a 30 s SIGSTOP of the transaction coordinator, reporting not ready meanwhile', async () => {
    const result = await scenario('sigstop', SEED + 2, async (ctx) => {
      await ctx.untilProduced(8);
      const nodeId = await busiestCoordinator(ctx.admin, ctx.transactionalIds);
      const node = stack.kafka!.nodes.find((n) => n.nodeId === nodeId)!;
      await ctx.fault('SIGSTOP 30 s', nodeId, async () => node.pause());
      await new Promise((resolve) => setTimeout(resolve, 30_000));
      node.resume();
      await ctx.untilInSync();
    });

    expectOracle(result);
  });
});
