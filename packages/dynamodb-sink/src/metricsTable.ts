import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type Logger, mergeOptions } from '@marketplace/options';
import { DEFAULT_ENSURE_TABLE_OPTIONS, TTL_ATTRIBUTE } from './defaults.js';
import { DynamoRequestError } from './errors.js';
import { check, checkTableName } from './validateOptions.js';

/**
 * The metrics table (docs/architecture.md#dynamodb-layout): string keys `pk` (HASH) and `sk`
 * (RANGE), on-demand billing, TTL on attribute `ttl`. The same definition ships as
 * `infra/metrics-table.cloudformation.yaml`.
 */
export function metricsTableDefinition(
  tableName: string = DEFAULT_ENSURE_TABLE_OPTIONS.tableName,
): CreateTableCommandInput {
  return {
    TableName: checkTableName(tableName),
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** Options of {@link ensureMetricsTable}. */
export interface EnsureMetricsTableOptions {
  /** Table name. @default 'analytics-metrics' */
  tableName?: string;
  /** How long to wait for a new table to become ACTIVE. @default 60000 */
  waitTimeoutMs?: number;
  /** Pause between DescribeTable calls while waiting. @default 250 */
  pollIntervalMs?: number;
  /** Logger (one warn line when the endpoint has no TTL API). @default silent */
  logger?: Logger;
}

/** What {@link ensureMetricsTable} found or did. */
export interface EnsureMetricsTableResult {
  /** True when this call created the table. */
  created: boolean;
  /** `enabled` when TTL is on for `ttl`; `unsupported` when the endpoint has no TTL API (dynalite). */
  ttl: 'enabled' | 'unsupported';
}

/**
 * Creates the metrics table if it does not exist, waits until it is ACTIVE and enables TTL on the
 * `ttl` attribute. Idempotent and safe to race (a concurrent create is waited for). For the demo,
 * the tests and local set-ups: in production the table comes from the infrastructure template and
 * the service needs no table-admin rights.
 *
 * Where the endpoint has no TTL API (dynalite answers `UnknownOperationException`), logs one warning
 * and resolves with `ttl: 'unsupported'`; the reader ignores expired rows either way.
 *
 * @throws DynamoRequestError (`TABLE_SETUP_FAILED`) when a call fails (e.g. access denied) or the
 * table does not become ACTIVE in time.
 * @example
 * ```ts
 * const { created, ttl } = await ensureMetricsTable(new DynamoDBClient({}), { tableName: 'analytics-metrics' });
 * ```
 */
export async function ensureMetricsTable(
  client: DynamoDBClient,
  options: EnsureMetricsTableOptions = {},
): Promise<EnsureMetricsTableResult> {
  const merged = mergeOptions(DEFAULT_ENSURE_TABLE_OPTIONS, options);
  const tableName = checkTableName(merged.tableName);
  const waitTimeoutMs = check.integer(merged.waitTimeoutMs, 'waitTimeoutMs', 1, 3_600_000);
  const pollIntervalMs = check.integer(merged.pollIntervalMs, 'pollIntervalMs', 1, 60_000);
  const logger = check.logger(options.logger);
  const fail = (operation: string, cause: unknown): DynamoRequestError =>
    new DynamoRequestError('TABLE_SETUP_FAILED', {
      tableName,
      operation,
      attempts: 1,
      retryable: false,
      cause,
    });

  let status = await describeStatus(client, tableName).catch((error: unknown) => {
    throw fail('DescribeTable', error);
  });
  let created = false;
  if (status === undefined) {
    try {
      await client.send(new CreateTableCommand(metricsTableDefinition(tableName)));
      created = true;
      logger.info('metrics table created', { table: tableName });
    } catch (error) {
      // Someone else created it in the meantime: wait for theirs.
      if (errorName(error) !== 'ResourceInUseException') throw fail('CreateTable', error);
    }
    status = 'CREATING';
  }
  const deadline = Date.now() + waitTimeoutMs;
  while (status !== 'ACTIVE') {
    if (Date.now() >= deadline) {
      throw fail('DescribeTable', new Error(`table is ${status} after ${waitTimeoutMs} ms, not ACTIVE`));
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    status = await describeStatus(client, tableName).catch((error: unknown) => {
      throw fail('DescribeTable', error);
    });
  }
  return { created, ttl: await enableTtl(client, tableName, logger, fail) };
}

async function describeStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus ?? 'CREATING';
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function enableTtl(
  client: DynamoDBClient,
  tableName: string,
  logger: Logger,
  fail: (operation: string, cause: unknown) => DynamoRequestError,
): Promise<'enabled' | 'unsupported'> {
  const unsupported = (operation: string, error: unknown): 'unsupported' => {
    logger.warn(
      'the DynamoDB endpoint has no TTL API: expired history rows will not be deleted (readers ignore them)',
      {
        table: tableName,
        operation,
        error: errorName(error),
      },
    );
    return 'unsupported';
  };
  try {
    const { TimeToLiveDescription: ttl } = await client.send(
      new DescribeTimeToLiveCommand({ TableName: tableName }),
    );
    if (
      ttl?.AttributeName === TTL_ATTRIBUTE &&
      (ttl.TimeToLiveStatus === 'ENABLED' || ttl.TimeToLiveStatus === 'ENABLING')
    ) {
      return 'enabled';
    }
  } catch (error) {
    if (isUnsupportedOperation(error)) return unsupported('DescribeTimeToLive', error);
    throw fail('DescribeTimeToLive', error);
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
    return 'enabled';
  } catch (error) {
    if (isUnsupportedOperation(error)) return unsupported('UpdateTimeToLive', error);
    // A concurrent ensureMetricsTable enabled it first.
    if (errorName(error) === 'ValidationException' && /already enabled/i.test(errorMessage(error)))
      return 'enabled';
    throw fail('UpdateTimeToLive', error);
  }
}

/** dynalite and other emulators answer unknown operations with these. */
function isUnsupportedOperation(error: unknown): boolean {
  const name = errorName(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return (
    name === 'UnknownOperationException' ||
    name === 'NotImplementedException' ||
    name === 'NotImplemented' ||
    status === 501
  );
}

function errorName(error: unknown): string {
  return String((error as { name?: unknown } | null)?.name ?? 'Error');
}

function errorMessage(error: unknown): string {
  return String((error as { message?: unknown } | null)?.message ?? '');
}
