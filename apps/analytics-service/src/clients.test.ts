import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  createDynamoClient,
  createKafka,
  createS3Client,
  kafkaClientConfig,
  kafkaLogCreator,
} from './clients.js';
import { loadConfig } from './config.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug', base: undefined },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

const production = loadConfig({
  KAFKA_BROKERS: 'b:9092',
  AWS_REGION: 'eu-west-1',
  ARCHIVE_BUCKET: 'bucket-name',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  S3_FORCE_PATH_STYLE: 'true',
});

describe('kafkaLogCreator', () => {
  it('forwards kafkajs entries to pino at the matching level with their fields', () => {
    const { logger, lines } = capture();
    const log = kafkaLogCreator(logger)(logLevel.INFO);

    log({
      namespace: 'Consumer',
      level: logLevel.WARN,
      label: 'WARN',
      log: { timestamp: 't', message: 'rebalancing', groupId: 'g' },
    });

    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        component: 'kafkajs',
        namespace: 'Consumer',
        groupId: 'g',
        msg: 'rebalancing',
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('timestamp');
  });

  it('demotes error responses of the Connection namespace, which kafkajs retries itself, to debug', () => {
    const { logger, lines } = capture();
    const log = kafkaLogCreator(logger)(logLevel.INFO);

    log({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: 't',
        message: 'Response InitProducerId(key: 22, version: 1)',
        error: 'coordinator loading',
      },
    });

    expect(lines[0]).toMatchObject({ level: 20, msg: 'Response InitProducerId(key: 22, version: 1)' });
  });

  it('logs errors that kafkajs is about to retry (they carry retryCount) at info', () => {
    const { logger, lines } = capture();
    const log = kafkaLogCreator(logger)(logLevel.INFO);

    log({
      namespace: 'Producer',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: 't',
        message: 'Failed to send messages: concurrent transactions',
        retryCount: 0,
        retryTime: 300,
      },
    });
    log({
      namespace: 'Producer',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: 't', message: 'gave up' },
    });

    expect(lines.map((line) => line['level'])).toEqual([30, 50]);
  });
});

describe('clients', () => {
  it('builds the Kafka client with TLS and SASL from the configuration', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'b:9092',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      AWS_REGION: 'eu-west-1',
      ARCHIVE_BUCKET: 'bucket-name',
    });

    const kafkaConfig = kafkaClientConfig(config, config.kafka.brokers, capture().logger);

    expect(kafkaConfig).toMatchObject({
      brokers: ['b:9092'],
      ssl: true,
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
    });
    expect(createKafka(config, config.kafka.brokers, capture().logger)).toBeInstanceOf(Kafka);
  });

  it('turns the AWS SDK retries off (one retry layer) and honours endpoints and path style', async () => {
    const dynamo = createDynamoClient(production, { accessKeyId: 'a', secretAccessKey: 's' });
    const s3 = createS3Client(production);

    expect(await dynamo.config.maxAttempts()).toBe(1);
    expect(await s3.config.maxAttempts()).toBe(1);
    expect(await dynamo.config.region()).toBe('eu-west-1');
    expect((await dynamo.config.endpoint?.())?.hostname).toBe('127.0.0.1');
    expect(s3.config.forcePathStyle).toBe(true);
    dynamo.destroy();
    s3.destroy();
  });

  it.each([
    ['silent', logLevel.NOTHING],
    ['fatal', logLevel.ERROR],
    ['error', logLevel.ERROR],
    ['warn', logLevel.WARN],
    ['info', logLevel.WARN],
    ['debug', logLevel.INFO],
    ['trace', logLevel.INFO],
  ])('logs kafkajs at the level matching LOG_LEVEL=%s', (level, expected) => {
    const config = loadConfig({
      KAFKA_BROKERS: 'b:9092',
      AWS_REGION: 'eu-west-1',
      ARCHIVE_BUCKET: 'bucket-name',
      LOG_LEVEL: level,
    });

    expect(kafkaClientConfig(config, config.kafka.brokers, capture().logger).logLevel).toBe(expected);
  });

  it('connects to Kafka in plain text without SASL when none is configured', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'b:9092',
      AWS_REGION: 'eu-west-1',
      ARCHIVE_BUCKET: 'bucket-name',
    });

    const kafkaConfig = kafkaClientConfig(config, ['b:9092', 'c:9092'], capture().logger);

    expect(kafkaConfig.brokers).toEqual(['b:9092', 'c:9092']);
    expect(kafkaConfig.ssl).toBe(false);
    expect(kafkaConfig).not.toHaveProperty('sasl');
  });

  it('leaves the AWS endpoints to the SDK when none is configured, and takes given credentials for S3', async () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'b:9092',
      AWS_REGION: 'eu-west-1',
      ARCHIVE_BUCKET: 'bucket-name',
    });
    const dynamo = createDynamoClient(config);
    const s3 = createS3Client(config, { accessKeyId: 'a', secretAccessKey: 's' });

    expect(dynamo.config.endpoint).toBeUndefined();
    expect(s3.config.endpoint).toBeUndefined();
    expect(await s3.config.credentials()).toMatchObject({ accessKeyId: 'a', secretAccessKey: 's' });
    dynamo.destroy();
    s3.destroy();
  });
});

describe('kafkaLogCreator at a level kafkajs does not name', () => {
  it('logs the entry at info', () => {
    const { logger, lines } = capture();

    kafkaLogCreator(logger)(logLevel.INFO)({
      namespace: 'Consumer',
      level: logLevel.NOTHING,
      label: 'NOTHING',
      log: { timestamp: 't', message: 'odd' },
    });

    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'odd' })]);
  });
});
