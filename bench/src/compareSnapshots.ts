import type { MetricsSnapshot } from '@marketplace/analytics-aggregator';

/** A reference's final metrics: JSON rows by seller id and by category, as read from its output topics. */
export interface PeerMetrics {
  sellers: Map<string, Record<string, unknown>>;
  categories: Map<string, Record<string, unknown>>;
}

/**
 * Compares stage 1's final metrics with a reference's, field by field as exact integers (numbers
 * or decimal strings). A seller or category missing on one side counts as all zeros, so a row
 * deleted by the reference (a tombstone) equals an emptied row of ours.
 *
 * @param peer - the reference's name in the differences
 * @returns one line per difference, empty when identical
 * @throws SyntaxError when a reference value is not an integer
 */
export function compareSnapshots(peer: string, ours: MetricsSnapshot, theirs: PeerMetrics): string[] {
  const diffs: string[] = [];
  const num = (v: unknown): bigint => BigInt(String(v ?? 0));
  for (const [id, s] of ours.sellers) {
    const t = theirs.sellers.get(id);
    const fields = [
      'totalProducts',
      'activeProducts',
      'deletedProducts',
      'totalValueCents',
      'lowStockCount',
    ] as const;
    for (const f of fields)
      if (BigInt(s[f]) !== num(t?.[f]))
        diffs.push(`seller ${id} ${f}: ours ${s[f]} ${peer} ${String(t?.[f])}`);
  }
  for (const [id, c] of ours.categories) {
    const t = theirs.categories.get(id);
    for (const f of ['productCount', 'totalValueCents', 'priceSumCents'] as const) {
      if (BigInt(c[f]) !== num(t?.[f]))
        diffs.push(`category ${id} ${f}: ours ${c[f]} ${peer} ${String(t?.[f])}`);
    }
  }
  for (const id of theirs.sellers.keys())
    if (!ours.sellers.has(id) && num(theirs.sellers.get(id)?.totalProducts) !== 0n)
      diffs.push(`seller ${id} only in ${peer}`);
  for (const id of theirs.categories.keys())
    if (!ours.categories.has(id) && num(theirs.categories.get(id)?.productCount) !== 0n)
      diffs.push(`category ${id} only in ${peer}`);
  return diffs;
}
