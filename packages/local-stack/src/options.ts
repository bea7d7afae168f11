import { createOptionChecks, type Logger } from '@marketplace/options';
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
import { LocalStackOptionsError } from './errors.js';

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

/** The option checks of `startLocalStack`: `(value, field, ...)`, throwing {@link LocalStackOptionsError}. */
const check = createOptionChecks((field, message) => new LocalStackOptionsError(field, message));

const invalid = (field: string, message: string): LocalStackOptionsError =>
  new LocalStackOptionsError(field, message);

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
    check.integer(kafka.port, 'kafka.port', 0, 65_535); // 0: any free port
    check.integer(kafka.brokers, 'kafka.brokers', 1, MAX_KAFKA_BROKERS);
    check.integer(kafka.heapMb, 'kafka.heapMb', 64);
    check.integer(kafka.startTimeoutMs, 'kafka.startTimeoutMs', 1);
    check.integer(kafka.internalTopicPartitions, 'kafka.internalTopicPartitions', 1);
    check.boolean(kafka.autoCreateTopics, 'kafka.autoCreateTopics');
    if (!Array.isArray(kafka.jvmOptions) || !kafka.jvmOptions.every((o) => typeof o === 'string')) {
      throw invalid('kafka.jvmOptions', 'expected an array of strings');
    }
    if (typeof kafka.brokerConfig !== 'object' || kafka.brokerConfig === null) {
      throw invalid('kafka.brokerConfig', 'expected an object of server.properties entries');
    }
  }
  const dynamodb = component<DynamoOptions>('dynamodb', options.dynamodb, DEFAULT_DYNAMO_OPTIONS);
  if (dynamodb) {
    check.integer(dynamodb.port, 'dynamodb.port', 0, 65_535); // 0: any free port
    check.integer(dynamodb.startTimeoutMs, 'dynamodb.startTimeoutMs', 1);
    check.integer(dynamodb.createTableMs, 'dynamodb.createTableMs', 0);
    check.integer(dynamodb.deleteTableMs, 'dynamodb.deleteTableMs', 0);
  }
  const s3 = component<S3Options>('s3', options.s3, DEFAULT_S3_OPTIONS);
  if (s3) {
    check.integer(s3.port, 's3.port', 0, 65_535); // 0: any free port
    check.integer(s3.heapMb, 's3.heapMb', 64);
    check.integer(s3.startTimeoutMs, 's3.startTimeoutMs', 1);
  }
  const region = options.region ?? DEFAULT_REGION;
  if (typeof region !== 'string' || region.length === 0)
    throw invalid('region', 'expected a non-empty string');
  const credentials = options.credentials ?? { ...DEFAULT_CREDENTIALS };
  if (!credentials.accessKeyId || !credentials.secretAccessKey) {
    throw invalid('credentials', 'expected non-empty accessKeyId and secretAccessKey');
  }
  if (options.onProgress !== undefined) check.func(options.onProgress, 'onProgress');
  return {
    kafka,
    dynamodb,
    s3,
    region,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    detached: options.detached ?? false,
    workDir: options.workDir,
    logger: check.logger(options.logger),
    onProgress: options.onProgress ?? (() => {}),
  };
}
