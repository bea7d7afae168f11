import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { ensureMetricsTable, MetricsReader } from '@marketplace/dynamodb-sink';
import { type LocalStack, startLocalStack } from '@marketplace/local-stack';
import { type GeneratedMessage, generateMarketplaceStream } from '@marketplace/product-events';
import type { Kafka, Message, Producer } from 'kafkajs';
import type { Logger as PinoLogger } from 'pino';
import { createDynamoClient, createKafka, createS3Client } from './clients.js';
import type { ServiceConfig } from './config.js';
import type { Readiness } from './http.js';
import { libraryLogger } from './logger.js';
import type { ProgressOutput, ProgressReporter } from './progress.js';
import { type DemoReport, formatReport, readReport } from './report.js';
import { type RunningService, startService } from './service.js';
import { stopInOrder } from './stopInOrder.js';
import type { Telemetry } from './Telemetry.js';

/** Generator settings of the demo stream: realistic noise the pipeline must absorb. */
export const DEMO_STREAM = Object.freeze({ duplicateRate: 0.02, reorder: true, malformedRate: 0.002 });

/** What the demo needs from `main`. */
export interface DemoOptions {
  config: ServiceConfig;
  logger: PinoLogger;
  telemetry: Telemetry;
  /** Narrative, progress line and report (stdout). */
  out: ProgressOutput;
  /** The progress line on `out` (shared with the logger, which erases it before each log line). */
  progress: ProgressReporter;
  /** Makes `/readyz` follow the running stages. */
  setReadiness(readiness: () => Promise<Readiness>): void;
  /** Progress refresh on a terminal. @default 200 */
  tickMs?: number;
  /** A stage cannot go on (see `ServiceDeps.onFatal`); `main` stops the demo with exit code 1. */
  onFatal: (error: unknown) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The demo: starts the local stack, creates topics, table and bucket, runs both stages in this
 * process, produces a generated marketplace stream and prints a report once it is drained.
 */
export class Demo {
  private readonly abort = new AbortController();
  private readonly progress: ProgressReporter;
  private stack: LocalStack | undefined;
  private service: RunningService | undefined;
  private producer: Producer | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly options: DemoOptions) {
    this.progress = options.progress;
  }

  private say(line: string): void {
    this.progress.finish();
    this.options.out.write(`${line}\n`);
  }

  private checkAborted(): void {
    if (this.abort.signal.aborted) throw new Error('demo stopped');
  }

  /** Runs the demo up to and including the report. */
  run(): Promise<DemoReport> {
    const running = this.runSteps();
    this.running = running.catch(() => {});
    return running;
  }

  private async runSteps(): Promise<DemoReport> {
    const { config: base, logger, telemetry } = this.options;
    this.say('Starting the local stack (Kafka, DynamoDB, S3) ...');
    this.stack = await startLocalStack({
      logger: libraryLogger(logger, 'local-stack'),
      onProgress: (message) => this.say(`  ${message}`),
    });
    this.checkAborted();
    const stack = this.stack;
    const config: ServiceConfig = {
      ...base,
      // startLocalStack with no options starts all three servers: Kafka is there.
      kafka: { ...base.kafka, brokers: stack.kafka!.brokers },
      aws: {
        region: stack.region,
        dynamodbEndpoint: stack.dynamodb?.endpoint,
        s3Endpoint: stack.s3?.endpoint,
        s3ForcePathStyle: true,
      },
    };
    const kafka = createKafka(config, config.kafka.brokers, logger);
    const dynamo = createDynamoClient(config, stack.credentials);
    const s3 = createS3Client(config, stack.credentials);

    await this.createTopics(kafka, config);
    await ensureMetricsTable(dynamo, {
      tableName: config.metricsTable,
      logger: libraryLogger(logger, 'dynamodb'),
    });
    // A fresh stack (its own temporary folder) has no bucket yet.
    await s3.send(new CreateBucketCommand({ Bucket: config.archiveBucket as string }));
    this.say(
      `Created topics (${config.demo.partitions} partitions), table ${config.metricsTable}, bucket ${config.archiveBucket}.`,
    );
    this.checkAborted();

    this.service = await startService({
      config,
      role: 'all',
      kafka,
      dynamo,
      s3,
      logger,
      telemetry,
      lagIntervalMs: 500,
      onFatal: this.options.onFatal,
    });
    const service = this.service;
    this.options.setReadiness(() => service.readiness());
    this.say('Both stages are running.');
    this.checkAborted();

    const rate = config.demo.rate === 0 ? 'as fast as possible' : `${config.demo.rate} events/s`;
    this.say(`Producing ${config.demo.events} events (seed ${config.demo.seed}, ${rate}) ...`);
    const started = performance.now();
    const tick = () =>
      this.progress.update({
        stats: telemetry.stats,
        lag: service.lag.total(),
        target: config.demo.events,
        elapsedMs: performance.now() - started,
      });
    const timer = setInterval(tick, this.options.tickMs ?? 200);
    let ids: { sellerIds: Set<string>; categories: Set<string> };
    try {
      ids = await this.produce(kafka, config);
      await this.waitUntilDrained(service);
    } finally {
      clearInterval(timer);
    }
    this.progress.update(
      {
        stats: telemetry.stats,
        lag: service.lag.total(),
        target: config.demo.events,
        elapsedMs: performance.now() - started,
      },
      true,
    );
    this.progress.finish();
    this.say(`Drained in ${((performance.now() - started) / 1000).toFixed(1)} s.`);

    const reader = new MetricsReader({
      client: dynamo,
      tableName: config.metricsTable,
      retry: { retries: config.retries },
    });
    const report = await readReport(reader, ids);
    this.say(`\nMetrics read back from DynamoDB:\n${formatReport(report)}\n`);
    return report;
  }

  private async createTopics(kafka: Kafka, config: ServiceConfig): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [config.topics.created, config.topics.updated, config.topics.deleted].map((topic) => ({
          topic,
          numPartitions: config.demo.partitions,
          replicationFactor: 1,
        })),
      });
    } finally {
      await admin.disconnect();
    }
  }

  /** Produces the generated stream at the configured rate; returns the seller and category ids seen. */
  private async produce(
    kafka: Kafka,
    config: ServiceConfig,
  ): Promise<{ sellerIds: Set<string>; categories: Set<string> }> {
    const { telemetry } = this.options;
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    const producer = this.producer;
    const sellerIds = new Set<string>();
    const categories = new Set<string>();
    const rate = config.demo.rate;
    const chunkSize = rate === 0 ? 1000 : Math.max(1, Math.min(1000, Math.floor(rate / 10)));
    const stream = generateMarketplaceStream({
      seed: config.demo.seed,
      events: config.demo.events,
      topics: config.topics,
      ...DEMO_STREAM,
    });

    let chunk: GeneratedMessage[] = [];
    const started = performance.now();
    const flush = async (): Promise<void> => {
      const byTopic = new Map<string, Message[]>();
      for (const message of chunk) {
        const list = byTopic.get(message.topic) ?? [];
        list.push({ key: message.key, value: message.value, headers: message.headers });
        byTopic.set(message.topic, list);
      }
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      telemetry.stats.produced += chunk.length;
      chunk = [];
      if (rate > 0) {
        // Behind schedule (a slow send), the next chunk goes at once: sleep(0) only yields.
        const due = started + (telemetry.stats.produced / rate) * 1000;
        await sleep(Math.max(0, due - performance.now()));
      }
    };
    for (const message of stream) {
      this.checkAborted();
      if (message.event !== undefined) {
        sellerIds.add(message.event.data.sellerId);
        if (message.event.data.category !== undefined) categories.add(message.event.data.category);
      }
      chunk.push(message);
      if (chunk.length >= chunkSize) await flush();
    }
    if (chunk.length > 0) await flush();
    await producer.disconnect();
    this.producer = undefined;
    return { sellerIds, categories };
  }

  /** Waits until both consumer groups have no lag on two polls in a row. */
  private async waitUntilDrained(service: RunningService): Promise<void> {
    let zeroPolls = 0;
    while (zeroPolls < 2) {
      this.checkAborted();
      await sleep(250);
      await service.lag.poll();
      zeroPolls = service.lag.total() === 0 ? zeroPolls + 1 : 0;
    }
  }

  /**
   * Stops producing, stops the stages and the local stack. Safe to call at any time, more than once.
   * Every step runs even when one before it fails (each failure is logged).
   * @throws the first failure, once everything was stopped.
   */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.progress.finish();
    const stack = this.stack;
    await stopInOrder(
      [
        { what: 'disconnect the demo producer', run: () => this.producer?.disconnect() },
        { what: 'stop the stages', run: () => this.service?.stop() },
        ...(stack === undefined
          ? []
          : [
              {
                what: 'stop the local stack',
                run: () => {
                  this.say('Stopping the local stack ...');
                  return stack.stop();
                },
              },
            ]),
      ],
      libraryLogger(this.options.logger, 'demo'),
    );
  }
}
