import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type {
  CategoryMetricValues,
  LowStockEntry,
  MetricChangeRecord,
  SellerMetricValues,
} from '@marketplace/analytics-aggregator';
import { TTL_ATTRIBUTE } from './defaults.js';
import { InvalidItemError, UnsupportedRowFormatError } from './errors.js';

/** A DynamoDB item in wire form. */
export type Item = Record<string, AttributeValue>;

/**
 * Format version of the rows this package writes (attribute `rowFormat`). Format 2 keeps money
 * per currency in map attributes; format 3 adds the pipeline epoch (attribute `epoch`) the row was
 * written in. Readers accept formats 2 (read as epoch 0) and 3; rows without `rowFormat` (format 1,
 * one money sum over every currency) and rows of any other format are refused, never misread.
 */
export const ROW_FORMAT = 3;

/** Row formats the readers accept ({@link ROW_FORMAT} and format 2, written before epochs). */
export const READABLE_ROW_FORMATS: readonly number[] = Object.freeze([2, 3]);

/** Name of the attribute holding the pipeline epoch a row was written in (row format 3). */
export const EPOCH_ATTRIBUTE = 'epoch';

/** Name of the attribute holding a row's format version. */
export const ROW_FORMAT_ATTRIBUTE = 'rowFormat';

const CURRENCY = /^[A-Z]{3}$/;

/** The attributes every row carries about the record it was written from, and the row format. */
export function provenanceAttributes(record: MetricChangeRecord): Item {
  return {
    [ROW_FORMAT_ATTRIBUTE]: { N: String(ROW_FORMAT) },
    entity: { S: record.entity },
    id: { S: record.id },
    group: { N: String(record.group) },
    eventTime: { S: record.eventTime },
    sourceTopic: { S: record.source.topic },
    sourcePartition: { N: String(record.source.partition) },
    sourceOffset: { N: record.source.offset },
    [EPOCH_ATTRIBUTE]: { N: String(record.source.epoch ?? 0) },
  };
}

/** A per-currency map as a DynamoDB map of numbers: `{ M: { USD: { N: '123' } } }`. */
function currencyMap(values: Record<string, bigint | number>): AttributeValue {
  const map: Record<string, AttributeValue> = {};
  for (const currency in values) map[currency] = { N: String(values[currency]) };
  return { M: map };
}

/**
 * Seller values as attributes: counts as numbers, `totalValue` as a map from currency code to
 * minor units (only the currencies the row holds).
 */
export function sellerValueAttributes(values: SellerMetricValues): Item {
  return {
    totalProducts: { N: String(values.totalProducts) },
    activeProducts: { N: String(values.activeProducts) },
    deletedProducts: { N: String(values.deletedProducts) },
    lowStockCount: { N: String(values.lowStockCount) },
    totalValue: currencyMap(values.totalValue),
  };
}

/**
 * Category values as attributes: `productCount`, and `pricedCount`, `totalValue`, `priceSum` as
 * maps keyed by currency code (no average: it is derived when read).
 */
export function categoryValueAttributes(values: CategoryMetricValues): Item {
  return {
    productCount: { N: String(values.productCount) },
    pricedCount: currencyMap(values.pricedCount),
    totalValue: currencyMap(values.totalValue),
    priceSum: currencyMap(values.priceSum),
  };
}

/** Low-stock entry as attributes. */
export function lowStockAttributes(entry: LowStockEntry): Item {
  return {
    productId: { S: entry.productId },
    sellerId: { S: entry.sellerId },
    category: { S: entry.category },
    quantity: { N: String(entry.quantity) },
  };
}

/** Reads a string attribute of an item. */
export function readString(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw invalid(item, `attribute "${name}" is missing or not a string`);
  return value;
}

/** Reads a safe-integer `N` attribute of an item. */
export function readInteger(item: Item, name: string): number {
  const raw = item[name]?.N;
  const value = raw === undefined ? Number.NaN : Number(raw);
  if (!Number.isSafeInteger(value)) throw invalid(item, `attribute "${name}" is missing or not an integer`);
  return value;
}

/** Reads a map attribute from currency code to integer `N` (money as bigints, counts as numbers). */
function readCurrencyMap<T>(
  item: Item,
  name: string,
  read: (raw: string) => T | undefined,
): Record<string, T> {
  const map = item[name]?.M;
  if (map === undefined) throw invalid(item, `attribute "${name}" is missing or not a map`);
  const result: Record<string, T> = {};
  for (const currency of Object.keys(map).sort()) {
    const raw = map[currency]?.N;
    const value = raw === undefined || !/^\d+$/.test(raw) ? undefined : read(raw);
    if (!CURRENCY.test(currency) || value === undefined) {
      throw invalid(
        item,
        `attribute "${name}.${currency}" is not a currency code with a non-negative integer`,
      );
    }
    result[currency] = value;
  }
  return result;
}

const asBigInt = (raw: string): bigint => BigInt(raw);
const asCount = (raw: string): number | undefined => {
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
};

/**
 * Checks the row's format version (attribute `rowFormat`).
 * @throws UnsupportedRowFormatError (`UNSUPPORTED_ROW_FORMAT`) when it is missing or not one of {@link READABLE_ROW_FORMATS}.
 */
export function checkRowFormat(item: Item): void {
  const raw = item[ROW_FORMAT_ATTRIBUTE]?.N;
  if (raw !== undefined && READABLE_ROW_FORMATS.some((format) => String(format) === raw)) return;
  throw new UnsupportedRowFormatError(item['pk']?.S ?? '?', item['sk']?.S ?? '?', raw, ROW_FORMAT);
}

/**
 * The pipeline epoch a row was written in: attribute `epoch` (format 3), 0 for a format-2 row.
 * @throws UnsupportedRowFormatError (`UNSUPPORTED_ROW_FORMAT`) for an unreadable format;
 *   InvalidItemError (`INVALID_ITEM`) when a format-3 row has no integer `epoch`.
 */
export function readRowEpoch(item: Item): number {
  checkRowFormat(item);
  if (item[ROW_FORMAT_ATTRIBUTE]?.N === '2') return 0;
  return readInteger(item, EPOCH_ATTRIBUTE);
}

/** `ttl` of an item in epoch seconds, or `undefined` when it has none. */
export function readTtl(item: Item): number | undefined {
  const raw = item[TTL_ATTRIBUTE]?.N;
  return raw === undefined ? undefined : Number(raw);
}

/** Whether an item has expired: its `ttl` is at or before `nowMs` (DynamoDB deletes lazily). */
export function isExpired(item: Item, nowMs: number): boolean {
  const ttl = readTtl(item);
  return ttl !== undefined && ttl * 1000 <= nowMs;
}

/** Seller values of a stored row (format checked first). */
export function toSellerValues(item: Item): SellerMetricValues {
  checkRowFormat(item);
  return {
    totalProducts: readInteger(item, 'totalProducts'),
    activeProducts: readInteger(item, 'activeProducts'),
    deletedProducts: readInteger(item, 'deletedProducts'),
    lowStockCount: readInteger(item, 'lowStockCount'),
    totalValue: readCurrencyMap(item, 'totalValue', asBigInt),
  };
}

/** Category values of a stored row (format checked first). */
export function toCategoryValues(item: Item): CategoryMetricValues {
  checkRowFormat(item);
  return {
    productCount: readInteger(item, 'productCount'),
    pricedCount: readCurrencyMap(item, 'pricedCount', asCount),
    totalValue: readCurrencyMap(item, 'totalValue', asBigInt),
    priceSum: readCurrencyMap(item, 'priceSum', asBigInt),
  };
}

/** Low-stock entry of a stored row (format checked first). */
export function toLowStockEntry(item: Item): LowStockEntry {
  checkRowFormat(item);
  return {
    productId: readString(item, 'productId'),
    sellerId: readString(item, 'sellerId'),
    category: readString(item, 'category'),
    quantity: readInteger(item, 'quantity'),
  };
}

function invalid(item: Item, message: string): InvalidItemError {
  return new InvalidItemError(item['pk']?.S ?? '?', item['sk']?.S ?? '?', message);
}
