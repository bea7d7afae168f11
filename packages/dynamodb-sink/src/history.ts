import { hourStartMs, nextHour } from './keys.js';

/** One hourly history row of one group. */
export interface HistoryPoint<V> {
  /** `yyyy-mm-ddThh` (UTC). */
  readonly hour: string;
  readonly group: number;
  readonly values: V;
}

/** One hour of an entity's history: values summed over its groups. */
export interface HistoryEntry<R> {
  /** Start of the hour, ISO-8601 UTC (`2026-11-25T17:00:00.000Z`). */
  hour: string;
  values: R;
}

/**
 * Builds an hourly series from history rows of several groups. Rows exist only for hours in which
 * a group changed, so each group's last known values are carried forward into later hours; an hour
 * is reported from the first hour in which any group is known, and summed over the groups known
 * by then. Rows before `fromHour` only seed the carried values. Hours run up to `toHour` inclusive.
 */
export function foldHistory<V, R>(
  points: readonly HistoryPoint<V>[],
  fromHour: string,
  toHour: string,
  sum: (parts: V[]) => R,
): HistoryEntry<R>[] {
  const sorted = [...points].sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : a.group - b.group));
  const first = sorted[0];
  if (first === undefined || first.hour > toHour) return [];
  const latest = new Map<number, V>();
  const series: HistoryEntry<R>[] = [];
  let index = 0;
  for (let hour = first.hour; hour <= toHour; hour = nextHour(hour)) {
    for (let point = sorted[index]; point !== undefined && point.hour === hour; point = sorted[++index]) {
      latest.set(point.group, point.values);
    }
    if (hour >= fromHour) {
      series.push({ hour: new Date(hourStartMs(hour)).toISOString(), values: sum([...latest.values()]) });
    }
  }
  return series;
}
