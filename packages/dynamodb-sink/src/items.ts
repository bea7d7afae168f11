import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type {
  CategoryMetricValues,
  LowStockEntry,
  MetricChangeRecord,
  SellerMetricValues,
} from '@marketplace/analytics-aggregator';
import { TTL_ATTRIBUTE } from './defaults.js';
import { InvalidItemError } from './errors.js';

/** A DynamoDB item in wire form. */
export type Item = Record<string, AttributeValue>;

/** The attributes every row carries about the record it was written from. */
export function provenanceAttributes(record: MetricChangeRecord): Item {
  return {
    entity: { S: record.entity },
    id: { S: record.id },
    group: { N: String(record.group) },
    eventTime: { S: record.eventTime },
    sourceTopic: { S: record.source.topic },
    sourcePartition: { N: String(record.source.partition) },
    sourceOffset: { N: record.source.offset },
  };
}

/** Seller values as attributes (money as a decimal `N` string). */
export function sellerValueAttributes(values: SellerMetricValues): Item {
  return {
    totalProducts: { N: String(values.totalProducts) },
    activeProducts: { N: String(values.activeProducts) },
    deletedProducts: { N: String(values.deletedProducts) },
    totalValueCents: { N: values.totalValueCents.toString() },
    lowStockCount: { N: String(values.lowStockCount) },
  };
}

/** Category values as attributes (money as decimal `N` strings; no average: it is derived when read). */
export function categoryValueAttributes(values: CategoryMetricValues): Item {
  return {
    productCount: { N: String(values.productCount) },
    totalValueCents: { N: values.totalValueCents.toString() },
    priceSumCents: { N: values.priceSumCents.toString() },
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

/** Reads an integer `N` attribute of an item as a bigint (money). */
export function readBigInt(item: Item, name: string): bigint {
  const raw = item[name]?.N;
  if (raw === undefined || !/^-?\d+$/.test(raw)) {
    throw invalid(item, `attribute "${name}" is missing or not an integer`);
  }
  return BigInt(raw);
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

/** Seller values of a stored row. */
export function toSellerValues(item: Item): SellerMetricValues {
  return {
    totalProducts: readInteger(item, 'totalProducts'),
    activeProducts: readInteger(item, 'activeProducts'),
    deletedProducts: readInteger(item, 'deletedProducts'),
    totalValueCents: readBigInt(item, 'totalValueCents'),
    lowStockCount: readInteger(item, 'lowStockCount'),
  };
}

/** Category values of a stored row. */
export function toCategoryValues(item: Item): CategoryMetricValues {
  return {
    productCount: readInteger(item, 'productCount'),
    totalValueCents: readBigInt(item, 'totalValueCents'),
    priceSumCents: readBigInt(item, 'priceSumCents'),
  };
}

/** Low-stock entry of a stored row. */
export function toLowStockEntry(item: Item): LowStockEntry {
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
