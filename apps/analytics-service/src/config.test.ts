import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, loadConfig, redactConfig } from './config.js';
import { ConfigError } from './errors.js';

const production = {
  KAFKA_BROKERS: 'b1:9092,b2:9092',
  AWS_REGION: 'eu-west-1',
  ARCHIVE_BUCKET: 'my-archive',
};

function issuesOf(env: Record<string, string>, options?: Parameters<typeof loadConfig>[1]) {
  try {
    loadConfig(env, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs the demo with documented defaults when KAFKA_BROKERS is unset', () => {
    const config = loadConfig({});

    expect(config.mode).toBe('demo');
    expect(config.kafka.brokers).toEqual([]);
    expect(config.kafka.createTopics).toBe(true);
    expect(config.aws.region).toBe('us-east-1');
    expect(config.aws.s3ForcePathStyle).toBe(true);
    expect(config.archiveBucket).toBe(CONFIG_DEFAULTS.DEMO_ARCHIVE_BUCKET);
    expect(config.metricsTable).toBe('analytics-metrics');
    expect(config.archivePrefix).toBe('metrics');
    expect(config.lowStockThreshold).toBe(10);
    expect(config.historyTtlDays).toBe(30);
    expect(config.retries).toBe(10);
    expect(config.shutdownTimeoutMs).toBe(15_000);
    expect(config.readinessStallMs).toBe(30_000);
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 9464,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 64,
    });
    expect(config.logLevel).toBe('warn');
    expect(config.demo).toEqual({ events: 30_000, rate: 5000, seed: 42, partitions: 6 });
    expect(config.topics).toEqual({
      created: 'product.created',
      updated: 'product.updated',
      deleted: 'product.deleted',
    });
    expect(config.internalTopics.reroute).toBe('analytics.reroute');
    expect(config.inputPartitioner).toBe('murmur2');
  });

  it('runs in production when KAFKA_BROKERS is set, without creating topics by default', () => {
    const config = loadConfig(production);

    expect(config.mode).toBe('production');
    expect(config.kafka.brokers).toEqual(['b1:9092', 'b2:9092']);
    expect(config.kafka.createTopics).toBe(false);
    expect(config.aws.s3ForcePathStyle).toBe(false);
    expect(config.logLevel).toBe('info');
    expect(config.aggregateGroupId).toBe('marketplace-analytics');
    expect(config.sinkGroupId).toBe('marketplace-analytics-sink');
    // Unset: each stage keeps its library default (stage 1 fetches 4 MiB, stage 2 1 MiB).
    expect(config.kafka.maxBytesPerPartition).toBeUndefined();
    // Stage 1 on one stream thread per core; STAGE1_THREADS=0 keeps it on the main thread.
    expect(config.stage1Threads).toBe(availableParallelism());
    expect(loadConfig({ ...production, STAGE1_THREADS: '0' }).stage1Threads).toBe(0);
  });

  it('derives group ids from APPLICATION_ID unless set explicitly', () => {
    expect(loadConfig({ ...production, APPLICATION_ID: 'app' })).toMatchObject({
      applicationId: 'app',
      aggregateGroupId: 'app',
      sinkGroupId: 'app-sink',
    });
    expect(loadConfig({ ...production, KAFKA_GROUP_ID: 'agg', SINK_GROUP_ID: 'snk' })).toMatchObject({
      aggregateGroupId: 'agg',
      sinkGroupId: 'snk',
    });
  });

  it('reads every tunable from the environment', () => {
    const config = loadConfig({
      ...production,
      KAFKA_CLIENT_ID: 'svc',
      KAFKA_SSL: 'TRUE',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'user',
      KAFKA_SASL_PASSWORD: 'secret',
      KAFKA_CREATE_TOPICS: 'true',
      KAFKA_MAX_BYTES_PER_PARTITION: '2097152',
      KAFKA_MAX_WAIT_TIME_MS: '250',
      KAFKA_OUTPUT_COMPRESSION: 'LZ4',
      KAFKA_MAX_DECOMPRESSED_BYTES: '1048576',
      DEAD_LETTER_MAX_BYTES: '65536',
      EVENT_TIME_MAX_FUTURE_SKEW_MS: '3600000',
      TOPIC_PRODUCT_CREATED: 'c',
      TOPIC_PRODUCT_UPDATED: 'u',
      TOPIC_PRODUCT_DELETED: 'd',
      TOPIC_PRODUCT_STATE: 'ps',
      TOPIC_METRIC_CHANGES: 'mc',
      TOPIC_DEAD_LETTER: 'dl',
      TOPIC_LOW_STOCK_ALERTS: 'ls',
      TOPIC_REROUTE: 'rr',
      INPUT_PARTITIONER: 'CRC32',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_FORCE_PATH_STYLE: 'true',
      METRICS_TABLE: 'tbl',
      ARCHIVE_PREFIX: 'a/b',
      LOW_STOCK_THRESHOLD: '5',
      HISTORY_TTL_DAYS: '7',
      RETRIES: '3',
      WORKER_THREADS: '4',
      MAX_EVENT_BYTES: '2048',
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: '0',
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '4000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '0',
      HTTP_MAX_CONNECTIONS: '8',
      LOG_LEVEL: 'debug',
      SHUTDOWN_TIMEOUT_MS: '5000',
      READINESS_STALL_MS: '10000',
    });

    expect(config.kafka).toEqual({
      brokers: ['b1:9092', 'b2:9092'],
      clientId: 'svc',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'user', password: 'secret' },
      createTopics: true,
      maxBytesPerPartition: 2_097_152,
      maxWaitTimeMs: 250,
      outputCompression: 'lz4',
      maxDecompressedBytes: 1_048_576,
    });
    expect(config.topics).toEqual({ created: 'c', updated: 'u', deleted: 'd' });
    expect(config.internalTopics).toEqual({
      productState: 'ps',
      metricChanges: 'mc',
      deadLetter: 'dl',
      lowStockAlerts: 'ls',
      reroute: 'rr',
    });
    expect(config.inputPartitioner).toBe('crc32');
    expect(config.aws).toEqual({
      region: 'eu-west-1',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      s3Endpoint: 'http://127.0.0.1:9000',
      s3ForcePathStyle: true,
    });
    expect(config).toMatchObject({
      metricsTable: 'tbl',
      archiveBucket: 'my-archive',
      archivePrefix: 'a/b',
      lowStockThreshold: 5,
      historyTtlDays: 7,
      retries: 3,
      workerThreads: 4,
      maxEventBytes: 2048,
      http: {
        host: '0.0.0.0',
        port: 0,
        headersTimeoutMs: 2000,
        requestTimeoutMs: 4000,
        keepAliveTimeoutMs: 0,
        maxConnections: 8,
      },
      logLevel: 'debug',
      shutdownTimeoutMs: 5000,
      deadLetterMaxBytes: 65_536,
      maxFutureSkewMs: 3_600_000,
      readinessStallMs: 10_000,
    });
  });

  it('lists every invalid variable in one error', () => {
    const issues = issuesOf({
      KAFKA_BROKERS: 'not a broker',
      HTTP_PORT: '70000',
      LOW_STOCK_THRESHOLD: 'ten',
      KAFKA_SSL: 'yes',
      LOG_LEVEL: 'loud',
      AWS_REGION: 'Europe',
      ARCHIVE_BUCKET: 'Bad_Bucket',
      DYNAMODB_ENDPOINT: 'localhost:8000',
    });

    expect(issues.map((issue) => issue.variable)).toEqual([
      'KAFKA_BROKERS',
      'KAFKA_SSL',
      'AWS_REGION',
      'DYNAMODB_ENDPOINT',
      'ARCHIVE_BUCKET',
      'LOW_STOCK_THRESHOLD',
      'HTTP_PORT',
      'LOG_LEVEL',
    ]);
  });

  it('names the variable, the bad value and what is expected in the message', () => {
    let message = '';
    try {
      loadConfig({ ...production, HTTP_PORT: '70000', RETRIES: '-1' });
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message).toContain('Invalid configuration (2 problems)');
    expect(message).toContain('HTTP_PORT: "70000" is not an integer between 0 and 65535');
    expect(message).toContain('RETRIES: "-1" is not an integer between 0 and 100');
  });

  it.each([
    ['KAFKA_BROKERS', ',', 'comma-separated list of host:port'],
    ['KAFKA_BROKERS', 'host:99999', 'bad: host:99999'],
    ['KAFKA_CLIENT_ID', 'has space', 'valid Kafka name'],
    ['APPLICATION_ID', 'a/b', 'valid Kafka name'],
    ['KAFKA_GROUP_ID', 'a b', 'valid Kafka name'],
    ['SINK_GROUP_ID', 'a b', 'valid Kafka name'],
    ['TOPIC_PRODUCT_CREATED', 'a b', 'valid Kafka name'],
    ['TOPIC_METRIC_CHANGES', 'product.created', 'already used by TOPIC_PRODUCT_CREATED'],
    ['TOPIC_REROUTE', 'analytics.dead-letter', 'already used by TOPIC_DEAD_LETTER'],
    ['INPUT_PARTITIONER', 'fnv1a', 'not one of murmur2, crc32'],
    ['KAFKA_SSL', '1', 'not a boolean'],
    ['KAFKA_SASL_MECHANISM', 'gssapi', 'not one of plain, scram-sha-256, scram-sha-512'],
    ['KAFKA_CREATE_TOPICS', 'maybe', 'not a boolean'],
    ['KAFKA_MAX_BYTES_PER_PARTITION', '10', 'between 1024 and 1073741824'],
    ['KAFKA_MAX_WAIT_TIME_MS', '1.5', 'not an integer'],
    ['KAFKA_OUTPUT_COMPRESSION', 'brotli', 'not one of none, gzip, snappy, lz4, zstd'],
    ['KAFKA_MAX_DECOMPRESSED_BYTES', '100', 'between 1024 and 1073741824'],
    ['DEAD_LETTER_MAX_BYTES', '100', 'between 4096 and 1073741824'],
    ['EVENT_TIME_MAX_FUTURE_SKEW_MS', '-1', 'integer >= 0'],
    ['AWS_REGION', 'EU', 'not an AWS region name'],
    ['S3_ENDPOINT', 'ftp://x', 'not an http(s) URL'],
    ['S3_FORCE_PATH_STYLE', 'on', 'not a boolean'],
    ['METRICS_TABLE', 'x', 'valid DynamoDB table name'],
    ['ARCHIVE_BUCKET', 'UPPER', 'valid S3 bucket name'],
    ['ARCHIVE_PREFIX', '/metrics/', 'without leading or trailing slash'],
    ['LOW_STOCK_THRESHOLD', '0', 'integer >= 1'],
    ['HISTORY_TTL_DAYS', '0', 'between 1 and 3650'],
    ['MAX_EVENT_BYTES', '10', 'between 64 and 1073741824'],
    ['RETRIES', '101', 'between 0 and 100'],
    ['WORKER_THREADS', 'many', 'between 0 and 256'],
    ['HTTP_PORT', '-1', 'between 0 and 65535'],
    ['HTTP_HEADERS_TIMEOUT_MS', '50', 'between 100 and 600000'],
    ['HTTP_REQUEST_TIMEOUT_MS', '5000', 'must be >= HTTP_HEADERS_TIMEOUT_MS (10000)'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '-1', 'between 0 and 600000'],
    ['HTTP_MAX_CONNECTIONS', '0', 'between 1 and 100000'],
    ['KAFKA_ALLOW_INSECURE_SASL', 'yes', 'not a boolean'],
    ['LOG_LEVEL', 'verbose', 'not one of fatal, error, warn, info, debug, trace, silent'],
    ['SHUTDOWN_TIMEOUT_MS', '10', 'between 100 and 600000'],
    ['READINESS_STALL_MS', '500', 'between 1000 and 3600000'],
    ['DEMO_EVENTS', '0', 'between 1 and 100000000'],
    ['DEMO_RATE', 'fast', 'between 0 and 10000000'],
    ['DEMO_SEED', '-3', 'between 0 and 4294967295'],
    ['DEMO_PARTITIONS', '0', 'between 1 and 256'],
  ])('rejects %s=%j with a clear message', (variable, value, expected) => {
    const env: Record<string, string> = { ...production, [variable]: value };
    if (variable === 'KAFKA_SASL_MECHANISM')
      Object.assign(env, { KAFKA_SSL: 'true', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });

    const issues = issuesOf(env);

    expect(issues).toHaveLength(1);
    expect(issues[0]?.variable).toBe(variable);
    expect(issues[0]?.message).toContain(expected);
  });

  it('requires SASL credentials when a mechanism is set', () => {
    const issues = issuesOf({ ...production, KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'plain' });

    expect(issues).toEqual([
      { variable: 'KAFKA_SASL_USERNAME', message: 'required when KAFKA_SASL_MECHANISM is set' },
      { variable: 'KAFKA_SASL_PASSWORD', message: 'required when KAFKA_SASL_MECHANISM is set' },
    ]);
  });

  it('requires AWS_REGION and ARCHIVE_BUCKET in production only for roles that use them', () => {
    const brokersOnly = { KAFKA_BROKERS: 'b:9092' };

    expect(issuesOf(brokersOnly).map((issue) => issue.variable)).toEqual(['AWS_REGION', 'ARCHIVE_BUCKET']);
    expect(issuesOf(brokersOnly, { role: 'sink' }).map((issue) => issue.variable)).toEqual([
      'AWS_REGION',
      'ARCHIVE_BUCKET',
    ]);
    expect(issuesOf(brokersOnly, { purpose: 'metrics' }).map((issue) => issue.variable)).toEqual([
      'AWS_REGION',
    ]);
    expect(loadConfig(brokersOnly, { role: 'aggregate' }).aws.region).toBeUndefined();
  });

  it('accepts AWS_DEFAULT_REGION as the region', () => {
    expect(loadConfig({ ...production, AWS_REGION: '', AWS_DEFAULT_REGION: 'us-west-2' }).aws.region).toBe(
      'us-west-2',
    );
  });

  it('treats blank variables as unset', () => {
    expect(loadConfig({ KAFKA_BROKERS: '  ', HTTP_PORT: '' }).mode).toBe('demo');
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'])(
    'refuses SASL %s without TLS unless KAFKA_ALLOW_INSECURE_SASL=true',
    (mechanism) => {
      const sasl = {
        ...production,
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      };

      const issues = issuesOf(sasl);
      const allowed = loadConfig({ ...sasl, KAFKA_ALLOW_INSECURE_SASL: 'true' });
      const withTls = loadConfig({ ...sasl, KAFKA_SSL: 'true' });

      expect(issues).toEqual([
        { variable: 'KAFKA_SASL_MECHANISM', message: expect.stringContaining('SASL without TLS') },
      ]);
      expect(issues[0]?.message).toContain('KAFKA_ALLOW_INSECURE_SASL=true');
      expect(allowed.kafka.sasl).toEqual({ mechanism, username: 'u', password: 'p' });
      expect(allowed.kafka.ssl).toBe(false);
      expect(withTls.kafka.sasl?.mechanism).toBe(mechanism);
    },
  );

  it('refuses SASL without TLS even when KAFKA_ALLOW_INSECURE_SASL=false is explicit', () => {
    expect(
      issuesOf({
        ...production,
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_ALLOW_INSECURE_SASL: 'false',
      }).map((issue) => issue.variable),
    ).toEqual(['KAFKA_SASL_MECHANISM']);
  });

  it('hides the SASL password when redacted for logging', () => {
    const config = loadConfig({
      ...production,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'hunter2',
    });

    expect(JSON.stringify(redactConfig(config))).not.toContain('hunter2');
    expect(redactConfig(loadConfig(production))).toEqual(loadConfig(production));
  });
});
