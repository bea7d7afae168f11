/**
 * TypeScript types of the product event contract, version 1 (docs/architecture.md#event-contract).
 * The runtime schemas in `schema.ts` must stay equivalent to these (checked at compile time).
 */

/** The three event types, which are also the default topic names. */
export type ProductEventType = 'product.created' | 'product.updated' | 'product.deleted';

/** Product status. */
export type ProductStatus = 'active' | 'inactive';

/** Full product data carried by `product.created` and `product.updated`. */
export interface ProductData {
  /** Non-empty, at most 128 characters. */
  sellerId: string;
  /** Non-empty, at most 128 characters. */
  category: string;
  name: string;
  /** Integer >= 0 (and <= Number.MAX_SAFE_INTEGER). */
  priceCents: number;
  /** ISO-4217 code, e.g. `USD`. */
  currency: string;
  /** Integer >= 0 (and <= Number.MAX_SAFE_INTEGER). */
  quantity: number;
  status: ProductStatus;
}

/** Data of `product.deleted`. */
export interface ProductDeletedData {
  sellerId: string;
  category?: string;
}

/** Envelope fields common to every event. */
export interface ProductEventEnvelope {
  /** Unique id of the event (UUID). */
  eventId: string;
  schemaVersion: 1;
  /** ISO-8601 UTC timestamp. */
  occurredAt: string;
  /** Non-empty, at most 128 characters; equals the Kafka key. */
  productId: string;
  /** Integer >= 1, increases with every change of the product. */
  version: number;
}

/** `product.created`. */
export interface ProductCreatedEvent extends ProductEventEnvelope {
  type: 'product.created';
  data: ProductData;
}

/** `product.updated` (creates the product when unknown). */
export interface ProductUpdatedEvent extends ProductEventEnvelope {
  type: 'product.updated';
  data: ProductData;
}

/** `product.deleted` (tombstones the product). */
export interface ProductDeletedEvent extends ProductEventEnvelope {
  type: 'product.deleted';
  data: ProductDeletedData;
}

/** Any product event of contract version 1. */
export type ProductEvent = ProductCreatedEvent | ProductUpdatedEvent | ProductDeletedEvent;
