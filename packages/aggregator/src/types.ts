/**
 * Shared types of the aggregator: product state, metric values and the metric-change record
 * that stage 1 produces to `analytics.metric-changes` and stage 2 (the sinks) consumes.
 *
 * Money is kept per ISO 4217 currency, in integer minor units of that currency (cents for USD,
 * yen for JPY, fils for KWD): amounts of different currencies are never added together. Per-product
 * `priceCents` and `quantity` are safe integers (the event schema bounds them); every money *sum*
 * is a `bigint`, so totals stay exact at any size. On the wire (JSON) bigints are decimal strings.
 */

/**
 * Money per currency: integer minor units by ISO 4217 code (three upper-case letters), e.g.
 * `{ JPY: 1500n, USD: 1999n }`. A currency is present when the entity holds at least one product
 * not deleted priced in it (its amount may then be `0n`); an absent currency holds nothing.
 * Keys are in ascending order.
 */
export type MoneyByCurrency = Record<string, bigint>;

/** Product counts per currency of their price (same key rule as {@link MoneyByCurrency}). */
export type CountByCurrency = Record<string, number>;

/** Product status as carried by created/updated events. */
export type ProductStatus = 'active' | 'inactive';

/**
 * The latest known state of one product, ordered by the event's per-product `version`
 * (docs/architecture.md#processing-rules). A deleted product keeps a tombstoned state
 * (`deleted: true`) so that it still counts in `totalProducts` and `deletedProducts`, and so that
 * stale events stay ignored.
 */
export interface ProductState {
  /** Product id (the Kafka key). */
  readonly productId: string;
  /** Highest applied `version`. */
  readonly version: number;
  /** Seller owning the product (from the latest event, deletes included). */
  readonly sellerId: string;
  /** Category; `''` when only a delete without category was ever seen. */
  readonly category: string;
  /** Price in minor units of `currency`; `0` when only a delete was ever seen. */
  readonly priceCents: number;
  /**
   * ISO 4217 code of `priceCents` (three upper-case letters). A tombstone keeps the currency of
   * the state it deleted; `''` when only a delete was ever seen.
   */
  readonly currency: string;
  /** Units in stock; `0` when only a delete was ever seen. */
  readonly quantity: number;
  /** `active` or `inactive`; `inactive` when only a delete was ever seen. */
  readonly status: ProductStatus;
  /** True after `product.deleted` (until a newer create/update brings it back). */
  readonly deleted: boolean;
  /** `occurredAt` (ISO-8601 UTC) of the event that produced this state. */
  readonly updatedAt: string;
}

/** Absolute metrics of a seller (or one group's partial of them). */
export interface SellerMetricValues {
  /** Products of the seller known to the system, deleted ones included. */
  totalProducts: number;
  /** Products not deleted with `status == "active"`. */
  activeProducts: number;
  /** Deleted (tombstoned) products. */
  deletedProducts: number;
  /** Products not deleted with `quantity < lowStockThreshold`. */
  lowStockCount: number;
  /** Per currency: sum of `priceCents * quantity` over products not deleted priced in it. */
  totalValue: MoneyByCurrency;
}

/** Stored (summable) metrics of a category, or one group's partial of them. */
export interface CategoryMetricValues {
  /** Products not deleted in the category (every currency). */
  productCount: number;
  /** Per currency: products not deleted priced in it (the count the average divides by). */
  pricedCount: CountByCurrency;
  /** Per currency: sum of `priceCents * quantity` over those products. */
  totalValue: MoneyByCurrency;
  /** Per currency: sum of `priceCents` over those products (the average is derived from it when read). */
  priceSum: MoneyByCurrency;
}

/** Category metrics as read: the summable values plus the derived averages. */
export interface CategoryMetrics extends CategoryMetricValues {
  /**
   * Per currency: `priceSum / pricedCount`, rounded half up to whole minor units, for every
   * currency of `pricedCount` (`{}` for an empty category). Derived when read, never stored.
   */
  averagePrice: MoneyByCurrency;
}

/** One low-stock entry: a product not deleted with `quantity < lowStockThreshold`. */
export interface LowStockEntry {
  productId: string;
  sellerId: string;
  category: string;
  /** Units in stock, below the threshold. */
  quantity: number;
}

/** The kinds of entity a metric change is about. */
export type MetricEntity = 'seller' | 'category' | 'lowStock';

/** Fields common to every metric change. */
interface MetricChangeBase {
  /** Group (= input partition index) whose partial this is. */
  readonly group: number;
  /**
   * Event time of the change (ISO-8601 UTC): the group's event-time watermark, i.e. the highest
   * `occurredAt` applied in the group so far. Monotonic per group, so hourly history rows of a
   * group never go back in time. Chooses the hourly history row and the S3 date partition.
   */
  readonly eventTime: string;
}

/** Absolute partial seller metrics of one group. */
export interface SellerMetricChange extends MetricChangeBase {
  readonly entity: 'seller';
  /** Seller id. */
  readonly id: string;
  /** Absolute partial values of this seller in this group. */
  readonly values: SellerMetricValues;
}

/** Absolute partial category metrics of one group. */
export interface CategoryMetricChange extends MetricChangeBase {
  readonly entity: 'category';
  /** Category id. */
  readonly id: string;
  /** Absolute partial values of this category in this group. */
  readonly values: CategoryMetricValues;
}

/** A low-stock entry appearing/changing (`values` set) or leaving low stock (`values: null`). */
export interface LowStockMetricChange extends MetricChangeBase {
  readonly entity: 'lowStock';
  /** Product id. */
  readonly id: string;
  /** Seller whose low-stock list holds (or held) the entry: the row is `LOWSTOCK#<sellerId>`. */
  readonly sellerId: string;
  /** The entry, or `null` when the product left low stock (or moved to another seller's row). */
  readonly values: LowStockEntry | null;
}

/** A change of one metric row, with absolute values: what stage 1 produces. */
export type MetricChange = SellerMetricChange | CategoryMetricChange | LowStockMetricChange;

/** Where a record was read from (Kafka position). Offsets are decimal strings as in kafkajs. */
export interface SourcePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /**
   * Pipeline epoch the record was written in (header `analytics-epoch`, set by stage 1; absent =
   * 0). Rows are ordered by (epoch, offset), so a newer epoch supersedes whatever offsets came before
   * (docs/architecture.md#epochs-rescale-and-reset).
   */
  readonly epoch?: number;
}

/** A metric change as consumed by stage 2: the change plus its position in `analytics.metric-changes`. */
export type MetricChangeRecord = MetricChange & { readonly source: SourcePosition };
