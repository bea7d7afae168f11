import {
  DEFAULT_CREDENTIALS,
  DEFAULT_DYNAMO_OPTIONS,
  DEFAULT_KAFKA_OPTIONS,
  DEFAULT_REGION,
  DEFAULT_S3_OPTIONS,
  type DynamoOptions,
  type KafkaOptions,
  MAX_KAFKA_BROKERS,
  type S3Options,
} from './defaults.js';
import { LocalStackError } from './errors.js';
import { type Logger, SILENT_LOGGER } from './logger.js';

/** Options of `startLocalStack`. Each server is on unless set to `false`. */
export interface StartLocalStackOptions {
  /** Start the Kafka broker (`true`, `false` or its options). @default true */
  kafka?: boolean | KafkaOptions;
  /** Start the DynamoDB-compatible server. @default true */
  dynamodb?: boolean | DynamoOptions;
  /** Start the S3-compatible server. @default true */
  s3?: boolean | S3Options;
  /** Region reported to clients. @default 'us-east-1' */
  region?: string;
  /** Dummy credentials the servers accept. @default DEFAULT_CREDENTIALS */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * Let the servers outlive this process (the CLI's `up`): they are not killed when this process
   * exits and are stopped later by PID. @default false
   */
  detached?: boolean;
  /** Folder under which each server gets a temporary folder. @default os.tmpdir() */
  workDir?: string;
  /** Logger for debug details. @default silent */
  logger?: Logger;
  /** Called with one human-readable line per start-up step. @default none */
  onProgress?: (message: string) => void;
}

/** Options after defaults were applied; `undefined` component = not started. */
export interface ResolvedOptions {
  kafka: Required<KafkaOptions> | undefined;
  dynamodb: Required<DynamoOptions> | undefined;
  s3: Required<S3Options> | undefined;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  detached: boolean;
  workDir: string | undefined;
  logger: Logger;
  onProgress: (message: string) => void;
}

function invalid(field: string, message: string): LocalStackError {
  return new LocalStackError('INVALID_OPTIONS', `Invalid local-stack option \`${field}\`: ${message}`, {
    field,
  });
}

function checkPort(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65_535) {
    throw invalid(field, `expected an integer port from 0 (any free port) to 65535, got ${String(value)}`);
  }
}

function checkPositiveInt(field: string, value: unknown, min = 1): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalid(field, `expected an integer >= ${min}, got ${String(value)}`);
  }
}

function component<T extends object>(
  field: string,
  value: boolean | T | undefined,
  defaults: Readonly<Required<T>>,
) {
  if (value === undefined || value === true) return { ...defaults } as Required<T>;
  if (value === false) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(field, `expected a boolean or an options object, got ${JSON.stringify(value)}`);
  }
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, v] of Object.entries(value)) {
    if (!(key in defaults)) throw invalid(`${field}.${key}`, 'unknown option');
    if (v !== undefined) merged[key] = v;
  }
  return merged as Required<T>;
}

/**
 * Applies the defaults and validates every option once.
 * @throws {LocalStackError} code `INVALID_OPTIONS`, `field` naming the offending option.
 */
export function resolveOptions(options: StartLocalStackOptions = {}): ResolvedOptions {
  const kafka = component<KafkaOptions>('kafka', options.kafka, DEFAULT_KAFKA_OPTIONS);
  if (kafka) {
    checkPort('kafka.port', kafka.port);
    if (
      typeof kafka.brokers !== 'number' ||
      !Number.isInteger(kafka.brokers) ||
      kafka.brokers < 1 ||
      kafka.brokers > MAX_KAFKA_BROKERS
    ) {
      throw invalid(
        'kafka.brokers',
        `expected an integer from 1 to ${MAX_KAFKA_BROKERS}, got ${String(kafka.brokers)}`,
      );
    }
    checkPositiveInt('kafka.heapMb', kafka.heapMb, 64);
    checkPositiveInt('kafka.startTimeoutMs', kafka.startTimeoutMs);
    checkPositiveInt('kafka.internalTopicPartitions', kafka.internalTopicPartitions);
    if (typeof kafka.autoCreateTopics !== 'boolean')
      throw invalid('kafka.autoCreateTopics', 'expected a boolean');
    if (!Array.isArray(kafka.jvmOptions) || !kafka.jvmOptions.every((o) => typeof o === 'string')) {
      throw invalid('kafka.jvmOptions', 'expected an array of strings');
    }
    if (typeof kafka.brokerConfig !== 'object' || kafka.brokerConfig === null) {
      throw invalid('kafka.brokerConfig', 'expected an object of server.properties entries');
    }
  }
  const dynamodb = component<DynamoOptions>('dynamodb', options.dynamodb, DEFAULT_DYNAMO_OPTIONS);
  if (dynamodb) {
    checkPort('dynamodb.port', dynamodb.port);
    checkPositiveInt('dynamodb.startTimeoutMs', dynamodb.startTimeoutMs);
    checkPositiveInt('dynamodb.createTableMs', dynamodb.createTableMs, 0);
    checkPositiveInt('dynamodb.deleteTableMs', dynamodb.deleteTableMs, 0);
  }
  const s3 = component<S3Options>('s3', options.s3, DEFAULT_S3_OPTIONS);
  if (s3) {
    checkPort('s3.port', s3.port);
    checkPositiveInt('s3.heapMb', s3.heapMb, 64);
    checkPositiveInt('s3.startTimeoutMs', s3.startTimeoutMs);
  }
  const region = options.region ?? DEFAULT_REGION;
  if (typeof region !== 'string' || region.length === 0)
    throw invalid('region', 'expected a non-empty string');
  const credentials = options.credentials ?? { ...DEFAULT_CREDENTIALS };
  if (!credentials.accessKeyId || !credentials.secretAccessKey) {
    throw invalid('credentials', 'expected non-empty accessKeyId and secretAccessKey');
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw invalid('onProgress', 'expected a function');
  }
  return {
    kafka,
    dynamodb,
    s3,
    region,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    detached: options.detached ?? false,
    workDir: options.workDir,
    logger: options.logger ?? SILENT_LOGGER,
    onProgress: options.onProgress ?? (() => {}),
  };
}
