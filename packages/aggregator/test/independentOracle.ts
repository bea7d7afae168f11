import type { ProductEvent } from '@marketplace/product-events';

/**
 * The independent oracle: every metric straight from the definitions in docs/architecture.md, in
 * the simplest way there is (money per currency: one plain object of bigints per currency code), sharing no code with the aggregator (only its plain types, by
 * shape). Sort each product's events by version, take the last one, count.
 *
 * Why the last event alone decides: a deleted product counts only in its seller's
 * `totalProducts` and `deletedProducts` (the seller is carried by the delete event itself), and a
 * product that is not deleted is fully described by its last create or update. So no state is
 * folded here, and a bug in `applyEvent`'s folding cannot hide behind the oracle.
 *
 * Versions of one product are unique by the event contract (a redelivery repeats the same event);
 * two different events with the same version of one product make this throw, since no oracle can
 * say which of them should win.
 */

/** Seller metrics as the oracle computes them. */
export interface OracleSeller {
  totalProducts: number;
  activeProducts: number;
  deletedProducts: number;
  lowStockCount: number;
  /** Per currency: sum of price x quantity of the products not deleted priced in it. */
  totalValue: Record<string, bigint>;
}

/** Category metrics as the oracle computes them, per currency (average rounded half up to whole minor units). */
export interface OracleCategory {
  productCount: number;
  pricedCount: Record<string, number>;
  totalValue: Record<string, bigint>;
  priceSum: Record<string, bigint>;
  averagePrice: Record<string, bigint>;
}

/** One low-stock product. */
export interface OracleLowStock {
  productId: string;
  sellerId: string;
  category: string;
  quantity: number;
}

/** Every metric of a stream, keyed like the aggregator's `MetricsSnapshot`. */
export interface OracleMetrics {
  sellers: Map<string, OracleSeller>;
  categories: Map<string, OracleCategory>;
  lowStock: Map<string, OracleLowStock>;
}

/** The last event of every product by version (duplicates of one event collapse). */
export function lastEventPerProduct(events: Iterable<ProductEvent>): Map<string, ProductEvent> {
  const byProduct = new Map<string, ProductEvent[]>();
  for (const event of events) {
    const list = byProduct.get(event.productId) ?? [];
    list.push(event);
    byProduct.set(event.productId, list);
  }
  const last = new Map<string, ProductEvent>();
  for (const [productId, list] of byProduct) {
    const sorted = [...list].sort((a, b) => a.version - b.version);
    const top = sorted[sorted.length - 1] as ProductEvent;
    for (const other of sorted) {
      if (other.version === top.version && JSON.stringify(other) !== JSON.stringify(top)) {
        throw new Error(`oracle: product ${productId} has two different events with version ${top.version}`);
      }
    }
    last.set(productId, top);
  }
  return last;
}

/** `sum / count` rounded half up to a whole number, for `sum >= 0`, `count > 0` (written without the aggregator's formula). */
function roundedAverage(sum: bigint, count: number): bigint {
  const n = BigInt(count);
  const whole = sum / n;
  const remainder = sum - whole * n;
  return remainder * 2n >= n ? whole + 1n : whole;
}

/**
 * Metrics of `events` (any order, any duplication) by the definitions.
 * @param lowStockThreshold products not deleted with `quantity` below it are low on stock (default 10).
 */
export function oracleMetrics(events: Iterable<ProductEvent>, lowStockThreshold = 10): OracleMetrics {
  const sellers = new Map<string, OracleSeller>();
  const categories = new Map<string, OracleCategory>();
  const lowStock = new Map<string, OracleLowStock>();

  for (const event of lastEventPerProduct(events).values()) {
    const sellerId = event.data.sellerId;
    const seller = sellers.get(sellerId) ?? {
      totalProducts: 0,
      activeProducts: 0,
      deletedProducts: 0,
      lowStockCount: 0,
      totalValue: {},
    };
    sellers.set(sellerId, seller);
    seller.totalProducts += 1;
    if (event.type === 'product.deleted') {
      seller.deletedProducts += 1;
      continue;
    }
    const { category, priceCents, currency, quantity, status } = event.data;
    const value = BigInt(priceCents) * BigInt(quantity);
    if (status === 'active') seller.activeProducts += 1;
    seller.totalValue[currency] = (seller.totalValue[currency] ?? 0n) + value;
    if (quantity < lowStockThreshold) {
      seller.lowStockCount += 1;
      lowStock.set(event.productId, { productId: event.productId, sellerId, category, quantity });
    }
    const sums = categories.get(category) ?? {
      productCount: 0,
      pricedCount: {},
      totalValue: {},
      priceSum: {},
      averagePrice: {},
    };
    categories.set(category, sums);
    sums.productCount += 1;
    sums.pricedCount[currency] = (sums.pricedCount[currency] ?? 0) + 1;
    sums.totalValue[currency] = (sums.totalValue[currency] ?? 0n) + value;
    sums.priceSum[currency] = (sums.priceSum[currency] ?? 0n) + BigInt(priceCents);
  }
  for (const sums of categories.values()) {
    for (const currency of Object.keys(sums.pricedCount)) {
      sums.averagePrice[currency] = roundedAverage(
        sums.priceSum[currency] as bigint,
        sums.pricedCount[currency] as number,
      );
    }
  }
  return { sellers, categories, lowStock };
}

/**
 * How the event rule classifies each delivered event, in delivery order, derived from the rule
 * alone: newer than every earlier delivery of its product = applied, equal = duplicate,
 * lower = stale.
 */
export function expectedOutcomes(delivered: readonly ProductEvent[]): {
  applied: number;
  duplicate: number;
  stale: number;
} {
  const highest = new Map<string, number>();
  const counts = { applied: 0, duplicate: 0, stale: 0 };
  for (const event of delivered) {
    const seen = highest.get(event.productId);
    if (seen === undefined || event.version > seen) {
      counts.applied += 1;
      highest.set(event.productId, event.version);
    } else if (event.version === seen) counts.duplicate += 1;
    else counts.stale += 1;
  }
  return counts;
}
