import type { MetricEntity } from '@marketplace/analytics-aggregator';

const HOUR_MS = 3_600_000;
const DAY_SECONDS = 86_400;

/** Partition key of an entity's current and history rows: `SELLER#<id>` or `CATEGORY#<id>`. */
export function entityPk(entity: Exclude<MetricEntity, 'lowStock'>, id: string): string {
  return `${entity === 'seller' ? 'SELLER' : 'CATEGORY'}#${id}`;
}

/** Partition key of a seller's low-stock rows: `LOWSTOCK#<sellerId>`. */
export function lowStockPk(sellerId: string): string {
  return `LOWSTOCK#${sellerId}`;
}

/** Sort key of a group's current partial row: `CUR#G<group>`. */
export function currentSk(group: number): string {
  return `CUR#G${group}`;
}

/** Sort key of a group's hourly history row: `H#<yyyy-mm-ddThh>#G<group>`. */
export function historySk(hour: string, group: number): string {
  return `H#${hour}#G${group}`;
}

/** Prefix of the current rows' sort keys. */
export const CURRENT_SK_PREFIX = 'CUR#';

/** Prefix of the hourly history rows' sort keys. */
export const HISTORY_SK_PREFIX = 'H#';

/** Highest sort key of the history rows of `hour` (every group), for `BETWEEN`. */
export function historySkMaxOf(hour: string): string {
  return `H#${hour}~`;
}

/** UTC hour of an instant as `yyyy-mm-ddThh`. */
export function hourOf(time: Date | number): string {
  return new Date(time).toISOString().slice(0, 13);
}

/** Start of an hour `yyyy-mm-ddThh` in epoch milliseconds. */
export function hourStartMs(hour: string): number {
  return Date.parse(`${hour}:00:00.000Z`);
}

/** The hour after `hour`. */
export function nextHour(hour: string): string {
  return hourOf(hourStartMs(hour) + HOUR_MS);
}

/** `ttl` (epoch seconds) of a history row: end of its hour plus `ttlDays` days. */
export function historyTtl(hour: string, ttlDays: number): number {
  return Math.floor((hourStartMs(hour) + HOUR_MS) / 1000) + Math.round(ttlDays * DAY_SECONDS);
}
