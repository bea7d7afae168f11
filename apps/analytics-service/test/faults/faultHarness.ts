/**
 * Harness of the broker fault tests (`pnpm test:faults`): a scenario runs the BUILT service against
 * a three-node cluster of the local stack, feeds it with kcat (an independent producer, librdkafka)
 * from key:value files of a generated stream, injects a broker fault, and at the end checks
 * DynamoDB, the S3 archive, the dead letters and the changelog against the independent oracle.
 * Not a test file itself.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  decodeProductState,
  foldMetricChanges,
  type MetricsSnapshot,
} from '@marketplace/analytics-aggregator';
import { ensureMetricsTable, MetricsReader } from '@marketplace/dynamodb-sink';
import { type LocalStack, partitionLeaders, transactionCoordinator } from '@marketplace/local-stack';
import {
  type GeneratedMessage,
  generateMarketplaceStream,
  type ProductEvent,
} from '@marketplace/product-events';
import { readArchive } from '@marketplace/s3-sink';
import type { Admin, Kafka } from 'kafkajs';
import {
  lastEventPerProduct,
  oracleMetrics,
} from '../../../../packages/aggregator/test/independentOracle.js';
import { createTopicsAndWait } from '../../../../packages/kafka-processor/src/prepareTopics.js';
import { uniqueName } from '../../../../packages/local-stack/test/clients.js';
import { type AppProcess, baseEnv, eventually, scanLiveEntities, startApp } from '../app.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Partitions of each input topic (= groups = transactional ids of stage 1). */
export const PARTITIONS = 6;
/** `READINESS_STALL_MS` of the service under test. */
export const STALL_MS = 10_000;
const PREFIX = 'metrics';
const CONFIG_RESOURCE_TOPIC = 2; // kafkajs ConfigResourceTypes.TOPIC

/** A small seeded generator (mulberry32) for the fault points; independent of the stream's. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One readiness and progress sample of the running service. */
export interface Sample {
  /** Milliseconds since the scenario started. */
  t: number;
  /** `/readyz` status, 0 when it did not answer. */
  ready: number;
  reasons: string[];
  /** Sum of the aggregate group's committed input offsets (-1 when it could not be read). */
  position: number;
  /** Sum of the input topics' high watermarks (-1 when it could not be read). */
  end: number;
}

/** What one fault did and how long the service took to recover from it. */
export interface FaultRecord {
  what: string;
  /** Node the fault hit. */
  nodeId: number;
  /** Milliseconds since the scenario started. */
  at: number;
  /** From the fault until the aggregate group committed again (ms). */
  firstCommitMs: number;
  /** From the fault until everything produced before it was committed (ms). */
  caughtUpMs: number;
  /** Whether `/readyz` answered anything but 200 between the fault and the first commit after it. */
  notReadyBeforeFirstCommit?: boolean;
}

/** What a scenario measured; the test prints it and asserts on it. */
export interface ScenarioReport {
  name: string;
  events: number;
  malformed: number;
  faults: FaultRecord[];
  /** Longest time the aggregate group had lag and committed nothing (ms). */
  longestStallMs: number;
  /** Whether `/readyz` answered not ready during that stall. */
  notReadyDuringStall: boolean;
  /** Total time `/readyz` was not 200 after the service first got ready (ms, at sample resolution). */
  notReadyMs: number;
  /** How many samples named each not-ready reason (numbers in reasons replaced by N). */
  notReadyReasons: Record<string, number>;
  /** From the start of production to DynamoDB equal to the oracle (ms). */
  totalMs: number;
}

/** The context a fault function gets. */
export interface ScenarioContext {
  stack: LocalStack;
  admin: Admin;
  inputTopics: string[];
  internalTopics: string[];
  transactionalIds: string[];
  /** Number of chunks produced so far. */
  produced(): number;
  /** Resolves once at least `chunk` chunks are produced (or production ended). */
  untilProduced(chunk: number): Promise<void>;
  /** Milliseconds since the scenario started. */
  now(): number;
  /** Runs `inject` and records how long the service takes to recover. */
  fault(what: string, nodeId: number, inject: () => Promise<void>): Promise<FaultRecord>;
  /** Waits until every partition of the scenario's and the internal topics has its full ISR. */
  untilInSync(): Promise<void>;
}

/** Options of one scenario. */
export interface ScenarioOptions {
  name: string;
  seed: number;
  stack: LocalStack;
  kafka: Kafka;
  dynamo: DynamoDBClient;
  s3: S3Client;
  /** Generated events (before duplicates and malformed ones). @default 6000 */
  events?: number;
  /** Chunks the stream is produced in, one every `chunkIntervalMs`. @default 40 */
  chunks?: number;
  /** @default 1500 */
  chunkIntervalMs?: number;
  inject(ctx: ScenarioContext): Promise<void>;
  log(line: string): void;
}

/** The generated stream as kcat can send it from key:value lines (no headers). */
export function generatedInput(
  seed: number,
  events: number,
  topics: Record<'created' | 'updated' | 'deleted', string>,
) {
  const messages = [
    ...generateMarketplaceStream({
      seed,
      events,
      sellers: 12,
      categories: 6,
      products: 500,
      topics,
      duplicateRate: 0.05,
      reorder: true,
      malformedRate: 0.01,
    }),
  ].filter(
    (m) =>
      // key:value lines carry no headers, so a message malformed only by its header would be
      // valid; and a missing key cannot be told from an empty one (kcat sends no key, which the
      // parser does not require).
      m.malformed?.reason !== 'HEADER_MISMATCH' &&
      m.malformed?.reason !== 'MISSING_KEY' &&
      !m.value.includes(0x0a) &&
      !m.key.includes(':') &&
      !m.key.includes('\n'),
  );
  const events_: ProductEvent[] = messages.flatMap((m) => (m.event === undefined ? [] : [m.event]));
  const occurred = events_.map((e) => Date.parse(e.occurredAt));
  return {
    messages,
    events: events_,
    malformed: messages.filter((m) => m.event === undefined).length,
    firstEventMs: Math.min(...occurred),
    lastEventMs: Math.max(...occurred),
  };
}

function toLines(messages: readonly GeneratedMessage[]): Buffer {
  return Buffer.concat(messages.flatMap((m) => [Buffer.from(`${m.key}:`), m.value, Buffer.from('\n')]));
}

/** Produces one key:value file to `topic` with kcat (idempotent, acks=all, Java's murmur2 partitioner). */
async function kcatProduce(brokers: string, topic: string, file: string): Promise<void> {
  await run(
    'kcat',
    [
      '-P',
      '-b',
      brokers,
      '-t',
      topic,
      '-K',
      ':',
      '-X',
      'enable.idempotence=true',
      '-X',
      'acks=all',
      '-X',
      'partitioner=murmur2_random',
      '-X',
      'message.timeout.ms=300000',
      '-l',
      file,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
}

/**
 * Every committed record of `topic` (kcat, read_committed) as key and value bytes (`null` for a
 * NULL value). kcat frames each record as `<key length>:<key><value length>:<value>\n`, so binary
 * values (the changelog's format 1) come through intact.
 */
async function kcatConsumeAll(brokers: string, topic: string): Promise<Array<[string, Buffer | null]>> {
  const { stdout } = await run(
    'kcat',
    [
      '-C',
      '-b',
      brokers,
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      '-q',
      '-X',
      'isolation.level=read_committed',
      '-f',
      '%K:%k%S:%s\n',
    ],
    { maxBuffer: 256 * 1024 * 1024, encoding: 'buffer' },
  );
  return parseKcatFrames(stdout);
}

/** Parses kcat's `%K:%k%S:%s\n` output (lengths in decimal, -1 for NULL). */
function parseKcatFrames(out: Buffer): Array<[string, Buffer | null]> {
  const records: Array<[string, Buffer | null]> = [];
  let at = 0;
  const length = (): number => {
    const colon = out.indexOf(0x3a, at);
    const n = Number(out.subarray(at, colon).toString('ascii'));
    at = colon + 1;
    return n;
  };
  while (at < out.length) {
    const keyLength = length();
    const key = keyLength < 0 ? '' : out.subarray(at, at + keyLength).toString('utf8');
    at += Math.max(0, keyLength);
    const valueLength = length();
    const value = valueLength < 0 ? null : Buffer.from(out.subarray(at, at + valueLength));
    at += Math.max(0, valueLength) + 1; // the record's closing newline
    records.push([key, value]);
  }
  return records;
}

/** `promise`'s value, or -1 when it fails or takes longer than `ms`. */
function withinMs(promise: Promise<number>, ms: number): Promise<number> {
  promise.catch(() => {});
  return Promise.race([promise.catch(() => -1), sleep(ms).then(() => -1)]);
}

async function sumCommitted(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  let sum = 0;
  for (const { partitions } of await admin.fetchOffsets({ groupId, topics })) {
    for (const p of partitions) sum += Math.max(0, Number(p.offset));
  }
  return sum;
}

async function sumHigh(admin: Admin, topics: string[]): Promise<number> {
  let sum = 0;
  for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) sum += Number(p.high);
  return sum;
}

/** The node leading most partitions of `topics` among the running nodes. */
export async function busiestLeader(admin: Admin, topics: string[]): Promise<number> {
  const counts = new Map<number, number>();
  for (const topic of topics) {
    for (const leader of (await partitionLeaders(admin, topic)).values()) {
      if (leader >= 0) counts.set(leader, (counts.get(leader) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? -1;
}

/** The node coordinating the transactions of most of `transactionalIds`. */
export async function busiestCoordinator(admin: Admin, transactionalIds: string[]): Promise<number> {
  const counts = new Map<number, number>();
  for (const id of transactionalIds) {
    const node = await transactionCoordinator(admin, id);
    counts.set(node, (counts.get(node) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? -1;
}

function sorted<V>(map: Map<string, V>): Array<[string, V]> {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}

/** Equal snapshots: sellers, categories and low-stock entries, as sorted entry lists. */
export function snapshotEntries(snapshot: MetricsSnapshot) {
  return {
    sellers: sorted(snapshot.sellers),
    categories: sorted(snapshot.categories),
    lowStock: sorted(snapshot.lowStock),
  };
}

/** The results read back at the end of a scenario, next to what the oracle expects. */
export interface ScenarioResult {
  report: ScenarioReport;
  expected: MetricsSnapshot;
  dynamo: MetricsSnapshot;
  scanned: { sellers: string[]; categories: string[]; lowStock: string[] };
  archive: MetricsSnapshot;
  /** Counts, and the malformed inputs (`key<TAB>value`) without a dead letter or dead-lettered too often. */
  deadLetters: { expected: number; actual: number; missing: string[]; extra: string[] };
  changelog: { expected: Record<string, string>; actual: Record<string, string> };
  internalReplication: Array<{ topic: string; replicas: number[]; minIsr: string | undefined }>;
  /** Whether the service process was still running at the end (it must never exit). */
  serviceAlive: boolean;
  serviceStderr: string;
}

/** Runs one scenario end to end; the caller asserts on the result. */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { stack, kafka, dynamo, s3, log } = options;
  const chunks = options.chunks ?? 40;
  const chunkIntervalMs = options.chunkIntervalMs ?? 1500;
  const id = uniqueName(`fault-${options.name}`);
  const names = {
    created: `${id}-created`,
    updated: `${id}-updated`,
    deleted: `${id}-deleted`,
    productState: `${id}-state`,
    metricChanges: `${id}-changes`,
    deadLetter: `${id}-dlq`,
    lowStock: `${id}-lowstock`,
    table: `${id}-table`,
    bucket: uniqueName(`fb-${options.name}`).slice(0, 63),
  };
  const inputTopics = [names.created, names.updated, names.deleted];
  const internalTopics = [names.productState, names.metricChanges, names.deadLetter, names.lowStock];
  const transactionalIds = Array.from({ length: PARTITIONS }, (_, g) => `${id}-aggregate-g${g}`);
  const brokers = stack.kafka!.brokers.join(',');
  const input = generatedInput(options.seed, options.events ?? 6000, {
    created: names.created,
    updated: names.updated,
    deleted: names.deleted,
  });
  const expected = oracleMetrics(input.events);
  const folder = mkdtempSync(join(tmpdir(), `faults-${options.name}-`));
  const admin = kafka.admin();
  await admin.connect();
  let app: AppProcess | undefined;
  const started = Date.now();
  const now = () => Date.now() - started;
  try {
    // No replication factor: the cluster's default (3, min ISR 2), as in production. Polled until
    // every partition has a leader: after the previous scenario's restarts a broker may not know a
    // new topic yet and answer UNKNOWN_TOPIC_OR_PARTITION, which kafkajs' own waitForLeaders throws.
    await createTopicsAndWait(
      admin,
      inputTopics.map((topic) => ({ topic, numPartitions: PARTITIONS })),
      60_000,
    );
    await ensureMetricsTable(dynamo, { tableName: names.table });
    await s3.send(new CreateBucketCommand({ Bucket: names.bucket }));

    // Chunk files, written before anything starts so that production is only kcat's work.
    const files: Array<Array<[string, string]>> = [];
    const per = Math.ceil(input.messages.length / chunks);
    for (let c = 0; c < chunks; c++) {
      const slice = input.messages.slice(c * per, (c + 1) * per);
      const chunkFiles: Array<[string, string]> = [];
      for (const topic of inputTopics) {
        const file = join(folder, `chunk-${c}-${topic}.txt`);
        writeFileSync(file, toLines(slice.filter((m) => m.topic === topic)));
        chunkFiles.push([topic, file]);
      }
      files.push(chunkFiles);
    }

    app = startApp(
      baseEnv({
        KAFKA_BROKERS: brokers,
        KAFKA_CREATE_TOPICS: 'true',
        APPLICATION_ID: id,
        TOPIC_PRODUCT_CREATED: names.created,
        TOPIC_PRODUCT_UPDATED: names.updated,
        TOPIC_PRODUCT_DELETED: names.deleted,
        TOPIC_PRODUCT_STATE: names.productState,
        TOPIC_METRIC_CHANGES: names.metricChanges,
        TOPIC_DEAD_LETTER: names.deadLetter,
        TOPIC_LOW_STOCK_ALERTS: names.lowStock,
        AWS_REGION: stack.region,
        AWS_ACCESS_KEY_ID: stack.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: stack.credentials.secretAccessKey,
        DYNAMODB_ENDPOINT: stack.dynamodb!.endpoint,
        S3_ENDPOINT: stack.s3!.endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        METRICS_TABLE: names.table,
        ARCHIVE_BUCKET: names.bucket,
        ARCHIVE_PREFIX: PREFIX,
        HTTP_PORT: '0',
        WORKER_THREADS: '0',
        KAFKA_MAX_WAIT_TIME_MS: '200',
        READINESS_STALL_MS: String(STALL_MS),
        SHUTDOWN_TIMEOUT_MS: '30000',
        LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'info',
        // Stage 1 on the service's default (stream threads); FAULTS_STAGE1_THREADS=0 runs the
        // same faults against stage 1 on the main thread.
        ...(process.env.FAULTS_STAGE1_THREADS === undefined
          ? {}
          : { STAGE1_THREADS: process.env.FAULTS_STAGE1_THREADS }),
      }),
    );
    const running = app;
    const url = await running.url(60_000);
    await eventually(
      'the service reports ready',
      async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined),
      120_000,
    ).catch((error: unknown) => {
      const tail = (text: string) => text.split('\n').slice(-15).join('\n');
      throw new Error(
        `${(error as Error).message}\nservice stdout (last lines):\n${tail(running.stdout())}\nstderr:\n${tail(running.stderr())}`,
        { cause: error },
      );
    });
    log(`${options.name}: service ready after ${now()} ms`);

    // Samples of readiness and progress every 500 ms until the end.
    const samples: Sample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const t = now();
        let ready = 0;
        let reasons: string[] = [];
        try {
          const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
          ready = response.status;
          const body = (await response.json()) as { reasons?: Array<{ code: string; group?: string }> };
          reasons = (body.reasons ?? []).map((r) =>
            r.group === undefined ? r.code : `${r.code} ${r.group}`,
          );
        } catch {
          ready = 0;
        }
        // Bounded: a request to a frozen broker hangs for kafkajs' request timeout (30 s), and
        // /readyz must still be sampled every half second meanwhile.
        const position = await withinMs(sumCommitted(admin, id, inputTopics), 2_000);
        const end = await withinMs(sumHigh(admin, inputTopics), 2_000);
        samples.push({ t, ready, reasons, position, end });
        await sleep(500);
      }
    })();

    let produced = 0;
    let productionDone = false;
    const producing = (async () => {
      try {
        for (const chunk of files) {
          const begun = Date.now();
          for (const [topic, file] of chunk) await kcatProduce(brokers, topic, file);
          produced += 1;
          await sleep(Math.max(0, chunkIntervalMs - (Date.now() - begun)));
        }
      } finally {
        productionDone = true;
      }
    })();

    const faults: FaultRecord[] = [];
    const ctx: ScenarioContext = {
      stack,
      admin,
      inputTopics,
      internalTopics,
      transactionalIds,
      produced: () => produced,
      async untilProduced(chunk) {
        while (produced < chunk && !productionDone) await sleep(100);
      },
      now,
      async fault(what, nodeId, inject) {
        const endAtFault = await sumHigh(admin, inputTopics);
        const positionAtFault = await sumCommitted(admin, id, inputTopics);
        const at = now();
        await inject();
        const record: FaultRecord = { what, nodeId, at, firstCommitMs: -1, caughtUpMs: -1 };
        faults.push(record);
        // Measured in the background: the scenario goes on (e.g. restarts the node) meanwhile.
        void (async () => {
          const deadline = Date.now() + 600_000;
          while (Date.now() < deadline && record.caughtUpMs < 0) {
            const position = await sumCommitted(admin, id, inputTopics).catch(() => -1);
            if (record.firstCommitMs < 0 && position > positionAtFault) record.firstCommitMs = now() - at;
            if (position >= endAtFault) {
              if (record.firstCommitMs < 0) record.firstCommitMs = now() - at;
              record.caughtUpMs = now() - at;
            }
            await sleep(250);
          }
        })();
        log(`${options.name}: ${what} node ${nodeId} at ${at} ms`);
        return record;
      },
      async untilInSync() {
        await eventually(
          'every partition has its full ISR',
          async () => {
            const metadata = await admin.fetchTopicMetadata({
              topics: [...inputTopics, ...internalTopics, '__consumer_offsets', '__transaction_state'],
            });
            const lagging = metadata.topics.flatMap((t) =>
              t.partitions.filter((p) => p.isr.length < p.replicas.length || p.leader < 0),
            );
            return lagging.length === 0 ? true : undefined;
          },
          180_000,
        );
      },
    };

    await options.inject(ctx);
    await producing;
    log(`${options.name}: production done at ${now()} ms; waiting for the oracle`);

    const reader = new MetricsReader({ client: dynamo, tableName: names.table });
    const readBack = async (): Promise<MetricsSnapshot> => {
      const sellers = new Map();
      const categories = new Map();
      const lowStock = new Map();
      for (const sellerId of expected.sellers.keys()) {
        const values = await reader.getSellerMetrics(sellerId);
        if (values !== undefined) sellers.set(sellerId, values);
        for (const entry of await reader.listLowStock(sellerId)) lowStock.set(entry.productId, entry);
      }
      for (const category of expected.categories.keys()) {
        const values = await reader.getCategoryMetrics(category);
        if (values !== undefined) categories.set(category, values);
      }
      return { sellers, categories, lowStock };
    };
    const want = canonical(snapshotEntries(expected));
    let stored: MetricsSnapshot | undefined;
    try {
      stored = await eventually(
        'DynamoDB equals the oracle',
        async () => {
          if (running.child.exitCode !== null) throw new Error('the service exited');
          const snapshot = await readBack();
          return canonical(snapshotEntries(snapshot)) === want ? snapshot : undefined;
        },
        240_000,
      );
    } catch {
      stored = await readBack();
    }
    const totalMs = now();
    // Lag of both groups back to zero before reading the rest (the sink may still write S3).
    await eventually(
      'both groups drained',
      async () => {
        const position = await sumCommitted(admin, id, inputTopics);
        const end = await sumHigh(admin, inputTopics);
        if (position < end) return undefined;
        const sinkCommitted = await sumCommitted(admin, `${id}-sink`, [names.metricChanges]);
        const sinkEnd = await sumHigh(admin, [names.metricChanges]);
        // Transaction markers are in the high watermark; the sink commits past them.
        return sinkCommitted >= sinkEnd ? true : undefined;
      },
      120_000,
    ).catch(() => undefined);
    for (const record of faults) {
      await eventually(
        'the recovery of each fault is measured',
        () => (record.caughtUpMs >= 0 ? true : undefined),
        60_000,
      ).catch(() => undefined);
    }
    sampling = false;
    await sampler;

    const scanned = await scanLiveEntities(dynamo, names.table);
    const archiveRecords = [];
    for await (const record of readArchive({
      client: s3,
      bucket: names.bucket,
      prefix: PREFIX,
      from: new Date(input.firstEventMs - 3_600_000),
      to: new Date(input.lastEventMs + 3_600_000),
    })) {
      archiveRecords.push(record);
    }
    const folded = foldMetricChanges(archiveRecords);
    const archive: MetricsSnapshot = {
      sellers: new Map([...folded.sellers].filter(([, v]) => v.totalProducts > 0)),
      categories: new Map([...folded.categories].filter(([, v]) => v.productCount > 0)),
      lowStock: folded.lowStock,
    };
    const deadLetterRecords = await kcatConsumeAll(brokers, names.deadLetter);
    const deadLetters = deadLetterRecords.length;
    // By key and value (a full dead letter keeps both), so a failure names the records concerned.
    const pending = new Map<string, number>();
    for (const m of input.messages) {
      if (m.event !== undefined) continue;
      // kcat sends an empty value as no value (NULL), and the dead letter keeps it so.
      const line = `${m.key}\t${m.value.length === 0 ? 'NULL' : m.value.toString('utf8')}`;
      pending.set(line, (pending.get(line) ?? 0) + 1);
    }
    const extra: string[] = [];
    for (const [key, value] of deadLetterRecords) {
      const line = `${key}\t${value === null ? 'NULL' : value.toString('utf8')}`;
      const left = pending.get(line) ?? 0;
      if (left === 0) extra.push(line.slice(0, 200));
      else pending.set(line, left - 1);
    }
    const missing = [...pending].flatMap(([line, n]) => Array<string>(n).fill(line.slice(0, 200)));
    // The service's log, kept for a failure's investigation.
    const logFile = join(tmpdir(), `faults-${options.name}-${Date.now()}.log`);
    writeFileSync(logFile, `${running.stdout()}\n--- stderr ---\n${running.stderr()}`);
    log(`service log of ${options.name}: ${logFile}`);
    // Every input and changelog record with its position, for the same purpose.
    const dump: string[] = [];
    for (const topic of [...inputTopics, names.productState]) {
      const { stdout } = await run(
        'kcat',
        [
          '-C',
          '-b',
          brokers,
          '-t',
          topic,
          '-o',
          'beginning',
          '-e',
          '-q',
          '-Z',
          '-f',
          `${topic}\t%p\t%o\t%k\t%s\n`,
        ],
        { maxBuffer: 128 * 1024 * 1024 },
      );
      dump.push(stdout);
    }
    const dumpFile = join(tmpdir(), `faults-${options.name}-${Date.now()}.records.tsv`);
    writeFileSync(dumpFile, dump.join(''));
    log(`records of ${options.name}: ${dumpFile}`);
    if (missing.length > 0) {
      // Where the malformed inputs without a dead letter sit.
      for (const topic of inputTopics) {
        const { stdout } = await run(
          'kcat',
          ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\t%o\t%k\t%s\n'],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        for (const line of stdout.split('\n')) {
          const [partition, offset, ...rest] = line.split('\t');
          const record = rest.join('\t').slice(0, 200);
          const at = missing.indexOf(record);
          if (at >= 0) missing[at] = `${topic}/${partition}@${offset} ${record}`;
        }
      }
    }
    const changelogRecords = await kcatConsumeAll(brokers, names.productState);
    const changelog: Record<string, string> = {};
    for (const [key, value] of changelogRecords) {
      if (value === null) {
        delete changelog[key];
        continue;
      }
      const state = decodeProductState(value);
      changelog[key] = `${state.version}:${state.deleted ? 'deleted' : 'live'}`;
    }
    const expectedChangelog: Record<string, string> = {};
    for (const [productId, event] of lastEventPerProduct(input.events)) {
      expectedChangelog[productId] =
        `${event.version}:${event.type === 'product.deleted' ? 'deleted' : 'live'}`;
    }

    const metadata = await admin.fetchTopicMetadata({ topics: internalTopics });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: internalTopics.map((name) => ({
        type: CONFIG_RESOURCE_TOPIC,
        name,
        configNames: ['min.insync.replicas'],
      })),
    });
    const internalReplication = metadata.topics.map((t) => ({
      topic: t.name,
      replicas: t.partitions.map((p) => p.replicas.length),
      minIsr: configs.resources.find((r) => r.resourceName === t.name)?.configEntries[0]?.configValue,
    }));

    for (const fault of faults) {
      const until = fault.firstCommitMs < 0 ? Number.POSITIVE_INFINITY : fault.at + fault.firstCommitMs;
      fault.notReadyBeforeFirstCommit = samples.some(
        (x) => x.t >= fault.at && x.t <= until && x.ready !== 200,
      );
    }
    const report: ScenarioReport = {
      name: options.name,
      events: input.events.length,
      malformed: input.malformed,
      faults,
      ...stallFacts(samples),
      notReadyReasons: reasonCounts(samples),
      totalMs,
    };
    return {
      report,
      expected,
      dynamo: stored,
      scanned,
      archive,
      deadLetters: { expected: input.malformed, actual: deadLetters, missing, extra },
      changelog: { expected: expectedChangelog, actual: changelog },
      internalReplication,
      serviceAlive: running.child.exitCode === null && running.child.signalCode === null,
      serviceStderr: running.stderr(),
    };
  } finally {
    app?.kill();
    await admin.deleteTopics({ topics: [...inputTopics, ...internalTopics] }).catch(() => {});
    await admin.disconnect().catch(() => {});
    rmSync(folder, { recursive: true, force: true });
  }
}

/** JSON with object keys sorted and bigints as strings, so that equal values give equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([, x]) => x !== undefined)
          .sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    return v;
  });
}

function reasonCounts(samples: readonly Sample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const sample of samples) {
    const reasons = sample.ready === 0 ? ['no answer'] : sample.reasons;
    for (const reason of reasons) {
      const key = reason.replace(/\d+/g, 'N').slice(0, 120);
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}

/** Longest stall (lag > 0, committed offsets not moving) and whether /readyz said so meanwhile. */
export function stallFacts(samples: readonly Sample[]): {
  longestStallMs: number;
  notReadyDuringStall: boolean;
  notReadyMs: number;
} {
  let longest = 0;
  let notReadyInLongest = false;
  let from: Sample | undefined;
  let sawNotReady = false;
  let notReadyMs = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as Sample;
    const previous = samples[i - 1];
    if (previous !== undefined && previous.ready !== 200) notReadyMs += s.t - previous.t;
    // Readiness counts inside a possible stall even when the progress reads failed (a frozen
    // broker makes them time out exactly then).
    if (from !== undefined && s.ready !== 200) sawNotReady = true;
    if (s.position < 0 || s.end < 0) continue;
    const stalled = from !== undefined && s.position === from.position && s.end > s.position;
    if (stalled && from !== undefined) {
      if (s.ready !== 200) sawNotReady = true;
      const length = s.t - from.t;
      if (length > longest) {
        longest = length;
        notReadyInLongest = sawNotReady;
      }
    } else {
      from = s.end > s.position ? s : undefined;
      sawNotReady = false;
    }
  }
  return { longestStallMs: longest, notReadyDuringStall: notReadyInLongest, notReadyMs };
}
