import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { MetricChangeRecord } from '@marketplace/analytics-aggregator';
import { type Logger, mergeOptions } from '@marketplace/options';
import { mapBounded, type RetryOptions } from '@marketplace/retry';
import { callDynamoDb, isConditionalCheckFailed, type RetryInfo } from './callDynamoDb.js';
import { DEFAULT_DYNAMODB_SINK_OPTIONS } from './defaults.js';
import { EPOCH_ATTRIBUTE } from './items.js';
import { type PlannedWrite, planWrites } from './planWrites.js';

import { check, checkClient, checkTableName } from './validateOptions.js';

/** Metrics hooks of {@link DynamoDbMetricsSink}; every hook is optional and must not throw. */
export interface DynamoDbSinkMetricsHooks {
  /** After each successful `write()`. */
  onBatchWritten?(info: WriteResult & { records: number; durationMs: number }): void;
  /** Before each retry of a request (throttling, 5xx, timeout). */
  onRetry?(info: RetryInfo): void;
}

/** Options of {@link DynamoDbMetricsSink}. */
export interface DynamoDbMetricsSinkOptions {
  /**
   * The DynamoDB client; it belongs to the caller. This sink retries transient errors itself
   * (through `@marketplace/retry`), so build the client with `maxAttempts: 1` to keep a single
   * retry layer (otherwise the SDK's 3 attempts multiply with ours).
   */
  client: DynamoDBClient;
  /** Table name. @default 'analytics-metrics' */
  tableName?: string;
  /** Days hourly history rows (and low-stock tombstones) live after the end of their hour. @default 30 */
  historyTtlDays?: number;
  /** Maximum requests in flight per `write()`. @default 16 */
  concurrency?: number;
  /** Backoff for throttling/5xx/timeouts; `isRetryable` defaults to `isRetryableError`. @default DEFAULT_RETRY_OPTIONS (10 retries, 100 ms .. 20 s, full jitter) */
  retry?: RetryOptions;
  /** Logger. @default silent */
  logger?: Logger;
  /** Metrics hooks. @default none */
  metrics?: DynamoDbSinkMetricsHooks;
}

/** What a `write()` did. */
export interface WriteResult {
  /** Rows put (current, history, low-stock entries and tombstones). */
  rowsWritten: number;
  /** Writes skipped because the stored row came from the same or a newer source position (replays, zombies). */
  conditionalSkips: number;
  /** Requests sent, retries included. */
  requests: number;
}

/**
 * Rows are ordered by (epoch, sourceOffset). A format-2 row has no `epoch` and counts as epoch 0,
 * so a write of a later epoch replaces it whatever its offset.
 */
const CONDITION_LATER_EPOCH =
  'attribute_not_exists(pk) OR attribute_not_exists(#epoch) OR #epoch < :epoch OR (#epoch = :epoch AND sourceOffset < :offset)';
const CONDITION_EPOCH_ZERO =
  'attribute_not_exists(pk) OR ((attribute_not_exists(#epoch) OR #epoch = :epoch) AND sourceOffset < :offset)';

/**
 * Writes metric-change records to the metrics table (docs/architecture.md#dynamodb-layout), ordered
 * and idempotent.
 *
 * Every row is written by a single-item conditional `PutItem` that succeeds only if the row is new
 * or was written from an older source position: an older pipeline epoch, or the same epoch and an
 * older source offset (`attribute_not_exists(pk) OR #epoch < :epoch OR (#epoch = :epoch AND
 * sourceOffset < :offset)`). So a recreated `analytics.metric-changes`, whose offsets restart at 0
 * under a new epoch, supersedes the rows instead of freezing them; a replayed batch, an older batch after a newer one, or a zombie instance never moves a row back,
 * and a failed condition counts as a skip, not an error. A low-stock entry leaving low stock becomes
 * a tombstone (`removed: true`) rather than a delete, for the same reason: a delete would let an
 * older replayed put recreate the row. `MetricsReader` hides tombstones.
 *
 * `BatchWriteItem` is not used: it cannot carry conditions (so there are no `UnprocessedItems`).
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { DynamoDbMetricsSink } from '@marketplace/dynamodb-sink';
 *
 * const sink = new DynamoDbMetricsSink({ client: new DynamoDBClient({ maxAttempts: 1 }) });
 * const { rowsWritten, conditionalSkips } = await sink.write(records);
 * ```
 */
export class DynamoDbMetricsSink {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #historyTtlDays: number;
  readonly #concurrency: number;
  readonly #retry: RetryOptions | undefined;
  readonly #logger: Logger;
  readonly #metrics: DynamoDbSinkMetricsHooks;

  /** @throws DynamoDbSinkOptionsError (`INVALID_OPTIONS`) naming the first invalid option. */
  constructor(options: DynamoDbMetricsSinkOptions) {
    const merged = mergeOptions(DEFAULT_DYNAMODB_SINK_OPTIONS, options);
    this.#client = checkClient(options?.client);
    this.#tableName = checkTableName(merged.tableName);
    this.#historyTtlDays = check.positive(merged.historyTtlDays, 'historyTtlDays');
    this.#concurrency = check.integer(merged.concurrency, 'concurrency', 1, 1000);
    this.#retry = options.retry;
    this.#logger = check.logger(options.logger);
    this.#metrics = options.metrics ?? {};
  }

  /** Name of the table written to. */
  get tableName(): string {
    return this.#tableName;
  }

  /**
   * Writes a batch: coalesces it to the last record per row, then puts every row conditionally with
   * at most `concurrency` requests in flight. Resolves when every row is written or skipped.
   *
   * @throws InvalidRecordError (`INVALID_RECORD`) before any request when a record is malformed.
   * @throws DynamoRequestError (`WRITE_FAILED`) at once for a permanent error (access denied, missing
   * table), or when a transient one outlasts the retries; rows already written stay written (they
   * are correct, and the redelivered batch skips them).
   */
  async write(batch: readonly MetricChangeRecord[]): Promise<WriteResult> {
    const started = performance.now();
    const writes = planWrites(batch, this.#historyTtlDays);
    const result: WriteResult = { rowsWritten: 0, conditionalSkips: 0, requests: 0 };
    await mapBounded(writes, this.#concurrency, async (write) => {
      if (await this.#put(write, result)) result.rowsWritten += 1;
      else result.conditionalSkips += 1;
    });
    const durationMs = performance.now() - started;
    this.#logger.debug('metric changes written to dynamodb', {
      table: this.#tableName,
      records: batch.length,
      ...result,
      durationMs,
    });
    this.#metrics.onBatchWritten?.({ ...result, records: batch.length, durationMs });
    return result;
  }

  /** One conditional put; true when written, false when the stored row is as new or newer. */
  async #put(write: PlannedWrite, result: WriteResult): Promise<boolean> {
    return callDynamoDb(
      {
        tableName: this.#tableName,
        operation: 'PutItem',
        key: { pk: write.pk, sk: write.sk },
        errorCode: 'WRITE_FAILED',
        retry: this.#retry,
        logger: this.#logger,
        onRetry: this.#metrics.onRetry?.bind(this.#metrics),
        onAttempt: () => {
          result.requests += 1;
        },
      },
      async () => {
        try {
          await this.#client.send(
            new PutItemCommand({
              TableName: this.#tableName,
              Item: write.item,
              ConditionExpression: write.epoch > 0 ? CONDITION_LATER_EPOCH : CONDITION_EPOCH_ZERO,
              ExpressionAttributeNames: { '#epoch': EPOCH_ATTRIBUTE },
              ExpressionAttributeValues: {
                ':offset': { N: write.offset },
                ':epoch': { N: String(write.epoch) },
              },
            }),
          );
          return true;
        } catch (error) {
          if (isConditionalCheckFailed(error)) return false;
          throw error;
        }
      },
    );
  }
}
