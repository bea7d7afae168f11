import { LocalStackError } from './errors.js';
import type { LocalStack } from './localStack.js';

/** The endpoints of a complete stack in the flat shape tests receive (`inject('localStack')`). */
export interface LocalStackEndpoints {
  kafkaBrokers: string[];
  dynamodbEndpoint: string;
  s3Endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** Names of the environment variables that describe a running stack. */
export const ENV_NAMES = Object.freeze({
  kafkaBrokers: 'KAFKA_BROKERS',
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  s3Endpoint: 'S3_ENDPOINT',
  region: 'AWS_REGION',
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
} as const);

/**
 * Flattens a running stack into {@link LocalStackEndpoints}.
 * @throws {LocalStackError} `INVALID_OPTIONS` when a server was not started.
 */
export function toEndpoints(
  stack: Pick<LocalStack, 'dynamodb' | 's3' | 'region' | 'credentials'> & { kafka?: { brokers: string[] } },
) {
  if (!stack.kafka || !stack.dynamodb || !stack.s3) {
    throw new LocalStackError('INVALID_OPTIONS', 'the stack must run Kafka, DynamoDB and S3 to describe it', {
      field: 'kafka/dynamodb/s3',
    });
  }
  const endpoints: LocalStackEndpoints = {
    kafkaBrokers: [...stack.kafka.brokers],
    dynamodbEndpoint: stack.dynamodb.endpoint,
    s3Endpoint: stack.s3.endpoint,
    region: stack.region,
    credentials: { ...stack.credentials },
  };
  return endpoints;
}

/** The environment variables (see {@link ENV_NAMES}) of a stack. */
export function toEnvVars(endpoints: LocalStackEndpoints): Record<string, string> {
  return {
    [ENV_NAMES.kafkaBrokers]: endpoints.kafkaBrokers.join(','),
    [ENV_NAMES.dynamodbEndpoint]: endpoints.dynamodbEndpoint,
    [ENV_NAMES.s3Endpoint]: endpoints.s3Endpoint,
    [ENV_NAMES.region]: endpoints.region,
    [ENV_NAMES.accessKeyId]: endpoints.credentials.accessKeyId,
    [ENV_NAMES.secretAccessKey]: endpoints.credentials.secretAccessKey,
  };
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Renders `export NAME=value` lines (shell-quoted) for `eval "$(pnpm stack env)"`. */
export function formatEnvExports(vars: Record<string, string>): string {
  return `${Object.entries(vars)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
    .join('\n')}\n`;
}

/**
 * Parses `NAME=value` / `export NAME=value` lines (single/double quotes, `#` comments), the
 * format of `pnpm stack env` and of `.env` files.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) {
      throw new LocalStackError('STATE_FILE_INVALID', `cannot parse env line: ${JSON.stringify(raw)}`);
    }
    let value = (match[2] ?? '').trim();
    if (value.startsWith("'")) {
      value = value
        .split(`'\\''`)
        .map((part) => part.replace(/^'|'$/g, ''))
        .join("'");
    } else if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    }
    vars[match[1] as string] = value;
  }
  return vars;
}

/**
 * Reads a running stack from environment variables, or `undefined` when none of
 * KAFKA_BROKERS / DYNAMODB_ENDPOINT / S3_ENDPOINT is set. Region and credentials default to
 * the local stack's dummy values.
 * @throws {LocalStackError} `STATE_FILE_INVALID` when only some of the three are set.
 */
export function endpointsFromEnv(
  env: Record<string, string | undefined>,
  defaults: Pick<LocalStackEndpoints, 'region' | 'credentials'>,
): LocalStackEndpoints | undefined {
  const brokers = env[ENV_NAMES.kafkaBrokers];
  const dynamo = env[ENV_NAMES.dynamodbEndpoint];
  const s3 = env[ENV_NAMES.s3Endpoint];
  const set = [brokers, dynamo, s3].filter((v) => v !== undefined && v !== '');
  if (set.length === 0) return undefined;
  if (set.length < 3 || !brokers || !dynamo || !s3) {
    throw new LocalStackError(
      'STATE_FILE_INVALID',
      `to reuse a running stack set all of ${ENV_NAMES.kafkaBrokers}, ${ENV_NAMES.dynamodbEndpoint} and ${ENV_NAMES.s3Endpoint} (got ${JSON.stringify({ brokers, dynamo, s3 })})`,
    );
  }
  return {
    kafkaBrokers: brokers
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    dynamodbEndpoint: dynamo,
    s3Endpoint: s3,
    region: env[ENV_NAMES.region] || defaults.region,
    credentials: {
      accessKeyId: env[ENV_NAMES.accessKeyId] || defaults.credentials.accessKeyId,
      secretAccessKey: env[ENV_NAMES.secretAccessKey] || defaults.credentials.secretAccessKey,
    },
  };
}
