import type { MetricsSnapshot } from './computeMetrics.js';
import { DecodeError } from './errors.js';
import {
  asObject,
  type JsonObject,
  parseJsonObject,
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
 * partial rows of each seller and category are summed across groups (`averagePriceCents`
 * derived). Sellers and categories whose sums are all zero are still present (their rows
 * exist); low-stock rows with `values: null` are absent. A product lives in one seller's
 * low-stock row at a time (a move reports a `null` for the old row first); should two rows of one
 * product both hold an entry, the one folded last wins.
 * @example
 * ```ts
 * const metrics = foldMetricChanges(records); // e.g. everything read back from analytics.metric-changes
 * metrics.sellers.get('s-17')?.totalValueCents;
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
 * Serialises a metric change as UTF-8 JSON (the value of an `analytics.metric-changes` record):
 * `{ entity, group, eventTime, id, [sellerId], values }` with bigints as decimal strings.
 * @example
 * ```ts
 * producer.send({ topic, messages: changes.map((c) => ({ key: metricChangeKey(c), value: encodeMetricChange(c), partition: c.group })) });
 * ```
 */
export function encodeMetricChange(change: MetricChange): Buffer {
  let json: string;
  if (change.entity === 'seller') {
    const v = change.values;
    json = JSON.stringify({
      entity: change.entity,
      group: change.group,
      eventTime: change.eventTime,
      id: change.id,
      values: {
        totalProducts: v.totalProducts,
        activeProducts: v.activeProducts,
        deletedProducts: v.deletedProducts,
        totalValueCents: v.totalValueCents.toString(),
        lowStockCount: v.lowStockCount,
      },
    });
  } else if (change.entity === 'category') {
    const v = change.values;
    json = JSON.stringify({
      entity: change.entity,
      group: change.group,
      eventTime: change.eventTime,
      id: change.id,
      values: {
        productCount: v.productCount,
        totalValueCents: v.totalValueCents.toString(),
        priceSumCents: v.priceSumCents.toString(),
      },
    });
  } else {
    const v = change.values;
    json = JSON.stringify({
      entity: change.entity,
      group: change.group,
      eventTime: change.eventTime,
      id: change.id,
      sellerId: change.sellerId,
      values:
        v === null
          ? null
          : { productId: v.productId, sellerId: v.sellerId, category: v.category, quantity: v.quantity },
    });
  }
  return Buffer.from(json, 'utf8');
}

/**
 * Parses and validates what {@link encodeMetricChange} wrote. Unknown extra fields are ignored;
 * the result holds only the known ones.
 * @throws {DecodeError} code `INVALID_METRIC_CHANGE`, with the JSON pointer of the offending field
 *   in `path`, when the bytes are not UTF-8 JSON of a valid metric change.
 * @example
 * ```ts
 * const change = decodeMetricChange(message.value);
 * ```
 */
export function decodeMetricChange(bytes: Uint8Array | string): MetricChange {
  const root = parseJsonObject(bytes, CODE, 'a metric change');
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
        totalValueCents: readDecimal(v, 'totalValueCents', '/values', CODE),
        lowStockCount: readInteger(v, 'lowStockCount', '/values', CODE, 0),
      },
    };
    return change;
  }
  if (entity === 'category') {
    const v = asObject(root['values'], '/values', CODE, 'category values');
    const change: CategoryMetricChange = {
      entity,
      group,
      eventTime,
      id,
      values: {
        productCount: readInteger(v, 'productCount', '/values', CODE, 0),
        totalValueCents: readDecimal(v, 'totalValueCents', '/values', CODE),
        priceSumCents: readDecimal(v, 'priceSumCents', '/values', CODE),
      },
    };
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

function readLowStockEntry(value: unknown, productId: string, sellerId: string): LowStockEntry {
  const v: JsonObject = asObject(value, '/values', CODE, 'a low-stock entry or null');
  const entry: LowStockEntry = {
    productId: readString(v, 'productId', '/values', CODE, true),
    sellerId: readString(v, 'sellerId', '/values', CODE, true),
    category: readString(v, 'category', '/values', CODE, false),
    quantity: readInteger(v, 'quantity', '/values', CODE, 0),
  };
  if (entry.productId !== productId) throw new DecodeError(CODE, '/values/productId', 'does not match /id');
  if (entry.sellerId !== sellerId)
    throw new DecodeError(CODE, '/values/sellerId', 'does not match /sellerId');
  return entry;
}
