import type { MetricChange, MetricsSnapshot } from '@marketplace/analytics-aggregator';

/**
 * Every partial metric row of one group as metric changes with absolute values: each non-empty
 * seller and category partial, and each low-stock entry. Written when a group enters a new
 * pipeline epoch, so that every row of the group exists in that epoch (readers ignore rows of
 * older epochs) and a recreated `analytics.metric-changes` holds the whole current state again.
 * @param snapshot `PartialAggregates.snapshot()` of the group.
 * @param group The group (input partition index).
 * @param eventTime The group's event-time watermark to stamp on every change.
 */
export function snapshotChanges(snapshot: MetricsSnapshot, group: number, eventTime: string): MetricChange[] {
  const changes: MetricChange[] = [];
  for (const [id, values] of snapshot.sellers)
    changes.push({ entity: 'seller', group, eventTime, id, values });
  for (const [id, metrics] of snapshot.categories) {
    const { productCount, pricedCount, totalValue, priceSum } = metrics;
    changes.push({
      entity: 'category',
      group,
      eventTime,
      id,
      values: { productCount, pricedCount, totalValue, priceSum },
    });
  }
  for (const [id, entry] of snapshot.lowStock) {
    changes.push({ entity: 'lowStock', group, eventTime, id, sellerId: entry.sellerId, values: entry });
  }
  return changes;
}
