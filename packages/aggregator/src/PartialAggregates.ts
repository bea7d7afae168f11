import type { MetricsSnapshot } from './computeMetrics.js';
import { type AggregatorOptions, resolveAggregatorOptions } from './defaults.js';
import { ExactSum, productValue } from './ExactSum.js';
import { AggregatorError } from './errors.js';
import { sortedRecord, withAverages } from './readModels.js';
import type {
  CategoryMetrics,
  CategoryMetricValues,
  LowStockEntry,
  MetricChange,
  ProductState,
  SellerMetricValues,
} from './types.js';

/** Mutable running totals of one seller (internal). */
interface SellerRow {
  readonly id: string;
  totalProducts: number;
  activeProducts: number;
  deletedProducts: number;
  lowStockCount: number;
  /** Money of the seller's products not deleted, by currency. */
  readonly money: Map<string, MoneyBucket>;
  touched: boolean;
}

/**
 * Money of one currency in a seller or category row (internal): how many products not deleted
 * are priced in it, their value and their price sum (read for categories only). A bucket whose count drops
 * to zero is removed, so a row holds only the currencies it has products in.
 */
interface MoneyBucket {
  count: number;
  readonly value: ExactSum;
  readonly priceSum: ExactSum;
}

/**
 * Low-stock bookkeeping of one product (internal): its current entry fields and, while touched,
 * the seller of the entry as last reported, so one map lookup serves both. Entries handed out
 * are fresh objects built from these fields.
 */
interface LowStockSlot {
  readonly productId: string;
  /** Whether the product is low on stock now; a slot that is not goes at the next take. */
  low: boolean;
  sellerId: string;
  category: string;
  quantity: number;
  /** Seller of the entry as of the last `takeChanges`, `null` when it was not low (while `touched`). */
  reportedSellerId: string | null;
  touched: boolean;
}

/** Mutable running totals of one category (internal). */
interface CategoryRow {
  readonly id: string;
  productCount: number;
  /** Money of the category's products, by currency. */
  readonly money: Map<string, MoneyBucket>;
  touched: boolean;
}

/**
 * Incremental partial aggregates of one group (one input partition): per seller, per category
 * and the low-stock entries, kept up to date by subtracting a product's old contribution and
 * adding its new one on every state change. Money is kept per currency: a product whose currency
 * changes moves its value from one currency to the other, and a delete removes it from the
 * currency it was last counted in. Exact: money sums are `bigint` when read, and stay on an exact
 * `number` fast path internally while the values allow it.
 *
 * It also remembers which rows changed since the last {@link PartialAggregates.takeChanges}, which
 * returns their absolute values as `MetricChange` records (what stage 1 produces), so a replayed
 * batch reproduces the same values instead of counting twice.
 *
 * Invariant expected from the caller: `previous` passed to {@link PartialAggregates.replace} is the
 * state last added for that product (or `undefined` when the product is new). Not thread-safe;
 * one instance per group.
 *
 * @example
 * ```ts
 * const partials = PartialAggregates.fromStates(restoredStates.values(), { lowStockThreshold: 10 });
 * for (const event of batch) {
 *   const prior = states.get(event.productId);
 *   const result = applyEvent(prior, event);
 *   if (result.kind !== 'applied') continue;
 *   partials.replace(prior, result.state);
 *   states.set(event.productId, result.state);
 * }
 * const changes = partials.takeChanges(group, watermark); // produce these, absolute values
 * ```
 */
export class PartialAggregates {
  /** Products not deleted with `quantity` below this are low on stock. */
  readonly lowStockThreshold: number;

  readonly #sellers = new Map<string, SellerRow>();
  readonly #categories = new Map<string, CategoryRow>();
  readonly #lowStock = new Map<string, LowStockSlot>();
  readonly #touchedSellers: SellerRow[] = [];
  readonly #touchedCategories: CategoryRow[] = [];
  readonly #touchedLowStock: LowStockSlot[] = [];

  /**
   * @param options `lowStockThreshold`: non-negative safe integer (@default 10).
   * @throws {AggregatorOptionsError} code `INVALID_OPTIONS` when `lowStockThreshold` is invalid.
   */
  constructor(options?: AggregatorOptions) {
    this.lowStockThreshold = resolveAggregatorOptions(options).lowStockThreshold;
  }

  /**
   * Builds the partial aggregates of restored states (e.g. a group's changelog read on
   * assignment). The result has no pending changes: restored values were already produced.
   * @throws {AggregatorOptionsError} code `INVALID_OPTIONS` when an option is invalid.
   */
  static fromStates(states: Iterable<ProductState>, options?: AggregatorOptions): PartialAggregates {
    const partials = new PartialAggregates(options);
    for (const state of states) partials.replace(undefined, state);
    partials.#clearTouched();
    return partials;
  }

  /**
   * Replaces a product's contribution: subtracts `previous` (when given) and adds `next`, and
   * marks the seller, category and low-stock rows whose values changed. Rows whose contribution
   * is identical (e.g. only the version or name changed) are not marked.
   *
   * @param previous The state last added for this product, or `undefined` for a new product.
   * @param next The product's new state (same `productId`).
   * @throws {AggregatorError} code `INVALID_ARGUMENT` when `previous` was never added (its seller
   *   or category is unknown here): the caller's states and these partials disagree.
   */
  replace(previous: ProductState | undefined, next: ProductState): void {
    const threshold = this.lowStockThreshold;
    const nextLive = !next.deleted;
    const nextLow = nextLive && next.quantity < threshold;
    let prevLive = false;
    let prevLow = false;
    let sellerSame = false;
    let categorySame = !nextLive;
    if (previous !== undefined) {
      prevLive = !previous.deleted;
      prevLow = prevLive && previous.quantity < threshold;
      const sameMoney =
        prevLive &&
        nextLive &&
        previous.priceCents === next.priceCents &&
        previous.quantity === next.quantity &&
        previous.currency === next.currency;
      sellerSame =
        previous.sellerId === next.sellerId &&
        (nextLive ? sameMoney && previous.status === next.status : !prevLive);
      categorySame = nextLive ? sameMoney && previous.category === next.category : !prevLive;
    }

    if (!sellerSame || !categorySame) {
      // Each product's value is computed once and shared by its seller and category rows. When
      // the seller (category) stays, its row is looked up once and only the difference applied.
      const prevValue =
        previous !== undefined && !previous.deleted
          ? productValue(previous.priceCents, previous.quantity)
          : 0;
      const nextValue = nextLive ? productValue(next.priceCents, next.quantity) : 0;
      if (!sellerSame) {
        if (previous === undefined) {
          sellerContribution(this.#sellerRow(next.sellerId), next, nextLow, nextValue, 1);
        } else if (previous.sellerId === next.sellerId) {
          const row = this.#existingSeller(previous.sellerId);
          row.deletedProducts += (next.deleted ? 1 : 0) - (previous.deleted ? 1 : 0);
          row.activeProducts += (isActive(next) ? 1 : 0) - (isActive(previous) ? 1 : 0);
          row.lowStockCount += (nextLow ? 1 : 0) - (prevLow ? 1 : 0);
          moveMoney(row.money, previous, prevValue, next, nextValue);
        } else {
          sellerContribution(this.#existingSeller(previous.sellerId), previous, prevLow, prevValue, -1);
          sellerContribution(this.#sellerRow(next.sellerId), next, nextLow, nextValue, 1);
        }
      }
      if (!categorySame) {
        if (previous !== undefined && !previous.deleted) {
          if (nextLive && previous.category === next.category) {
            moveMoney(this.#existingCategory(previous.category).money, previous, prevValue, next, nextValue);
          } else {
            categoryContribution(this.#existingCategory(previous.category), previous, prevValue, -1);
            if (nextLive) categoryContribution(this.#categoryRow(next.category), next, nextValue, 1);
          }
        } else {
          // categorySame is false here only when next is live.
          categoryContribution(this.#categoryRow(next.category), next, nextValue, 1);
        }
      }
    }

    if (prevLow || nextLow) this.#updateLowStock(previous, prevLow, next, nextLow);
  }

  /**
   * Absolute values of every row changed since the last call (sellers, then categories, then
   * low-stock rows), then forgets them. Rows that reached all zeros are reported with their zero
   * values and then dropped. A low-stock row that left low stock is reported with `values: null`;
   * when a low-stock product moved to another seller, a `null` for the old seller's row comes
   * before the entry in the new seller's row.
   *
   * @param group The group (input partition) these partials belong to.
   * @param eventTime The group's event-time watermark (ISO-8601 UTC) to stamp on every change.
   * @throws {AggregatorError} code `INVALID_ARGUMENT` when `group` is not a non-negative safe
   *   integer or `eventTime` is not a string.
   */
  takeChanges(group: number, eventTime: string): MetricChange[] {
    if (!Number.isSafeInteger(group) || group < 0) {
      throw new AggregatorError(
        'INVALID_ARGUMENT',
        `group must be a non-negative safe integer, got ${String(group)}`,
      );
    }
    if (typeof eventTime !== 'string') {
      throw new AggregatorError(
        'INVALID_ARGUMENT',
        `eventTime must be an ISO-8601 string, got ${typeof eventTime}`,
      );
    }
    const changes: MetricChange[] = [];
    for (const row of this.#touchedSellers) {
      changes.push({ entity: 'seller', group, eventTime, id: row.id, values: sellerValues(row) });
      if (row.totalProducts === 0) this.#sellers.delete(row.id);
    }
    for (const row of this.#touchedCategories) {
      changes.push({ entity: 'category', group, eventTime, id: row.id, values: categoryValues(row) });
      if (row.productCount === 0) this.#categories.delete(row.id);
    }
    for (const slot of this.#touchedLowStock) {
      const before = slot.reportedSellerId;
      if (before !== null && (!slot.low || slot.sellerId !== before)) {
        changes.push({
          entity: 'lowStock',
          group,
          eventTime,
          id: slot.productId,
          sellerId: before,
          values: null,
        });
      }
      if (slot.low) {
        changes.push({
          entity: 'lowStock',
          group,
          eventTime,
          id: slot.productId,
          sellerId: slot.sellerId,
          values: lowStockEntry(slot),
        });
      }
    }
    this.#clearTouched();
    return changes;
  }

  /** Whether any row changed since the last {@link PartialAggregates.takeChanges}. */
  get hasChanges(): boolean {
    return (
      this.#touchedSellers.length > 0 ||
      this.#touchedCategories.length > 0 ||
      this.#touchedLowStock.length > 0
    );
  }

  /** Current partial metrics of a seller (a copy), or `undefined` when it owns no product here. */
  seller(id: string): SellerMetricValues | undefined {
    const row = this.#sellers.get(id);
    return row === undefined || row.totalProducts === 0 ? undefined : sellerValues(row);
  }

  /** Current partial metrics of a category (a copy), or `undefined` when it holds no product here. */
  category(id: string): CategoryMetricValues | undefined {
    const row = this.#categories.get(id);
    return row === undefined || row.productCount === 0 ? undefined : categoryValues(row);
  }

  /** The low-stock entry of a product, or `undefined` when it is not low on stock. */
  lowStock(productId: string): LowStockEntry | undefined {
    const slot = this.#lowStock.get(productId);
    return slot?.low ? lowStockEntry(slot) : undefined;
  }

  /**
   * Every non-empty seller and category row (categories with their average) and every low-stock
   * entry, as fresh copies: comparable with `computeMetrics` of the same states.
   */
  snapshot(): MetricsSnapshot {
    const sellers = new Map<string, SellerMetricValues>();
    for (const row of this.#sellers.values()) {
      if (row.totalProducts !== 0) sellers.set(row.id, sellerValues(row));
    }
    const categories = new Map<string, CategoryMetrics>();
    for (const row of this.#categories.values()) {
      if (row.productCount !== 0) categories.set(row.id, withAverages(categoryValues(row)));
    }
    const lowStock = new Map<string, LowStockEntry>();
    for (const slot of this.#lowStock.values()) {
      if (slot.low) lowStock.set(slot.productId, lowStockEntry(slot));
    }
    return { sellers, categories, lowStock };
  }

  #sellerRow(id: string): SellerRow {
    let row = this.#sellers.get(id);
    if (row === undefined) {
      row = {
        id,
        totalProducts: 0,
        activeProducts: 0,
        deletedProducts: 0,
        lowStockCount: 0,
        money: new Map(),
        touched: false,
      };
      this.#sellers.set(id, row);
    }
    return this.#touchSeller(row);
  }

  #existingSeller(id: string): SellerRow {
    const row = this.#sellers.get(id);
    if (row === undefined || row.totalProducts === 0) throw inconsistent('seller', id);
    return this.#touchSeller(row);
  }

  #touchSeller(row: SellerRow): SellerRow {
    if (!row.touched) {
      row.touched = true;
      this.#touchedSellers.push(row);
    }
    return row;
  }

  #categoryRow(id: string): CategoryRow {
    let row = this.#categories.get(id);
    if (row === undefined) {
      row = { id, productCount: 0, money: new Map(), touched: false };
      this.#categories.set(id, row);
    }
    return this.#touchCategory(row);
  }

  #existingCategory(id: string): CategoryRow {
    const row = this.#categories.get(id);
    if (row === undefined || row.productCount === 0) throw inconsistent('category', id);
    return this.#touchCategory(row);
  }

  #touchCategory(row: CategoryRow): CategoryRow {
    if (!row.touched) {
      row.touched = true;
      this.#touchedCategories.push(row);
    }
    return row;
  }

  /** Called when the product was or is low on stock. */
  #updateLowStock(
    previous: ProductState | undefined,
    prevLow: boolean,
    next: ProductState,
    nextLow: boolean,
  ): void {
    const productId = next.productId;
    if (
      prevLow &&
      nextLow &&
      previous !== undefined &&
      previous.sellerId === next.sellerId &&
      previous.category === next.category &&
      previous.quantity === next.quantity
    ) {
      return; // the entry (a copy of these three fields) is unchanged
    }
    let slot = this.#lowStock.get(productId);
    if (slot === undefined) {
      slot = {
        productId,
        low: false,
        sellerId: '',
        category: '',
        quantity: 0,
        reportedSellerId: null,
        touched: false,
      };
      this.#lowStock.set(productId, slot);
    }
    if (!slot.touched) {
      slot.touched = true;
      slot.reportedSellerId = slot.low ? slot.sellerId : null;
      this.#touchedLowStock.push(slot);
    }
    slot.low = nextLow;
    if (nextLow) {
      slot.sellerId = next.sellerId;
      slot.category = next.category;
      slot.quantity = next.quantity;
    }
  }

  #clearTouched(): void {
    for (const row of this.#touchedSellers) row.touched = false;
    for (const row of this.#touchedCategories) row.touched = false;
    this.#touchedSellers.length = 0;
    this.#touchedCategories.length = 0;
    for (const slot of this.#touchedLowStock) {
      slot.touched = false;
      slot.reportedSellerId = null;
      if (!slot.low) this.#lowStock.delete(slot.productId);
    }
    this.#touchedLowStock.length = 0;
  }
}

function isActive(state: ProductState): boolean {
  return !state.deleted && state.status === 'active';
}

/**
 * Adds `plus - minus` to `sum`. Two `number` values are safe non-negative integers, so their
 * difference is a safe integer computed exactly: one accumulator step instead of two.
 */
function addDifference(sum: ExactSum, plus: number | bigint, minus: number | bigint): void {
  if (typeof plus === 'number' && typeof minus === 'number') {
    sum.add(plus - minus);
  } else {
    sum.add(plus);
    sum.subtract(minus);
  }
}

/** Adds (`sign` 1) or removes (`sign` -1) one live product's money in its currency's bucket. */
function addMoney(
  money: Map<string, MoneyBucket>,
  currency: string,
  priceCents: number,
  value: number | bigint,
  sign: 1 | -1,
): void {
  let bucket = money.get(currency);
  if (bucket === undefined) {
    bucket = { count: 0, value: new ExactSum(), priceSum: new ExactSum() };
    money.set(currency, bucket);
  }
  bucket.count += sign;
  if (bucket.count === 0) {
    // The last product of this currency left: its sums are back at zero.
    money.delete(currency);
  } else if (sign === 1) {
    bucket.value.add(value);
    bucket.priceSum.add(priceCents);
  } else {
    bucket.value.subtract(value);
    bucket.priceSum.subtract(priceCents);
  }
}

/**
 * Replaces one product's money in a row that keeps it (same seller or same category): the
 * difference within one currency, or a move between currencies (a delete or a revival is a move
 * from or to nothing).
 */
function moveMoney(
  money: Map<string, MoneyBucket>,
  previous: ProductState,
  prevValue: number | bigint,
  next: ProductState,
  nextValue: number | bigint,
): void {
  const prevLive = !previous.deleted;
  const nextLive = !next.deleted;
  if (prevLive && nextLive && previous.currency === next.currency) {
    const bucket = money.get(previous.currency) as MoneyBucket;
    addDifference(bucket.value, nextValue, prevValue);
    // Both prices are safe non-negative integers: their difference is exact.
    bucket.priceSum.add(next.priceCents - previous.priceCents);
    return;
  }
  if (prevLive) addMoney(money, previous.currency, previous.priceCents, prevValue, -1);
  if (nextLive) addMoney(money, next.currency, next.priceCents, nextValue, 1);
}

/** Adds (`sign` 1) or removes (`sign` -1) one product's contribution to its seller row. */
function sellerContribution(
  row: SellerRow,
  state: ProductState,
  low: boolean,
  value: number | bigint,
  sign: 1 | -1,
): void {
  row.totalProducts += sign;
  if (state.deleted) {
    row.deletedProducts += sign;
    return;
  }
  if (state.status === 'active') row.activeProducts += sign;
  if (low) row.lowStockCount += sign;
  addMoney(row.money, state.currency, state.priceCents, value, sign);
}

/** Adds (`sign` 1) or removes (`sign` -1) one live product's contribution to its category row. */
function categoryContribution(
  row: CategoryRow,
  state: ProductState,
  value: number | bigint,
  sign: 1 | -1,
): void {
  row.productCount += sign;
  addMoney(row.money, state.currency, state.priceCents, value, sign);
}

function lowStockEntry(slot: LowStockSlot): LowStockEntry {
  return {
    productId: slot.productId,
    sellerId: slot.sellerId,
    category: slot.category,
    quantity: slot.quantity,
  };
}

function sellerValues(row: SellerRow): SellerMetricValues {
  const totalValue: [string, bigint][] = [];
  for (const [currency, bucket] of row.money) totalValue.push([currency, bucket.value.value()]);
  return {
    totalProducts: row.totalProducts,
    activeProducts: row.activeProducts,
    deletedProducts: row.deletedProducts,
    lowStockCount: row.lowStockCount,
    totalValue: sortedRecord(totalValue),
  };
}

function categoryValues(row: CategoryRow): CategoryMetricValues {
  const pricedCount: [string, number][] = [];
  const totalValue: [string, bigint][] = [];
  const priceSum: [string, bigint][] = [];
  for (const [currency, bucket] of row.money) {
    pricedCount.push([currency, bucket.count]);
    totalValue.push([currency, bucket.value.value()]);
    priceSum.push([currency, bucket.priceSum.value()]);
  }
  return {
    productCount: row.productCount,
    pricedCount: sortedRecord(pricedCount),
    totalValue: sortedRecord(totalValue),
    priceSum: sortedRecord(priceSum),
  };
}

function inconsistent(entity: string, id: string): AggregatorError {
  return new AggregatorError(
    'INVALID_ARGUMENT',
    `replace(previous, next): previous state's ${entity} ${JSON.stringify(id)} holds no product in these partial aggregates; previous must be the state last added for the product`,
  );
}
