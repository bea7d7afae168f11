import type { ProductCreatedEvent, ProductDeletedEvent, ProductUpdatedEvent } from '../src/types.js';

/** A valid `product.updated` event (the example of docs/architecture.md#event-contract). */
export function updatedEvent(overrides: Partial<ProductUpdatedEvent> = {}): ProductUpdatedEvent {
  return {
    eventId: '3f0c7a52-0d4e-4b0c-9a51-0c1f3c2d9e11',
    type: 'product.updated',
    schemaVersion: 1,
    occurredAt: '2026-11-25T17:00:00.000Z',
    productId: 'p-1042',
    version: 7,
    data: {
      sellerId: 's-17',
      category: 'books',
      name: 'Dune',
      priceCents: 1999,
      currency: 'USD',
      quantity: 4,
      status: 'active',
    },
    ...overrides,
  };
}

/** A valid `product.created` event. */
export function createdEvent(overrides: Partial<ProductCreatedEvent> = {}): ProductCreatedEvent {
  return { ...updatedEvent(), type: 'product.created', version: 1, ...overrides };
}

/** A valid `product.deleted` event. */
export function deletedEvent(overrides: Partial<ProductDeletedEvent> = {}): ProductDeletedEvent {
  return {
    ...updatedEvent(),
    type: 'product.deleted',
    version: 8,
    data: { sellerId: 's-17', category: 'books' },
    ...overrides,
  };
}

/** JSON bytes of a value. */
export const bytes = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** `value` nested `depth` levels deep in arrays: depth 1 = `[value]`. */
export function nestedArrays(depth: number, value: unknown = 0): unknown {
  let nested: unknown = value;
  for (let level = 0; level < depth; level++) nested = [nested];
  return nested;
}
