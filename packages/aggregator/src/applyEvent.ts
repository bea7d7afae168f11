import type { ProductEvent } from '@marketplace/product-events';
import { DEFAULT_LOW_STOCK_THRESHOLD } from './defaults.js';
import type { ProductState } from './types.js';

/**
 * Outcome of {@link applyEvent}: the new state, or why the event was ignored.
 * - `applied`: the event was newer than the stored state (or the product was unknown).
 * - `duplicate`: `event.version` equals the stored version (a redelivery or producer retry).
 * - `stale`: `event.version` is lower than the stored version (it arrived late).
 */
export type ApplyResult =
  | { readonly kind: 'applied'; readonly state: ProductState }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'stale' };

// Ignored events are the common case under redelivery: share one frozen result each.
const DUPLICATE: ApplyResult = Object.freeze({ kind: 'duplicate' });
const STALE: ApplyResult = Object.freeze({ kind: 'stale' });

/**
 * Applies one event to the latest known state of its product, by the rules of
 * docs/architecture.md#processing-rules:
 *
 * - an event whose `version` is not greater than the stored one is ignored (`duplicate` when
 *   equal, `stale` when lower);
 * - `product.created` and `product.updated` set the full state (an update of an unknown product
 *   creates it; after a delete, a newer create/update brings the product back; a new
 *   `sellerId`/`category` moves it);
 * - `product.deleted` tombstones the product: `sellerId` from the event, `category` from the
 *   event, else from the prior state, else `''`; `priceCents`, `currency`, `quantity` and
 *   `status` kept from the prior state (or `0`, `''`, `0`, `'inactive'` when none).
 *
 * `updatedAt` is the event's `occurredAt`. Pure: `prior` is never modified. The event is trusted
 * to be valid (as returned by `parseProductEvent`). Never throws.
 *
 * @param prior The stored state of `event.productId`, or `undefined` when unknown.
 * @param event A valid product event.
 * @returns The new state, or `duplicate`/`stale` (both shared frozen objects).
 * @example
 * ```ts
 * const result = applyEvent(states.get(event.productId), event);
 * if (result.kind === 'applied') {
 *   partials.replace(states.get(event.productId), result.state);
 *   states.set(event.productId, result.state);
 * }
 * ```
 */
export function applyEvent(prior: ProductState | undefined, event: ProductEvent): ApplyResult {
  if (prior !== undefined && event.version <= prior.version) {
    return event.version === prior.version ? DUPLICATE : STALE;
  }
  let state: ProductState;
  if (event.type === 'product.deleted') {
    const data = event.data;
    state = {
      productId: event.productId,
      version: event.version,
      sellerId: data.sellerId,
      category: data.category ?? prior?.category ?? '',
      priceCents: prior === undefined ? 0 : prior.priceCents,
      currency: prior === undefined ? '' : prior.currency,
      quantity: prior === undefined ? 0 : prior.quantity,
      status: prior === undefined ? 'inactive' : prior.status,
      deleted: true,
      updatedAt: event.occurredAt,
    };
  } else {
    const data = event.data;
    state = {
      productId: event.productId,
      version: event.version,
      sellerId: data.sellerId,
      category: data.category,
      priceCents: data.priceCents,
      currency: data.currency,
      quantity: data.quantity,
      status: data.status,
      deleted: false,
      updatedAt: event.occurredAt,
    };
  }
  return { kind: 'applied', state };
}

/**
 * Whether a product counts as low on stock: not deleted and `quantity < threshold`.
 * @param state A product state.
 * @param threshold The low-stock threshold. @default 10 ({@link DEFAULT_LOW_STOCK_THRESHOLD})
 */
export function isLowStock(state: ProductState, threshold: number = DEFAULT_LOW_STOCK_THRESHOLD): boolean {
  return !state.deleted && state.quantity < threshold;
}

/**
 * Applies `events` in the given order with {@link applyEvent}, starting from no state, and returns
 * the latest state of every product seen. Meant for tests, demos and as the input of the
 * `computeMetrics` oracle; feed it each product's events in version order to get the reference
 * states.
 * @example
 * ```ts
 * const metrics = computeMetrics(replayToStates(events).values());
 * ```
 */
export function replayToStates(events: Iterable<ProductEvent>): Map<string, ProductState> {
  const states = new Map<string, ProductState>();
  for (const event of events) {
    const result = applyEvent(states.get(event.productId), event);
    if (result.kind === 'applied') states.set(event.productId, result.state);
  }
  return states;
}
