import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { kafkajsLevel } from '@marketplace/kafka-processor';
import { Kafka, type KafkaConfig, type LogEntry, type logCreator, logLevel, type SASLOptions } from 'kafkajs';
import type { Logger as PinoLogger } from 'pino';
import type { ServiceConfig } from './config.js';

/** Static AWS credentials (the local stack's); production uses the SDK's default provider chain. */
export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** kafkajs log level matching the service's: kafkajs INFO is chatty, so only at debug/trace. */
function kafkaLogLevel(level: ServiceConfig['logLevel']): logLevel {
  switch (level) {
    case 'silent':
      return logLevel.NOTHING;
    case 'fatal':
    case 'error':
      return logLevel.ERROR;
    case 'debug':
    case 'trace':
      return logLevel.INFO;
    default:
      return logLevel.WARN;
  }
}

/**
 * Sends kafkajs logs to pino (component `kafkajs`) at the levels of kafka-processor's
 * `kafkajsLevel`, the policy the stream threads use too: `Connection` entries go to debug, errors
 * kafkajs retries itself go to info; what still fails after its retries reaches the stages, which
 * log it.
 */
export function kafkaLogCreator(logger: PinoLogger): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      const pinoLevel = kafkajsLevel(namespace, level, extra);
      kafkaLogger[pinoLevel]({ namespace, ...extra }, message);
    };
}

/** The kafkajs client from the configuration (TLS, SASL), logging through pino. */
export function createKafka(config: ServiceConfig, brokers: readonly string[], logger: PinoLogger): Kafka {
  return new Kafka(kafkaClientConfig(config, brokers, logger));
}

/** The kafkajs client configuration {@link createKafka} uses: brokers, TLS, SASL and logging. */
export function kafkaClientConfig(
  config: ServiceConfig,
  brokers: readonly string[],
  logger: PinoLogger,
): KafkaConfig {
  const sasl: SASLOptions | undefined =
    config.kafka.sasl === null
      ? undefined
      : ({
          mechanism: config.kafka.sasl.mechanism,
          username: config.kafka.sasl.username,
          password: config.kafka.sasl.password,
        } as SASLOptions);
  return {
    clientId: config.kafka.clientId,
    brokers: [...brokers],
    ssl: config.kafka.ssl,
    ...(sasl === undefined ? {} : { sasl }),
    logLevel: kafkaLogLevel(config.logLevel),
    logCreator: kafkaLogCreator(logger),
  };
}

/**
 * The DynamoDB client. `maxAttempts: 1`: the sink retries transient faults itself through
 * `@marketplace/retry` (RETRIES), so the SDK's own retries would multiply attempts.
 */
export function createDynamoClient(config: ServiceConfig, credentials?: StaticCredentials): DynamoDBClient {
  return new DynamoDBClient({
    region: config.aws.region,
    maxAttempts: 1,
    ...(config.aws.dynamodbEndpoint === undefined ? {} : { endpoint: config.aws.dynamodbEndpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  });
}

/** The S3 client; `maxAttempts: 1` for the same reason as {@link createDynamoClient}. */
export function createS3Client(config: ServiceConfig, credentials?: StaticCredentials): S3Client {
  return new S3Client({
    region: config.aws.region,
    maxAttempts: 1,
    forcePathStyle: config.aws.s3ForcePathStyle,
    ...(config.aws.s3Endpoint === undefined ? {} : { endpoint: config.aws.s3Endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  });
}
