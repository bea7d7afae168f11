import type { MetricChangeRecord } from '@marketplace/analytics-aggregator';
import { TTL_ATTRIBUTE } from './defaults.js';
import { InvalidRecordError } from './errors.js';
import {
  categoryValueAttributes,
  type Item,
  lowStockAttributes,
  provenanceAttributes,
  sellerValueAttributes,
} from './items.js';
import { currentSk, entityPk, historySk, historyTtl, hourOf, lowStockPk } from './keys.js';

/** What a planned write does to its row. */
export type RowKind = 'current' | 'history' | 'lowStock' | 'lowStockRemoval';

/**
 * One conditional single-item put: the row is replaced only if its stored position (`epoch`,
 * `sourceOffset`) is older.
 */
export interface PlannedWrite {
  readonly kind: RowKind;
  readonly pk: string;
  readonly sk: string;
  /** Pipeline epoch the row is written in (0 when the record carries none); compared before the offset. */
  readonly epoch: number;
  /** Source offset (decimal string) the row is written from; the condition compares it. */
  readonly offset: string;
  /** Full item, keys included. */
  readonly item: Item;
}

/** Largest offset DynamoDB numbers hold exactly (38 significant digits); Kafka offsets are int64. */
const OFFSET_PATTERN = /^(0|[1-9]\d{0,37})$/;

/**
 * Turns a batch of metric-change records into the row writes it implies, coalesced so each row is
 * written once: from the record with the highest source position (epoch first, then offset; the
 * last one in the batch for equal positions).
 *
 * - seller/category: the current row `CUR#G<g>` and the hourly row `H#<hour>#G<g>` of the record's
 *   event time, whose `ttl` is the end of that hour plus `historyTtlDays` days;
 * - low stock: the row `LOWSTOCK#<sellerId>` / `<productId>`; a removal becomes a *tombstone*
 *   (`removed: true`, same offset rule, `ttl` as a history row) rather than a delete, so an older
 *   put replayed after the removal finds a newer offset and cannot bring the entry back.
 *
 * @throws InvalidRecordError (`INVALID_RECORD`) when a record has no usable position, group, time or id.
 */
export function planWrites(batch: readonly MetricChangeRecord[], historyTtlDays: number): PlannedWrite[] {
  const rows = new Map<string, PlannedWrite>();
  const keep = (write: PlannedWrite): void => {
    const key = `${write.pk}\u0000${write.sk}`;
    const existing = rows.get(key);
    if (existing === undefined || !isNewer(existing, write)) rows.set(key, write);
  };

  for (const record of batch) {
    const eventMs = validate(record);
    const offset = record.source.offset;
    const epoch = record.source.epoch ?? 0;
    const provenance = provenanceAttributes(record);
    if (record.entity === 'lowStock') {
      const pk = lowStockPk(record.sellerId);
      const sk = record.id;
      if (record.values === null) {
        const ttl = historyTtl(hourOf(eventMs), historyTtlDays);
        keep({
          kind: 'lowStockRemoval',
          pk,
          sk,
          epoch,
          offset,
          item: {
            pk: { S: pk },
            sk: { S: sk },
            ...provenance,
            productId: { S: record.id },
            sellerId: { S: record.sellerId },
            removed: { BOOL: true },
            [TTL_ATTRIBUTE]: { N: String(ttl) },
          },
        });
      } else {
        keep({
          kind: 'lowStock',
          pk,
          sk,
          epoch,
          offset,
          item: { pk: { S: pk }, sk: { S: sk }, ...provenance, ...lowStockAttributes(record.values) },
        });
      }
      continue;
    }
    const pk = entityPk(record.entity, record.id);
    const values =
      record.entity === 'seller'
        ? sellerValueAttributes(record.values)
        : categoryValueAttributes(record.values);
    const current = currentSk(record.group);
    keep({
      kind: 'current',
      pk,
      sk: current,
      epoch,
      offset,
      item: { pk: { S: pk }, sk: { S: current }, ...provenance, ...values },
    });
    const hour = hourOf(eventMs);
    const history = historySk(hour, record.group);
    keep({
      kind: 'history',
      pk,
      sk: history,
      epoch,
      offset,
      item: {
        pk: { S: pk },
        sk: { S: history },
        ...provenance,
        ...values,
        hour: { S: hour },
        [TTL_ATTRIBUTE]: { N: String(historyTtl(hour, historyTtlDays)) },
      },
    });
  }
  return [...rows.values()];
}

/** Whether `a` comes from a later source position than `b`: epoch first, then offset. */
function isNewer(a: PlannedWrite, b: PlannedWrite): boolean {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch;
  return BigInt(a.offset) > BigInt(b.offset);
}

/** Checks what the row keys and the condition need; returns the event time in epoch ms. */
function validate(record: MetricChangeRecord): number {
  const source = record.source as MetricChangeRecord['source'] | undefined;
  const position = source ? `${source.topic}/${source.partition}/${source.offset}` : '(no source)';
  const fail = (message: string): never => {
    throw new InvalidRecordError(position, message);
  };
  if (!source || typeof source.topic !== 'string' || source.topic === '')
    fail('source.topic must be a non-empty string');
  if (!Number.isSafeInteger(source?.partition) || (source?.partition ?? -1) < 0) {
    fail('source.partition must be an integer >= 0');
  }
  if (typeof source?.offset !== 'string' || !OFFSET_PATTERN.test(source.offset)) {
    fail('source.offset must be a decimal string');
  }
  const epoch = source?.epoch;
  if (epoch !== undefined && (!Number.isSafeInteger(epoch) || epoch < 0)) {
    fail('source.epoch must be an integer >= 0');
  }
  if (!Number.isSafeInteger(record.group) || record.group < 0) fail('group must be an integer >= 0');
  if (typeof record.id !== 'string' || record.id === '') fail('id must be a non-empty string');
  const eventMs = typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : Number.NaN;
  if (Number.isNaN(eventMs)) fail('eventTime must be an ISO-8601 time');
  if (record.entity === 'lowStock') {
    if (typeof record.sellerId !== 'string' || record.sellerId === '')
      fail('sellerId must be a non-empty string');
  } else if (record.entity !== 'seller' && record.entity !== 'category') {
    fail(`unknown entity "${String((record as { entity: unknown }).entity)}"`);
  }
  if (record.values === undefined || (record.values === null && record.entity !== 'lowStock')) {
    fail('values are missing');
  }
  const problem =
    record.values === null ? undefined : invalidValue(record.values as unknown as Record<string, unknown>);
  if (problem !== undefined) fail(problem);
  return eventMs;
}

const COUNT_FIELDS = new Set([
  'totalProducts',
  'activeProducts',
  'deletedProducts',
  'lowStockCount',
  'productCount',
  'quantity',
]);
const MONEY_MAPS = new Set(['totalValue', 'priceSum']);
const COUNT_MAPS = new Set(['pricedCount']);
const STRING_FIELDS = new Set(['productId', 'sellerId', 'category']);
const CURRENCY = /^[A-Z]{3}$/;

/** The first value that cannot be stored as the number it stands for, described; else undefined. */
function invalidValue(values: Record<string, unknown>): string | undefined {
  for (const [field, value] of Object.entries(values)) {
    if (COUNT_FIELDS.has(field) && !isCount(value)) return `values.${field} must be an integer >= 0`;
    if (STRING_FIELDS.has(field) && typeof value !== 'string') return `values.${field} must be a string`;
    if (MONEY_MAPS.has(field) || COUNT_MAPS.has(field)) {
      if (value === null || typeof value !== 'object') return `values.${field} must be a map by currency`;
      for (const [currency, amount] of Object.entries(value)) {
        const ok = MONEY_MAPS.has(field) ? typeof amount === 'bigint' && amount >= 0n : isCount(amount);
        if (!CURRENCY.test(currency) || !ok) {
          return `values.${field}.${currency} must be ${MONEY_MAPS.has(field) ? 'a bigint' : 'an integer'} >= 0 under an ISO 4217 code`;
        }
      }
    }
  }
  return undefined;
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
