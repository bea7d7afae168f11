import type { MetricsSnapshot } from '@marketplace/analytics-aggregator';

/** A reference's final metrics: JSON rows by seller id and by category, as read from its output topics. */
export interface PeerMetrics {
  sellers: Map<string, Record<string, unknown>>;
  categories: Map<string, Record<string, unknown>>;
}

/**
 * Compares stage 1's final metrics with a reference's, field by field as exact integers (numbers
 * or decimal strings), money per currency (a map of currency to amount on both sides). A seller or category missing on one side counts as all zeros, so a row
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
    for (const f of ['totalProducts', 'activeProducts', 'deletedProducts', 'lowStockCount'] as const)
      if (BigInt(s[f]) !== num(t?.[f]))
        diffs.push(`seller ${id} ${f}: ours ${s[f]} ${peer} ${String(t?.[f])}`);
    if (!sameMoney(s.totalValue, moneyOf(t?.['totalValue'])))
      diffs.push(`seller ${id} totalValue: ours ${show(s.totalValue)} ${peer} ${show(t?.['totalValue'])}`);
  }
  for (const [id, c] of ours.categories) {
    const t = theirs.categories.get(id);
    if (BigInt(c.productCount) !== num(t?.['productCount']))
      diffs.push(
        `category ${id} productCount: ours ${c.productCount} ${peer} ${String(t?.['productCount'])}`,
      );
    for (const f of ['pricedCount', 'totalValue', 'priceSum'] as const) {
      if (!sameMoney(c[f], moneyOf(t?.[f])))
        diffs.push(`category ${id} ${f}: ours ${show(c[f])} ${peer} ${show(t?.[f])}`);
    }
  }
  for (const id of theirs.sellers.keys())
    if (!ours.sellers.has(id) && num(theirs.sellers.get(id)?.['totalProducts']) !== 0n)
      diffs.push(`seller ${id} only in ${peer}`);
  for (const id of theirs.categories.keys())
    if (!ours.categories.has(id) && num(theirs.categories.get(id)?.['productCount']) !== 0n)
      diffs.push(`category ${id} only in ${peer}`);
  return diffs;
}

/** A per-currency map as a reference writes it (JSON numbers or decimal strings), with bigint amounts. */
function moneyOf(value: unknown): Map<string, bigint> {
  const map = new Map<string, bigint>();
  if (value !== null && typeof value === 'object') {
    for (const [currency, amount] of Object.entries(value)) map.set(currency, BigInt(String(amount)));
  }
  return map;
}

/** `a` and `b` hold the same currencies with the same amounts. */
function sameMoney(a: Readonly<Record<string, bigint | number>>, b: Map<string, bigint>): boolean {
  const ours = Object.entries(a);
  return ours.length === b.size && ours.every(([currency, amount]) => b.get(currency) === BigInt(amount));
}

const show = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
