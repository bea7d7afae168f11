import { type DynamoDBClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import {
  type CategoryMetrics,
  type CategoryMetricValues,
  type LowStockEntry,
  type SellerMetricValues,
  sumCategoryPartials,
  sumSellerPartials,
} from '@marketplace/analytics-aggregator';
import { type Logger, mergeOptions } from '@marketplace/options';
import type { RetryOptions } from '@marketplace/retry';
import { callDynamoDb } from './callDynamoDb.js';
import { DEFAULT_METRICS_READER_OPTIONS } from './defaults.js';
import { DynamoDbSinkOptionsError, InvalidArgumentError } from './errors.js';
import { foldHistory, type HistoryEntry, type HistoryPoint } from './history.js';
import {
  type Item,
  isExpired,
  readInteger,
  readRowEpoch,
  readString,
  toCategoryValues,
  toLowStockEntry,
  toSellerValues,
} from './items.js';
import {
  CURRENT_SK_PREFIX,
  entityPk,
  HISTORY_SK_PREFIX,
  historySkMaxOf,
  hourOf,
  lowStockPk,
} from './keys.js';
import { check, checkClient, checkTableName } from './validateOptions.js';

/** Options of {@link MetricsReader}. */
export interface MetricsReaderOptions {
  /** The DynamoDB client (belongs to the caller; see the sink about `maxAttempts`). */
  client: DynamoDBClient;
  /** Table name. @default 'analytics-metrics' */
  tableName?: string;
  /** Clock used to decide whether a `ttl` has passed. @default () => new Date() */
  now?: () => Date;
  /** Strongly consistent queries (twice the read cost). @default false */
  consistentRead?: boolean;
  /** Items per Query page (`Limit`); pages are followed to the end either way. @default the server's 1 MB pages */
  pageSize?: number;
  /** Backoff for throttling/5xx/timeouts. @default DEFAULT_RETRY_OPTIONS */
  retry?: RetryOptions;
  /** Logger (retries are logged at warn). @default silent */
  logger?: Logger;
}

/** One hour of a seller's history. */
export type SellerHistoryEntry = HistoryEntry<SellerMetricValues>;
/** One hour of a category's history (with the derived average). */
export type CategoryHistoryEntry = HistoryEntry<CategoryMetrics>;

/**
 * Reads the metrics table for dashboards and other services: sums the per-group partial rows of an
 * entity per currency (one paginated Query), derives averages per currency, builds hourly history with values carried forward
 * and expired items ignored, and lists a seller's low-stock entries.
 *
 * @example
 * ```ts
 * const reader = new MetricsReader({ client: new DynamoDBClient({}) });
 * const seller = await reader.getSellerMetrics('s-17'); // undefined when never seen
 * seller?.totalValue; // money per ISO 4217 currency, in minor units: { EUR: 45n, USD: 123n }
 * (await reader.getCategoryMetrics('books'))?.averagePrice; // { JPY: 1500n, USD: 1999n }
 * const lastDay = await reader.getSellerHistory('s-17', new Date(Date.now() - 86_400_000), new Date());
 * ```
 */
export class MetricsReader {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #now: () => Date;
  readonly #consistentRead: boolean;
  readonly #pageSize: number | undefined;
  readonly #retry: RetryOptions | undefined;
  readonly #logger: Logger;

  /** @throws DynamoDbSinkOptionsError (`INVALID_OPTIONS`) naming the first invalid option. */
  constructor(options: MetricsReaderOptions) {
    const merged = mergeOptions(DEFAULT_METRICS_READER_OPTIONS, options);
    this.#client = checkClient(options?.client);
    this.#tableName = checkTableName(merged.tableName);
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new DynamoDbSinkOptionsError('now', 'must be a function returning a Date');
    }
    this.#now = options.now ?? (() => new Date());
    this.#consistentRead = merged.consistentRead === true;
    this.#pageSize =
      options.pageSize === undefined ? undefined : check.integer(options.pageSize, 'pageSize', 1, 10_000);
    this.#retry = options.retry;
    this.#logger = check.logger(options.logger);
  }

  /**
   * Current metrics of a seller: the partial rows of all groups summed (money per currency).
   * @returns `undefined` when the seller has no row.
   * @throws DynamoRequestError (`READ_FAILED`), InvalidItemError (`INVALID_ITEM`),
   *   UnsupportedRowFormatError (`UNSUPPORTED_ROW_FORMAT`) for a row of another format.
   */
  async getSellerMetrics(sellerId: string): Promise<SellerMetricValues | undefined> {
    const items = await this.#currentRows(entityPk('seller', checkId(sellerId, 'sellerId')));
    return items.length === 0 ? undefined : sumSellerPartials(items.map(toSellerValues));
  }

  /**
   * Current metrics of a category, partials summed per currency and `averagePrice` derived per currency.
   * @returns `undefined` when the category has no row.
   * @throws DynamoRequestError (`READ_FAILED`), InvalidItemError (`INVALID_ITEM`),
   *   UnsupportedRowFormatError (`UNSUPPORTED_ROW_FORMAT`) for a row of another format.
   */
  async getCategoryMetrics(category: string): Promise<CategoryMetrics | undefined> {
    const items = await this.#currentRows(entityPk('category', checkId(category, 'category')));
    return items.length === 0 ? undefined : sumCategoryPartials(items.map(toCategoryValues));
  }

  /**
   * Hourly history of a seller between `from` and `to` (hours containing them included): one
   * entry per hour from the first hour with data, each group's last values carried forward over
   * hours in which it did not change; rows whose `ttl` has passed are ignored. Hours after the
   * current hour are not reported. A group without retained history rows (unchanged for longer
   * than the retention) is carried from its current row.
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for invalid dates or `from` after `to`.
   */
  async getSellerHistory(sellerId: string, from: Date, to: Date): Promise<SellerHistoryEntry[]> {
    const id = checkId(sellerId, 'sellerId');
    return this.#history(entityPk('seller', id), from, to, toSellerValues, (parts) =>
      sumSellerPartials(parts),
    );
  }

  /**
   * Hourly history of a category (see {@link MetricsReader.getSellerHistory}), with the average
   * derived per hour.
   */
  async getCategoryHistory(category: string, from: Date, to: Date): Promise<CategoryHistoryEntry[]> {
    const id = checkId(category, 'category');
    return this.#history(
      entityPk('category', id),
      from,
      to,
      toCategoryValues,
      (parts: CategoryMetricValues[]) => sumCategoryPartials(parts),
    );
  }

  /**
   * Current low-stock entries of a seller, ordered by product id (tombstones of entries that left
   * low stock are hidden). Entries of an older pipeline epoch than the seller's current rows or
   * its newest low-stock row are hidden too: the new epoch rewrote every entry still low, so an
   * older one is an entry that stopped being low while no epoch-aware writer saw it leave.
   * @throws DynamoRequestError (`READ_FAILED`), InvalidItemError (`INVALID_ITEM`),
   *   UnsupportedRowFormatError (`UNSUPPORTED_ROW_FORMAT`) for a row of another format.
   */
  async listLowStock(sellerId: string): Promise<LowStockEntry[]> {
    const id = checkId(sellerId, 'sellerId');
    const [items, sellerRows] = await Promise.all([
      this.#query({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: lowStockPk(id) } },
      }),
      this.#currentRows(entityPk('seller', id)),
    ]);
    let epoch = sellerRows.length === 0 ? 0 : readRowEpoch(sellerRows[0]!);
    for (const item of items) epoch = Math.max(epoch, readRowEpoch(item));
    const now = this.#now().getTime();
    return items
      .filter(
        (item) => item['removed']?.BOOL !== true && !isExpired(item, now) && readRowEpoch(item) === epoch,
      )
      .map(toLowStockEntry);
  }

  async #currentRows(pk: string): Promise<Item[]> {
    return newestEpochOnly(
      await this.#query({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: pk }, ':prefix': { S: CURRENT_SK_PREFIX } },
      }),
    );
  }

  async #history<V, R>(
    pk: string,
    from: Date,
    to: Date,
    decode: (item: Item) => V,
    sum: (parts: V[]) => R,
  ): Promise<HistoryEntry<R>[]> {
    checkRange(from, to);
    const now = this.#now().getTime();
    const fromHour = hourOf(from);
    const nowHour = hourOf(now);
    let toHour = hourOf(to);
    if (toHour > nowHour) toHour = nowHour;
    if (toHour < fromHour) return [];
    // One Query from the current rows ('CUR#' < 'H#') through the history rows up to `toHour`,
    // not from `fromHour`: the values a group had before `from` carry into the range (TTL bounds
    // how far back that goes), and the current rows stand in for groups whose history has expired.
    const items = await this.#query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
      ExpressionAttributeValues: {
        ':pk': { S: pk },
        ':low': { S: CURRENT_SK_PREFIX },
        ':high': { S: historySkMaxOf(toHour) },
      },
    });
    const points: HistoryPoint<V>[] = [];
    const current = newestEpochOnly(items.filter((item) => item['sk']?.S?.startsWith(CURRENT_SK_PREFIX)));
    // History rows of an older epoch than the current rows belong to a grouping that no longer
    // exists (before a rescale or reset): the series of the new epoch starts from its own rows.
    const epoch = current.length === 0 ? 0 : readRowEpoch(current[0]!);
    for (const item of items) {
      const sk = item['sk']?.S ?? '';
      if (sk.startsWith(HISTORY_SK_PREFIX) && !isExpired(item, now) && readRowEpoch(item) === epoch) {
        points.push({
          hour: readString(item, 'hour'),
          group: readInteger(item, 'group'),
          values: decode(item),
        });
      }
    }
    // A group without retained history rows has not changed for longer than the retention (every
    // change writes a history row), so its current values held over the whole range since its
    // last change.
    const groupsWithHistory = new Set(points.map((point) => point.group));
    for (const item of current) {
      const group = readInteger(item, 'group');
      const changed = hourOf(Date.parse(readString(item, 'eventTime')));
      if (groupsWithHistory.has(group) || changed > toHour) continue;
      let hour = changed;
      if (hour < fromHour) hour = fromHour;
      points.push({ hour, group, values: decode(item) });
    }
    return foldHistory(points, fromHour, toHour, sum);
  }

  /** All items of a Query, every page. */
  async #query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await callDynamoDb(
        {
          tableName: this.#tableName,
          operation: 'Query',
          key: { pk: String(input.ExpressionAttributeValues?.[':pk']?.S) },
          errorCode: 'READ_FAILED',
          retry: this.#retry,
          logger: this.#logger,
        },
        () =>
          this.#client.send(
            new QueryCommand({
              ...input,
              TableName: this.#tableName,
              ConsistentRead: this.#consistentRead,
              ...(this.#pageSize === undefined ? {} : { Limit: this.#pageSize }),
              ...(startKey ? { ExclusiveStartKey: startKey } : {}),
            }),
          ),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }
}

/**
 * The rows of the newest pipeline epoch among `items`: rows of an older epoch are partials of a
 * grouping that a rescale or reset replaced (every row the new epoch holds is rewritten in it), so
 * summing them would count products twice or count products that moved away.
 */
function newestEpochOnly(items: Item[]): Item[] {
  let newest = 0;
  const epochs = items.map((item) => {
    const epoch = readRowEpoch(item);
    if (epoch > newest) newest = epoch;
    return epoch;
  });
  return items.filter((_, index) => epochs[index] === newest);
}

function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(field, 'must be a non-empty string');
  }
  return value;
}

function checkRange(from: Date, to: Date): void {
  if (!(from instanceof Date) || Number.isNaN(from.getTime()))
    throw new InvalidArgumentError('from', 'must be a valid Date');
  if (!(to instanceof Date) || Number.isNaN(to.getTime()))
    throw new InvalidArgumentError('to', 'must be a valid Date');
  if (from.getTime() > to.getTime()) throw new InvalidArgumentError('from', 'must not be after "to"');
}
