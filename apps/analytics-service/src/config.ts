import { availableParallelism } from 'node:os';
import { DEFAULT_DYNAMODB_SINK_OPTIONS, DEFAULT_TABLE_NAME } from '@marketplace/dynamodb-sink';
import {
  DEFAULT_CODEC_OPTIONS,
  DEFAULT_EPOCH_TOPIC,
  DEFAULT_INTERNAL_TOPICS,
  DEFAULT_PROCESSOR_OPTIONS,
  PARTITIONERS,
  type PartitionerName,
} from '@marketplace/kafka-processor';
import { DEFAULT_PARSE_OPTIONS, DEFAULT_TOPICS } from '@marketplace/product-events';
import { DEFAULT_RETRY_OPTIONS } from '@marketplace/retry';
import { DEFAULT_S3_ARCHIVE_OPTIONS } from '@marketplace/s3-sink';
import { ConfigError, type ConfigIssue } from './errors.js';

/** Which stages this process runs. */
export type Role = 'aggregate' | 'sink' | 'all';

/** SASL mechanisms configurable from the environment (built into kafkajs 2.2.4). */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** One of {@link SASL_MECHANISMS}. */
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Values of `KAFKA_OUTPUT_COMPRESSION` (the `compression` option of stage 1). */
export const OUTPUT_COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** One of {@link OUTPUT_COMPRESSION_NAMES}. */
export type OutputCompressionName = (typeof OUTPUT_COMPRESSION_NAMES)[number];

/** pino log levels accepted by `LOG_LEVEL`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Typed, validated configuration of the service. */
export interface ServiceConfig {
  /** `production` when `KAFKA_BROKERS` is set, else `demo` (local stack + generator). */
  readonly mode: 'production' | 'demo';
  readonly kafka: {
    /** Bootstrap brokers; empty in demo mode until the local stack has started. */
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly ssl: boolean;
    readonly sasl: {
      readonly mechanism: SaslMechanism;
      readonly username: string;
      readonly password: string;
    } | null;
    /** Let stage 1 create its internal topics (and the demo its input topics). */
    readonly createTopics: boolean;
    /**
     * kafkajs `maxBytesPerPartition` of both consumers; unset: each stage's library default
     * (stage 1 4 MiB, larger batches being faster there; stage 2 1 MiB).
     */
    readonly maxBytesPerPartition: number | undefined;
    /** kafkajs `maxWaitTimeInMs` of the consumers. */
    readonly maxWaitTimeMs: number;
    /** Compression of everything stage 1 produces (`KAFKA_OUTPUT_COMPRESSION`). */
    readonly outputCompression: OutputCompressionName;
    /** Bound of one decompressed record batch, both stages (`KAFKA_MAX_DECOMPRESSED_BYTES`). */
    readonly maxDecompressedBytes: number;
  };
  /** Dead letters larger than this keep a prefix plus size and SHA-256 (`DEAD_LETTER_MAX_BYTES`). */
  readonly deadLetterMaxBytes: number;
  /** Events whose `occurredAt` lies further ahead are dead-lettered (`EVENT_TIME_MAX_FUTURE_SKEW_MS`). */
  readonly maxFutureSkewMs: number;
  /** Stage 1 application id: prefix of its transactional ids and internal group names. */
  readonly applicationId: string;
  /** Consumer group of stage 1 (aggregate). */
  readonly aggregateGroupId: string;
  /** Consumer group of stage 2 (sink). */
  readonly sinkGroupId: string;
  readonly topics: { readonly created: string; readonly updated: string; readonly deleted: string };
  readonly internalTopics: {
    readonly productState: string;
    readonly metricChanges: string;
    readonly deadLetter: string;
    readonly lowStockAlerts: string;
    readonly reroute: string;
  };
  /** Topic holding the current pipeline epoch (`TOPIC_EPOCH`; one partition, compacted). */
  readonly epochTopic: string;
  /**
   * The partitioner of the input producers (`INPUT_PARTITIONER`): stage 1 keeps each product in
   * the group `partitioner(key) mod partitions`; records produced with another partitioner are
   * rerouted there.
   */
  readonly inputPartitioner: PartitionerName;
  readonly aws: {
    /** Region of DynamoDB and S3; `undefined` only when no stage needs AWS. */
    readonly region: string | undefined;
    readonly dynamodbEndpoint: string | undefined;
    readonly s3Endpoint: string | undefined;
    readonly s3ForcePathStyle: boolean;
  };
  readonly metricsTable: string;
  /** S3 bucket of the archive; `undefined` only when no stage needs it. */
  readonly archiveBucket: string | undefined;
  readonly archivePrefix: string;
  readonly lowStockThreshold: number;
  readonly historyTtlDays: number;
  /** Application-level retries of transient faults (Kafka, DynamoDB, S3). */
  readonly retries: number;
  /** Worker threads of the reducer pool; `undefined` = the pool's default. */
  readonly workerThreads: number | undefined;
  /**
   * Stage 1's stream threads (`AggregateStreamThreads`): each a member of the aggregate group with
   * its own Kafka client, producers and states; `0` runs stage 1 on the main thread, reducing on
   * the worker pool (`workerThreads`).
   */
  readonly stage1Threads: number;
  /** Largest accepted input message value in bytes; larger ones are dead-lettered (`PAYLOAD_TOO_LARGE`). */
  readonly maxEventBytes: number;
  /** The operations HTTP server (`/healthz`, `/readyz`, `/metrics`). */
  readonly http: HttpConfig;
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutMs: number;
  /**
   * `/readyz` turns not ready when a consumer group has lag but has committed nothing for this
   * long (a broker or transaction coordinator it needs is unreachable), or lag cannot be read.
   */
  readonly readinessStallMs: number;
  readonly demo: {
    readonly events: number;
    /** Events per second; 0 = as fast as possible. */
    readonly rate: number;
    readonly seed: number;
    /** Partitions of the demo's input topics. */
    readonly partitions: number;
  };
}

/** Settings of the operations HTTP server; every bound is explicit rather than Node's default. */
export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  /** Time a client has to send the request line and headers (Node `headersTimeout`). */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request (Node `requestTimeout`); >= `headersTimeoutMs`. */
  readonly requestTimeoutMs: number;
  /** Idle time after a response before a keep-alive connection is closed (Node `keepAliveTimeout`). */
  readonly keepAliveTimeoutMs: number;
  /** Open connections at most; further ones are closed at once (Node `maxConnections`). */
  readonly maxConnections: number;
}

/** What the configuration is loaded for: decides which variables are required. */
export interface LoadConfigOptions {
  /** Stages this process runs. @default 'all' */
  role?: Role;
  /** `service` runs stages; `metrics` only reads DynamoDB. @default 'service' */
  purpose?: 'service' | 'metrics';
}

/**
 * Environment variables read by {@link loadConfig}, with their defaults (documented in the README).
 * The pipeline's defaults come from the packages' exported `DEFAULT_*` constants, so the service
 * and a library user get the same values; only the service's own settings are written here.
 */
export const CONFIG_DEFAULTS = Object.freeze({
  KAFKA_CLIENT_ID: 'analytics-service',
  APPLICATION_ID: 'marketplace-analytics',
  TOPIC_PRODUCT_CREATED: DEFAULT_TOPICS.created,
  TOPIC_PRODUCT_UPDATED: DEFAULT_TOPICS.updated,
  TOPIC_PRODUCT_DELETED: DEFAULT_TOPICS.deleted,
  TOPIC_PRODUCT_STATE: DEFAULT_INTERNAL_TOPICS.productState,
  TOPIC_METRIC_CHANGES: DEFAULT_INTERNAL_TOPICS.metricChanges,
  TOPIC_DEAD_LETTER: DEFAULT_INTERNAL_TOPICS.deadLetter,
  TOPIC_LOW_STOCK_ALERTS: DEFAULT_INTERNAL_TOPICS.lowStockAlerts,
  TOPIC_REROUTE: DEFAULT_INTERNAL_TOPICS.reroute,
  TOPIC_EPOCH: DEFAULT_EPOCH_TOPIC,
  INPUT_PARTITIONER: DEFAULT_PROCESSOR_OPTIONS.partitioner,
  KAFKA_SSL: false,
  KAFKA_ALLOW_INSECURE_SASL: false,
  KAFKA_MAX_WAIT_TIME_MS: DEFAULT_PROCESSOR_OPTIONS.consumer.maxWaitTimeInMs,
  KAFKA_OUTPUT_COMPRESSION: DEFAULT_PROCESSOR_OPTIONS.compression,
  KAFKA_MAX_DECOMPRESSED_BYTES: DEFAULT_CODEC_OPTIONS.maxDecompressedBytes,
  DEAD_LETTER_MAX_BYTES: DEFAULT_PROCESSOR_OPTIONS.maxDeadLetterBytes,
  EVENT_TIME_MAX_FUTURE_SKEW_MS: DEFAULT_PROCESSOR_OPTIONS.maxFutureSkewMs,
  METRICS_TABLE: DEFAULT_TABLE_NAME,
  ARCHIVE_PREFIX: DEFAULT_S3_ARCHIVE_OPTIONS.prefix,
  DEMO_ARCHIVE_BUCKET: 'analytics-archive',
  DEMO_AWS_REGION: 'us-east-1',
  LOW_STOCK_THRESHOLD: DEFAULT_PROCESSOR_OPTIONS.lowStockThreshold,
  HISTORY_TTL_DAYS: DEFAULT_DYNAMODB_SINK_OPTIONS.historyTtlDays,
  RETRIES: DEFAULT_RETRY_OPTIONS.retries,
  MAX_EVENT_BYTES: DEFAULT_PARSE_OPTIONS.maxBytes,
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: 9464,
  HTTP_HEADERS_TIMEOUT_MS: 10_000,
  HTTP_REQUEST_TIMEOUT_MS: 30_000,
  HTTP_KEEP_ALIVE_TIMEOUT_MS: 5_000,
  HTTP_MAX_CONNECTIONS: 64,
  LOG_LEVEL_PRODUCTION: 'info',
  LOG_LEVEL_DEMO: 'warn',
  SHUTDOWN_TIMEOUT_MS: 15_000,
  READINESS_STALL_MS: 30_000,
  DEMO_EVENTS: 30_000,
  DEMO_RATE: 5_000,
  DEMO_SEED: 42,
  DEMO_PARTITIONS: 6,
});

type Env = Readonly<Record<string, string | undefined>>;

/** Reads variables and collects every problem instead of stopping at the first. */
class EnvReader {
  readonly issues: ConfigIssue[] = [];

  constructor(private readonly env: Env) {}

  /** Trimmed value, `undefined` when unset or blank. */
  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  fail(variable: string, message: string): void {
    this.issues.push({ variable, message });
  }

  string(name: string, fallback: string, pattern?: { re: RegExp; what: string }): string {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (pattern && !pattern.re.test(value)) {
      this.fail(name, `${JSON.stringify(value)} is not ${pattern.what}`);
      return fallback;
    }
    return value;
  }

  int(name: string, fallback: number, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^[+]?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
      this.fail(name, `${JSON.stringify(value)} is not an integer ${range}`);
      return fallback;
    }
    return parsed;
  }

  optionalInt(name: string, min: number, max: number): number | undefined {
    return this.raw(name) === undefined ? undefined : this.int(name, min, min, max);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === 'true') return true;
    if (value === 'false') return false;
    this.fail(name, `${JSON.stringify(this.raw(name))} is not a boolean (use true or false)`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.fail(name, `${JSON.stringify(this.raw(name))} is not one of ${allowed.join(', ')}`);
    return fallback;
  }

  url(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return value;
    } catch {
      // reported below
    }
    this.fail(name, `${JSON.stringify(value)} is not an http(s) URL`);
    return undefined;
  }
}

const KAFKA_NAME = {
  re: /^[A-Za-z0-9._-]{1,249}$/,
  what: 'a valid Kafka name ([A-Za-z0-9._-], 1-249 chars)',
};
const TABLE_NAME = {
  re: /^[A-Za-z0-9._-]{3,255}$/,
  what: 'a valid DynamoDB table name ([A-Za-z0-9._-], 3-255 chars)',
};
const BUCKET_NAME = {
  re: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  what: 'a valid S3 bucket name (lowercase letters, digits, dots, hyphens, 3-63 chars)',
};
const PREFIX = { re: /^[^/](?:.*[^/])?$/, what: 'a key prefix without leading or trailing slash' };
const BROKER = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

function parseBrokers(reader: EnvReader): string[] {
  const value = reader.raw('KAFKA_BROKERS');
  if (value === undefined) return [];
  const brokers = value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  const bad = brokers.filter((broker) => !BROKER.test(broker) || Number(broker.split(':').pop()) > 65_535);
  if (brokers.length === 0 || bad.length > 0) {
    reader.fail(
      'KAFKA_BROKERS',
      `expected a comma-separated list of host:port, got ${JSON.stringify(value)}` +
        (bad.length > 0 ? ` (bad: ${bad.join(', ')})` : ''),
    );
  }
  return brokers;
}

/**
 * Reads and validates the configuration from environment variables.
 *
 * `KAFKA_BROKERS` unset means demo mode (local stack, generated stream, sensible demo defaults);
 * set means production (no local stack, no generator; AWS region and archive bucket required for
 * the sink stage).
 *
 * @throws ConfigError (code `INVALID_CONFIG`) listing every invalid variable at once.
 * @example
 * const config = loadConfig(process.env, { role: 'all' });
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): ServiceConfig {
  const role = options.role ?? 'all';
  const purpose = options.purpose ?? 'service';
  const r = new EnvReader(env);
  const d = CONFIG_DEFAULTS;

  const brokers = parseBrokers(r);
  const mode = r.raw('KAFKA_BROKERS') === undefined ? 'demo' : 'production';
  const demo = mode === 'demo';

  const applicationId = r.string('APPLICATION_ID', d.APPLICATION_ID, KAFKA_NAME);
  const aggregateGroupId = r.string('KAFKA_GROUP_ID', applicationId, KAFKA_NAME);
  const sinkGroupId = r.string('SINK_GROUP_ID', `${applicationId}-sink`, KAFKA_NAME);

  const topics = {
    created: r.string('TOPIC_PRODUCT_CREATED', d.TOPIC_PRODUCT_CREATED, KAFKA_NAME),
    updated: r.string('TOPIC_PRODUCT_UPDATED', d.TOPIC_PRODUCT_UPDATED, KAFKA_NAME),
    deleted: r.string('TOPIC_PRODUCT_DELETED', d.TOPIC_PRODUCT_DELETED, KAFKA_NAME),
  };
  const internalTopics = {
    productState: r.string('TOPIC_PRODUCT_STATE', d.TOPIC_PRODUCT_STATE, KAFKA_NAME),
    metricChanges: r.string('TOPIC_METRIC_CHANGES', d.TOPIC_METRIC_CHANGES, KAFKA_NAME),
    deadLetter: r.string('TOPIC_DEAD_LETTER', d.TOPIC_DEAD_LETTER, KAFKA_NAME),
    lowStockAlerts: r.string('TOPIC_LOW_STOCK_ALERTS', d.TOPIC_LOW_STOCK_ALERTS, KAFKA_NAME),
    reroute: r.string('TOPIC_REROUTE', d.TOPIC_REROUTE, KAFKA_NAME),
  };
  const epochTopic = r.string('TOPIC_EPOCH', d.TOPIC_EPOCH, KAFKA_NAME);
  const inputPartitioner = r.oneOf<PartitionerName>('INPUT_PARTITIONER', PARTITIONERS, d.INPUT_PARTITIONER);
  const allTopics: Array<[string, string]> = [
    ['TOPIC_PRODUCT_CREATED', topics.created],
    ['TOPIC_PRODUCT_UPDATED', topics.updated],
    ['TOPIC_PRODUCT_DELETED', topics.deleted],
    ['TOPIC_PRODUCT_STATE', internalTopics.productState],
    ['TOPIC_METRIC_CHANGES', internalTopics.metricChanges],
    ['TOPIC_DEAD_LETTER', internalTopics.deadLetter],
    ['TOPIC_LOW_STOCK_ALERTS', internalTopics.lowStockAlerts],
    ['TOPIC_REROUTE', internalTopics.reroute],
    ['TOPIC_EPOCH', epochTopic],
  ];
  const seen = new Map<string, string>();
  for (const [variable, topic] of allTopics) {
    const first = seen.get(topic);
    if (first !== undefined) r.fail(variable, `topic ${JSON.stringify(topic)} is already used by ${first}`);
    else seen.set(topic, variable);
  }

  const ssl = r.bool('KAFKA_SSL', d.KAFKA_SSL);
  const allowInsecureSasl = r.bool('KAFKA_ALLOW_INSECURE_SASL', d.KAFKA_ALLOW_INSECURE_SASL);
  const mechanismRaw = r.raw('KAFKA_SASL_MECHANISM');
  let sasl: ServiceConfig['kafka']['sasl'] = null;
  if (mechanismRaw !== undefined) {
    const mechanism = r.oneOf<SaslMechanism | 'none'>('KAFKA_SASL_MECHANISM', SASL_MECHANISMS, 'none');
    const username = r.raw('KAFKA_SASL_USERNAME');
    const password = r.raw('KAFKA_SASL_PASSWORD');
    if (username === undefined) r.fail('KAFKA_SASL_USERNAME', 'required when KAFKA_SASL_MECHANISM is set');
    if (password === undefined) r.fail('KAFKA_SASL_PASSWORD', 'required when KAFKA_SASL_MECHANISM is set');
    if (mechanism !== 'none' && username !== undefined && password !== undefined) {
      sasl = { mechanism, username, password };
    }
    // Without TLS, PLAIN sends the password in clear and SCRAM exposes the whole session.
    if (mechanism !== 'none' && !ssl && !allowInsecureSasl) {
      r.fail(
        'KAFKA_SASL_MECHANISM',
        'SASL without TLS sends the credentials unencrypted: set KAFKA_SSL=true, or KAFKA_ALLOW_INSECURE_SASL=true to accept that',
      );
    }
  }
  const clientId = r.string('KAFKA_CLIENT_ID', d.KAFKA_CLIENT_ID, KAFKA_NAME);
  const createTopics = r.bool('KAFKA_CREATE_TOPICS', demo);
  const maxBytesPerPartition = r.optionalInt('KAFKA_MAX_BYTES_PER_PARTITION', 1024, 1_073_741_824);
  const maxWaitTimeMs = r.int('KAFKA_MAX_WAIT_TIME_MS', d.KAFKA_MAX_WAIT_TIME_MS, 0, 60_000);
  const outputCompression = r.oneOf<OutputCompressionName>(
    'KAFKA_OUTPUT_COMPRESSION',
    OUTPUT_COMPRESSION_NAMES,
    d.KAFKA_OUTPUT_COMPRESSION,
  );
  const maxDecompressedBytes = r.int(
    'KAFKA_MAX_DECOMPRESSED_BYTES',
    d.KAFKA_MAX_DECOMPRESSED_BYTES,
    1024,
    1_073_741_824,
  );
  const deadLetterMaxBytes = r.int('DEAD_LETTER_MAX_BYTES', d.DEAD_LETTER_MAX_BYTES, 4096, 1_073_741_824);
  const maxFutureSkewMs = r.int('EVENT_TIME_MAX_FUTURE_SKEW_MS', d.EVENT_TIME_MAX_FUTURE_SKEW_MS, 0);

  // AWS: the aggregate stage alone never touches AWS.
  const needsAws = purpose === 'metrics' || role !== 'aggregate';
  const needsBucket = purpose === 'service' && role !== 'aggregate';
  let region = r.raw('AWS_REGION') ?? r.raw('AWS_DEFAULT_REGION');
  if (region !== undefined && !/^[a-z]{2}(-[a-z0-9]+)+-\d+$|^local$/.test(region)) {
    r.fail('AWS_REGION', `${JSON.stringify(region)} is not an AWS region name (e.g. eu-west-1)`);
  }
  if (region === undefined && demo) region = d.DEMO_AWS_REGION;
  if (region === undefined && needsAws) r.fail('AWS_REGION', 'required (e.g. eu-west-1)');
  const dynamodbEndpoint = r.url('DYNAMODB_ENDPOINT');
  const s3Endpoint = r.url('S3_ENDPOINT');
  const s3ForcePathStyle = r.bool('S3_FORCE_PATH_STYLE', demo);

  const metricsTable = r.string('METRICS_TABLE', d.METRICS_TABLE, TABLE_NAME);
  let archiveBucket: string | undefined = r.string('ARCHIVE_BUCKET', '', BUCKET_NAME) || undefined;
  if (archiveBucket === undefined && demo) archiveBucket = d.DEMO_ARCHIVE_BUCKET;
  if (archiveBucket === undefined && needsBucket && r.raw('ARCHIVE_BUCKET') === undefined) {
    r.fail('ARCHIVE_BUCKET', 'required for the sink stage (the S3 bucket of the metric archive)');
  }
  const archivePrefix = r.string('ARCHIVE_PREFIX', d.ARCHIVE_PREFIX, PREFIX);

  const lowStockThreshold = r.int('LOW_STOCK_THRESHOLD', d.LOW_STOCK_THRESHOLD, 1);
  const historyTtlDays = r.int('HISTORY_TTL_DAYS', d.HISTORY_TTL_DAYS, 1, 3650);
  const retries = r.int('RETRIES', d.RETRIES, 0, 100);
  const workerThreads = r.optionalInt('WORKER_THREADS', 0, 256);
  // Stage 1 on one stream thread per core by default (docs/architecture.md#stream-threads).
  const stage1Threads = r.optionalInt('STAGE1_THREADS', 0, 256) ?? availableParallelism();
  const maxEventBytes = r.int('MAX_EVENT_BYTES', d.MAX_EVENT_BYTES, 64, 1_073_741_824);

  const host = r.string('HTTP_HOST', d.HTTP_HOST);
  const port = r.int('HTTP_PORT', d.HTTP_PORT, 0, 65_535);
  const headersTimeoutMs = r.int('HTTP_HEADERS_TIMEOUT_MS', d.HTTP_HEADERS_TIMEOUT_MS, 100, 600_000);
  const requestTimeoutMs = r.int('HTTP_REQUEST_TIMEOUT_MS', d.HTTP_REQUEST_TIMEOUT_MS, 100, 600_000);
  if (requestTimeoutMs < headersTimeoutMs) {
    r.fail('HTTP_REQUEST_TIMEOUT_MS', `must be >= HTTP_HEADERS_TIMEOUT_MS (${headersTimeoutMs})`);
  }
  const keepAliveTimeoutMs = r.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', d.HTTP_KEEP_ALIVE_TIMEOUT_MS, 0, 600_000);
  const maxConnections = r.int('HTTP_MAX_CONNECTIONS', d.HTTP_MAX_CONNECTIONS, 1, 100_000);
  const logLevel = r.oneOf<LogLevel>(
    'LOG_LEVEL',
    LOG_LEVELS,
    demo ? d.LOG_LEVEL_DEMO : d.LOG_LEVEL_PRODUCTION,
  );
  const shutdownTimeoutMs = r.int('SHUTDOWN_TIMEOUT_MS', d.SHUTDOWN_TIMEOUT_MS, 100, 600_000);
  const readinessStallMs = r.int('READINESS_STALL_MS', d.READINESS_STALL_MS, 1_000, 3_600_000);

  const demoEvents = r.int('DEMO_EVENTS', d.DEMO_EVENTS, 1, 100_000_000);
  const demoRate = r.int('DEMO_RATE', d.DEMO_RATE, 0, 10_000_000);
  const demoSeed = r.int('DEMO_SEED', d.DEMO_SEED, 0, 2 ** 32 - 1);
  const demoPartitions = r.int('DEMO_PARTITIONS', d.DEMO_PARTITIONS, 1, 256);

  if (r.issues.length > 0) throw new ConfigError(r.issues);

  return {
    mode,
    kafka: {
      brokers,
      clientId,
      ssl,
      sasl,
      createTopics,
      maxBytesPerPartition,
      maxWaitTimeMs,
      outputCompression,
      maxDecompressedBytes,
    },
    deadLetterMaxBytes,
    maxFutureSkewMs,
    applicationId,
    aggregateGroupId,
    sinkGroupId,
    topics,
    internalTopics,
    epochTopic,
    inputPartitioner,
    aws: { region, dynamodbEndpoint, s3Endpoint, s3ForcePathStyle },
    metricsTable,
    archiveBucket,
    archivePrefix,
    lowStockThreshold,
    historyTtlDays,
    retries,
    workerThreads,
    stage1Threads,
    maxEventBytes,
    http: { host, port, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections },
    logLevel,
    shutdownTimeoutMs,
    readinessStallMs,
    demo: { events: demoEvents, rate: demoRate, seed: demoSeed, partitions: demoPartitions },
  };
}

/** The configuration with secrets replaced, for logging at start. */
export function redactConfig(config: ServiceConfig): ServiceConfig {
  if (config.kafka.sasl === null) return config;
  return { ...config, kafka: { ...config.kafka, sasl: { ...config.kafka.sasl, password: '***' } } };
}
