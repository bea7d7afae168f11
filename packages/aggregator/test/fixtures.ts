import type {
  ProductCreatedEvent,
  ProductData,
  ProductDeletedData,
  ProductDeletedEvent,
  ProductUpdatedEvent,
} from '@marketplace/product-events';
import type { ProductState } from '../src/types.js';

/** Test fixtures: small builders of valid events and states with readable defaults. */

export const T0 = '2026-11-25T17:00:00.000Z';

/** `T0` plus `seconds`, as ISO-8601 UTC. */
export function at(seconds: number): string {
  return new Date(Date.parse(T0) + seconds * 1000).toISOString();
}

const baseData: ProductData = {
  sellerId: 's-1',
  category: 'books',
  name: 'Dune',
  priceCents: 1999,
  currency: 'USD',
  quantity: 50,
  status: 'active',
};

export function created(
  productId: string,
  version: number,
  data: Partial<ProductData> = {},
  occurredAt = at(version),
): ProductCreatedEvent {
  return {
    eventId: `${productId}-v${version}-c`,
    type: 'product.created',
    schemaVersion: 1,
    occurredAt,
    productId,
    version,
    data: { ...baseData, ...data },
  };
}

export function updated(
  productId: string,
  version: number,
  data: Partial<ProductData> = {},
  occurredAt = at(version),
): ProductUpdatedEvent {
  return {
    ...created(productId, version, data, occurredAt),
    eventId: `${productId}-v${version}-u`,
    type: 'product.updated',
  };
}

export function deleted(
  productId: string,
  version: number,
  data: ProductDeletedData = { sellerId: 's-1' },
  occurredAt = at(version),
): ProductDeletedEvent {
  return {
    eventId: `${productId}-v${version}-d`,
    type: 'product.deleted',
    schemaVersion: 1,
    occurredAt,
    productId,
    version,
    data,
  };
}

/** A live, active product state with readable defaults. */
export function state(fields: Partial<ProductState> & { productId: string }): ProductState {
  return {
    version: 1,
    sellerId: 's-1',
    category: 'books',
    priceCents: 1999,
    currency: 'USD',
    quantity: 50,
    status: 'active',
    deleted: false,
    updatedAt: T0,
    ...fields,
  };
}
