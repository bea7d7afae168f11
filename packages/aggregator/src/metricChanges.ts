import type { MetricsSnapshot } from './computeMetrics.js';
import { DecodeError } from './errors.js';
import {
  asObject,
  type JsonObject,
  parseJsonObject,
  readCurrencyMap,
  readDecimal,
  readInteger,
  readString,
  readTimestamp,
} from './jsonFields.js';
import { sumCategoryPartials, sumSellerPartials } from './readModels.js';
import type {
  CategoryMetricChange,
  CategoryMetrics,
  CategoryMetricValues,
  LowStockEntry,
  LowStockMetricChange,
  MetricChange,
  MoneyByCurrency,
  SellerMetricChange,
  SellerMetricValues,
} from './types.js';

const CODE = 'INVALID_METRIC_CHANGE';

/**
 * The Kafka key (and row identity) of a metric change: `seller#<group>#<sellerId>`,
 * `category#<group>#<category>` or `lowStock#<sellerId>#<productId>`, ids URI-encoded so that `#`
 * inside an id cannot collide. A low-stock row is not per group: a product lives in one group.
 * @example
 * ```ts
 * metricChangeKey({ entity: 'seller', group: 3, id: 's-17', eventTime, values }); // 'seller#3#s-17'
 * ```
 */
export function metricChangeKey(change: MetricChange): string {
  if (change.entity === 'lowStock') {
    return `lowStock#${encodeURIComponent(change.sellerId)}#${encodeURIComponent(change.id)}`;
  }
  return `${change.entity}#${change.group}#${encodeURIComponent(change.id)}`;
}

/**
 * Folds metric changes into the metrics they describe, the way the sinks do: per row
 * ({@link metricChangeKey}) the last change wins (pass changes in production order), then the
 * partial rows of each seller and category are summed across groups per currency
 * (`averagePrice` derived per currency). Sellers and categories whose sums are all zero are still present (their rows
 * exist); low-stock rows with `values: null` are absent. A product lives in one seller's
 * low-stock row at a time (a move reports a `null` for the old row first); should two rows of one
 * product both hold an entry, the one folded last wins.
 * @example
 * ```ts
 * const metrics = foldMetricChanges(records); // e.g. everything read back from analytics.metric-changes
 * metrics.sellers.get('s-17')?.totalValue; // e.g. { USD: 123n }
 * ```
 */
export function foldMetricChanges(changes: Iterable<MetricChange>): MetricsSnapshot {
  const rows = new Map<string, MetricChange>();
  for (const change of changes) rows.set(metricChangeKey(change), change);

  const sellerParts = new Map<string, SellerMetricValues[]>();
  const categoryParts = new Map<string, CategoryMetricValues[]>();
  const lowStock = new Map<string, LowStockEntry>();
  for (const row of rows.values()) {
    if (row.entity === 'seller') {
      pushTo(sellerParts, row.id, row.values);
    } else if (row.entity === 'category') {
      pushTo(categoryParts, row.id, row.values);
    } else if (row.values !== null) {
      lowStock.set(row.id, row.values);
    }
  }
  const sellers = new Map<string, SellerMetricValues>();
  for (const [id, parts] of sellerParts) sellers.set(id, sumSellerPartials(parts));
  const categories = new Map<string, CategoryMetrics>();
  for (const [id, parts] of categoryParts) categories.set(id, sumCategoryPartials(parts));
  return { sellers, categories, lowStock };
}

function pushTo<T>(map: Map<string, T[]>, id: string, value: T): void {
  const list = map.get(id);
  if (list === undefined) map.set(id, [value]);
  else list.push(value);
}

/**
 * Format version of the metric-change records {@link encodeMetricChange} writes (the `format`
 * field). Format 2 carries money per currency; records without `format` (format 1, one sum over
 * every currency) and records of any other format are refused by {@link decodeMetricChange}.
 */
export const METRIC_CHANGE_FORMAT = 2;

/** Bigints as decimal strings, same keys (internal). */
function moneyJson(money: MoneyByCurrency): Record<string, string> {
  const json: Record<string, string> = {};
  for (const currency in money) json[currency] = (money[currency] as bigint).toString();
  return json;
}

/**
 * Serialises a metric change as UTF-8 JSON (the value of an `analytics.metric-changes` record):
 * `{ format: 2, entity, group, eventTime, id, [sellerId], values }`, money per currency as
 * `{ "<ISO 4217 code>": "<minor units as a decimal string>" }`.
 * @example
 * ```ts
 * producer.send({ topic, messages: changes.map((c) => ({ key: metricChangeKey(c), value: encodeMetricChange(c), partition: c.group })) });
 * ```
 */
export function encodeMetricChange(change: MetricChange): Buffer {
  let values: unknown;
  if (change.entity === 'seller') {
    const v = change.values;
    values = {
      totalProducts: v.totalProducts,
      activeProducts: v.activeProducts,
      deletedProducts: v.deletedProducts,
      lowStockCount: v.lowStockCount,
      totalValue: moneyJson(v.totalValue),
    };
  } else if (change.entity === 'category') {
    const v = change.values;
    values = {
      productCount: v.productCount,
      pricedCount: { ...v.pricedCount },
      totalValue: moneyJson(v.totalValue),
      priceSum: moneyJson(v.priceSum),
    };
  } else {
    const v = change.values;
    values =
      v === null
        ? null
        : { productId: v.productId, sellerId: v.sellerId, category: v.category, quantity: v.quantity };
  }
  const json = JSON.stringify({
    format: METRIC_CHANGE_FORMAT,
    entity: change.entity,
    group: change.group,
    eventTime: change.eventTime,
    id: change.id,
    ...(change.entity === 'lowStock' ? { sellerId: change.sellerId } : {}),
    values,
  });
  return Buffer.from(json, 'utf8');
}

/**
 * Parses and validates what {@link encodeMetricChange} wrote. Unknown extra fields are ignored;
 * the result holds only the known ones. A record of another format is refused, never misread.
 * @throws {DecodeError} code `INVALID_METRIC_CHANGE`, with the JSON pointer of the offending field
 *   in `path`, when the bytes are not UTF-8 JSON of a valid metric change; path `/format` when the
 *   record is not of format {@link METRIC_CHANGE_FORMAT}.
 * @example
 * ```ts
 * const change = decodeMetricChange(message.value);
 * ```
 */
export function decodeMetricChange(bytes: Uint8Array | string): MetricChange {
  const root = parseJsonObject(bytes, CODE, 'a metric change');
  checkFormat(root['format']);
  const entity = root['entity'];
  if (entity !== 'seller' && entity !== 'category' && entity !== 'lowStock') {
    throw new DecodeError(CODE, '/entity', 'expected "seller", "category" or "lowStock"');
  }
  const group = readInteger(root, 'group', '', CODE, 0);
  const eventTime = readTimestamp(root, 'eventTime', '', CODE);
  const id = readString(root, 'id', '', CODE, true);
  if (entity === 'seller') {
    const v = asObject(root['values'], '/values', CODE, 'seller values');
    const change: SellerMetricChange = {
      entity,
      group,
      eventTime,
      id,
      values: {
        totalProducts: readInteger(v, 'totalProducts', '/values', CODE, 0),
        activeProducts: readInteger(v, 'activeProducts', '/values', CODE, 0),
        deletedProducts: readInteger(v, 'deletedProducts', '/values', CODE, 0),
        lowStockCount: readInteger(v, 'lowStockCount', '/values', CODE, 0),
        totalValue: readCurrencyMap(v, 'totalValue', '/values', CODE, readMoney),
      },
    };
    return change;
  }
  if (entity === 'category') {
    const v = asObject(root['values'], '/values', CODE, 'category values');
    const values: CategoryMetricValues = {
      productCount: readInteger(v, 'productCount', '/values', CODE, 0),
      pricedCount: readCurrencyMap(v, 'pricedCount', '/values', CODE, readCount),
      totalValue: readCurrencyMap(v, 'totalValue', '/values', CODE, readMoney),
      priceSum: readCurrencyMap(v, 'priceSum', '/values', CODE, readMoney),
    };
    checkCategoryCurrencies(values);
    const change: CategoryMetricChange = { entity, group, eventTime, id, values };
    return change;
  }
  const sellerId = readString(root, 'sellerId', '', CODE, true);
  const change: LowStockMetricChange = {
    entity,
    group,
    eventTime,
    id,
    sellerId,
    values: root['values'] === null ? null : readLowStockEntry(root['values'], id, sellerId),
  };
  return change;
}

function checkFormat(format: unknown): void {
  if (format === METRIC_CHANGE_FORMAT) return;
  const found =
    format === undefined
      ? 'no format version (format 1: one money sum over every currency)'
      : `format ${JSON.stringify(format)}`;
  throw new DecodeError(
    CODE,
    '/format',
    `unsupported metric-change format: found ${found}, this reader knows format ${METRIC_CHANGE_FORMAT} only`,
  );
}

const readMoney = (map: JsonObject, currency: string, path: string): bigint =>
  readDecimal(map, currency, path, CODE);
const readCount = (map: JsonObject, currency: string, path: string): number =>
  readInteger(map, currency, path, CODE, 1);

/**
 * A category's three maps have the same currencies, and the counts per currency add up to the
 * product count: anything else is not a record this package wrote.
 */
function checkCategoryCurrencies(values: CategoryMetricValues): void {
  const currencies = Object.keys(values.pricedCount).join(',');
  for (const field of ['totalValue', 'priceSum'] as const) {
    if (Object.keys(values[field]).join(',') !== currencies) {
      throw new DecodeError(CODE, `/values/${field}`, 'expected the same currencies as /values/pricedCount');
    }
  }
  let priced = 0;
  for (const currency in values.pricedCount) priced += values.pricedCount[currency] as number;
  if (priced !== values.productCount) {
    throw new DecodeError(CODE, '/values/productCount', 'expected the sum of /values/pricedCount');
  }
}

function readLowStockEntry(value: unknown, productId: string, sellerId: string): LowStockEntry {
  const v: JsonObject = asObject(value, '/values', CODE, 'a low-stock entry or null');
  // The entry repeats the row's ids, already read as non-empty strings: equal to them or refused.
  if (v['productId'] !== productId) throw new DecodeError(CODE, '/values/productId', 'does not match /id');
  if (v['sellerId'] !== sellerId) throw new DecodeError(CODE, '/values/sellerId', 'does not match /sellerId');
  return {
    productId,
    sellerId,
    category: readString(v, 'category', '/values', CODE, false),
    quantity: readInteger(v, 'quantity', '/values', CODE, 0),
  };
}
