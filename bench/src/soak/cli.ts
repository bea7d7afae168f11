/**
 * `pnpm soak [--minutes N --rate R]`: the BUILT service (two members of one consumer group, role
 * `all`) on its own local stack at a steady input rate, one member restarted halfway. Samples the
 * member that runs throughout from its `/metrics` every few seconds (heap after GC, heap in use,
 * RSS, open fds, event-loop delay p99, input lag, batch latency quantiles) plus the throughput of
 * both, writes `<out>/latest.json` and `<out>/latest.svg`, prints the pass criteria and exits 1
 * when one fails. Not part of `pnpm check`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ensureMetricsTable } from '@marketplace/dynamodb-sink';
import { startLocalStack } from '@marketplace/local-stack';
import { generateMarketplaceStream } from '@marketplace/product-events';
import { Kafka, logLevel } from 'kafkajs';
import { evaluateSoak, type SoakErrorLog, type SoakSample } from './evaluateSoak.js';
import { parseSoakArgs, SOAK_USAGE } from './parseSoakArgs.js';
import {
  histogramBuckets,
  type PromSample,
  parsePrometheus,
  quantileBetween,
  sumOf,
} from './prometheusText.js';
import { renderSoakChart } from './renderSoakChart.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = join(ROOT, 'apps', 'analytics-service', 'dist', 'main.js');
const PARTITIONS = 6;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const say = (line: string): void => void process.stderr.write(`[soak] ${line}\n`);

interface Member {
  name: string;
  child: ChildProcess;
  url: Promise<string>;
  exited: Promise<void>;
}

function startMember(name: string, env: NodeJS.ProcessEnv, started: number, errors: SoakErrorLog[]): Member {
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let buffer = '';
  let resolveUrl: (url: string) => void = () => {};
  const url = new Promise<string>((r) => {
    resolveUrl = r;
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; url?: string };
        if (entry.msg === 'HTTP endpoints listening' && entry.url) resolveUrl(entry.url);
        if ((entry.level ?? 0) >= 50) {
          errors.push({ t: (Date.now() - started) / 1000, member: name, msg: String(entry.msg) });
        }
      } catch {
        // not a log line
      }
    }
  });
  child.stderr
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => void process.stderr.write(`[${name}] ${chunk}`));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { name, child, url, exited };
}

async function scrape(url: string): Promise<PromSample[]> {
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(4_000) });
  return parsePrometheus(await response.text());
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseSoakArgs>;
  try {
    args = parseSoakArgs(process.argv.slice(2).filter((a) => a !== '--'));
  } catch (error) {
    process.stderr.write(`soak: ${(error as Error).message}\n\n${SOAK_USAGE}\n`);
    return 2;
  }
  const stack = await startLocalStack({
    kafka: args.brokers > 1 ? { brokers: args.brokers, heapMb: 384, startTimeoutMs: 240_000 } : true,
    onProgress: (line) => say(line),
  });
  const members: Member[] = [];
  const errors: SoakErrorLog[] = [];
  try {
    const app = `soak-${Date.now().toString(36)}`;
    const topics = { created: `${app}-created`, updated: `${app}-updated`, deleted: `${app}-deleted` };
    const kafka = new Kafka({ clientId: 'soak', brokers: stack.kafka!.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(topics).map((topic) => ({ topic, numPartitions: PARTITIONS })),
    });
    const aws = { region: stack.region, credentials: stack.credentials };
    const dynamo = new DynamoDBClient({ ...aws, endpoint: stack.dynamodb!.endpoint });
    const s3 = new S3Client({ ...aws, endpoint: stack.s3!.endpoint, forcePathStyle: true });
    await ensureMetricsTable(dynamo, { tableName: `${app}-table` });
    await s3.send(new CreateBucketCommand({ Bucket: app }));
    dynamo.destroy();
    s3.destroy();

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      KAFKA_BROKERS: stack.kafka!.brokers.join(','),
      KAFKA_CREATE_TOPICS: 'true',
      APPLICATION_ID: app,
      TOPIC_PRODUCT_CREATED: topics.created,
      TOPIC_PRODUCT_UPDATED: topics.updated,
      TOPIC_PRODUCT_DELETED: topics.deleted,
      TOPIC_PRODUCT_STATE: `${app}-state`,
      TOPIC_METRIC_CHANGES: `${app}-changes`,
      TOPIC_DEAD_LETTER: `${app}-dlq`,
      TOPIC_LOW_STOCK_ALERTS: `${app}-lowstock`,
      AWS_REGION: stack.region,
      AWS_ACCESS_KEY_ID: stack.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: stack.credentials.secretAccessKey,
      DYNAMODB_ENDPOINT: stack.dynamodb!.endpoint,
      S3_ENDPOINT: stack.s3!.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      METRICS_TABLE: `${app}-table`,
      ARCHIVE_BUCKET: app,
      HTTP_PORT: '0',
      WORKER_THREADS: '1',
      LOG_LEVEL: 'info',
    };
    const started = Date.now();
    const since = () => (Date.now() - started) / 1000;
    const a = startMember('member-a', env, started, errors);
    members.push(a);
    const urlA = await a.url;
    let b = startMember('member-b', env, started, errors);
    members.push(b);
    await b.url;
    say(`two members running; member-a on ${urlA}`);

    // Steady input: rate/10 messages every 100 ms.
    const stream = generateMarketplaceStream({
      seed: args.seed,
      events: Number.POSITIVE_INFINITY,
      sellers: 50,
      categories: 12,
      products: 5_000,
      topics,
      duplicateRate: 0.01,
      malformedRate: 0.001,
    })[Symbol.iterator]();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    let produced = 0;
    let producing = true;
    const endAt = started + args.minutes * 60_000;
    const production = (async () => {
      let credit = 0;
      let last = Date.now();
      while (producing && Date.now() < endAt) {
        const now = Date.now();
        credit += ((now - last) / 1000) * args.rate;
        last = now;
        const count = Math.floor(credit);
        if (count > 0) {
          credit -= count;
          const batch = Array.from({ length: count }, () => stream.next().value);
          await producer.sendBatch({
            topicMessages: batch.map((m) => ({
              topic: m.topic,
              messages: [{ key: m.key, value: m.value, headers: m.headers }],
            })),
          });
          produced += count;
        }
        await sleep(100);
      }
    })();

    const restartAt = (args.minutes * 60) / 2;
    let restarted = false;
    const samples: SoakSample[] = [];
    let previous: { a: PromSample[]; b: PromSample[]; produced: number; t: number } | undefined;
    let processedB = 0;
    while (Date.now() < endAt) {
      await sleep(args.sampleSeconds * 1000 - ((Date.now() - started) % (args.sampleSeconds * 1000)));
      if (!restarted && since() >= restartAt) {
        restarted = true;
        say(`restarting member-b at ${since().toFixed(0)} s (SIGTERM, then a new process)`);
        b.child.kill('SIGTERM');
        await b.exited;
        b = startMember('member-b', env, started, errors);
        members.push(b);
        processedB = 0;
      }
      const t = since();
      const metricsA = await scrape(urlA).catch(() => undefined);
      const urlB = await Promise.race([b.url, sleep(100).then(() => undefined)]);
      const metricsB = urlB === undefined ? [] : await scrape(urlB).catch(() => []);
      if (metricsA === undefined) continue;
      const events = (m: PromSample[]) =>
        sumOf(m, 'analytics_events_total') + sumOf(m, 'analytics_events_invalid_total');
      const dt = previous === undefined ? t : t - previous.t;
      const deltaA = events(metricsA) - (previous === undefined ? 0 : events(previous.a));
      const nowB = events(metricsB);
      const deltaB = nowB >= processedB ? nowB - processedB : nowB;
      processedB = nowB;
      const before =
        previous === undefined
          ? []
          : histogramBuckets(previous.a, 'analytics_batch_duration_seconds', { stage: 'aggregate' });
      const after = histogramBuckets(metricsA, 'analytics_batch_duration_seconds', { stage: 'aggregate' });
      const p50 = quantileBetween(before, after, 0.5);
      const p99 = quantileBetween(before, after, 0.99);
      const mib = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;
      const sample: SoakSample = {
        t: Math.round(t),
        heapAfterGcMb: mib(sumOf(metricsA, 'analytics_heap_after_gc_bytes')),
        heapUsedMb: mib(sumOf(metricsA, 'nodejs_heap_size_used_bytes')),
        threadHeapMb: mib(sumOf(metricsA, 'analytics_stream_thread_heap_used_bytes')),
        rssMb: mib(sumOf(metricsA, 'process_resident_memory_bytes')),
        openFds: sumOf(metricsA, 'process_open_fds'),
        eventLoopP99Ms: Math.round(sumOf(metricsA, 'nodejs_eventloop_lag_p99_seconds') * 10_000) / 10,
        lag: sumOf(metricsA, 'analytics_consumer_lag', { group: app }),
        throughput: Math.round((deltaA + deltaB) / dt),
        producedRate: Math.round((produced - (previous?.produced ?? 0)) / dt),
        batchP50Ms: p50 === undefined ? null : Math.round(p50 * 10_000) / 10,
        batchP99Ms: p99 === undefined ? null : Math.round(p99 * 10_000) / 10,
      };
      samples.push(sample);
      previous = { a: metricsA, b: metricsB, produced, t };
      say(
        `${sample.t}s heapGC ${sample.heapAfterGcMb} MiB heap ${sample.heapUsedMb} threads ${sample.threadHeapMb} rss ${sample.rssMb} fds ${sample.openFds} eld99 ${sample.eventLoopP99Ms} ms lag ${sample.lag} thr ${sample.throughput}/s p99 ${sample.batchP99Ms} ms`,
      );
    }
    producing = false;
    await production;
    await producer.disconnect();
    await admin.disconnect();

    const criteria = evaluateSoak({ samples, restartAt, errors, rate: args.rate });
    const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, load average at the end ${loadavg()[0]?.toFixed(1)}`;
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const out = resolve(ROOT, args.out);
    mkdirSync(out, { recursive: true });
    const summary = {
      date,
      minutes: args.minutes,
      rate: args.rate,
      brokers: args.brokers,
      partitions: PARTITIONS,
      members: 2,
      restartAt,
      produced,
      machine,
      note: 'shared machine: other engineers ran tests at the same time',
      criteria,
      errors,
      samples,
    };
    writeFileSync(join(out, 'latest.json'), `${JSON.stringify(summary, null, 2)}\n`);
    writeFileSync(
      join(out, 'latest.svg'),
      renderSoakChart(samples, {
        title: `Soak: ${args.minutes} min at ${args.rate} events/s, member restart at ${Math.round(restartAt / 60)} min`,
        subtitle: [
          `${date} UTC; ${args.brokers} broker(s), ${PARTITIONS} partitions, 2 members (member-a sampled); ${produced.toLocaleString('en-US')} events produced`,
          `${machine}; shared with other engineers' tests at the time`,
        ],
        restartAt,
        criteria,
      }),
    );
    process.stdout.write(
      `\nSoak ${args.minutes} min at ${args.rate} events/s (${produced} events), written to ${out}/latest.{json,svg}\n`,
    );
    for (const c of criteria) process.stdout.write(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}\n`);
    return criteria.every((c) => c.pass) ? 0 : 1;
  } finally {
    for (const member of members) {
      if (member.child.exitCode === null && member.child.signalCode === null) {
        member.child.kill('SIGTERM');
        await Promise.race([member.exited, sleep(20_000)]);
        if (member.child.exitCode === null) member.child.kill('SIGKILL');
      }
    }
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
