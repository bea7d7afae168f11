import type { ProductState } from '@marketplace/analytics-aggregator';
import { encodeProductEvent, type ProductEvent, type ProductEventType } from '@marketplace/product-events';
import type { RawMessage } from '../src/types.js';

let eventCounter = 0;

/** A valid event of `type` for `productId` at `version` (fields overridable). */
export function productEvent(
  type: ProductEventType,
  productId: string,
  version: number,
  overrides: {
    occurredAt?: string;
    quantity?: number;
    priceCents?: number;
    sellerId?: string;
    category?: string;
  } = {},
): ProductEvent {
  eventCounter += 1;
  const envelope = {
    eventId: `00000000-0000-4000-8000-${String(eventCounter).padStart(12, '0')}`,
    schemaVersion: 1 as const,
    occurredAt: overrides.occurredAt ?? `2026-11-25T17:00:${String(version % 60).padStart(2, '0')}.000Z`,
    productId,
    version,
  };
  const sellerId = overrides.sellerId ?? 's-1';
  if (type === 'product.deleted')
    return { ...envelope, type, data: { sellerId, category: overrides.category ?? 'books' } };
  return {
    ...envelope,
    type,
    data: {
      sellerId,
      category: overrides.category ?? 'books',
      name: `Product ${productId}`,
      priceCents: overrides.priceCents ?? 1999,
      currency: 'USD',
      quantity: overrides.quantity ?? 5,
      status: 'active',
    },
  };
}

/** The Kafka message a producer would send for `event` (Buffers, like kafkajs delivers). */
export function messageOf(event: ProductEvent, offset: number | string): RawMessage {
  const record = encodeProductEvent(event);
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(record.headers)) headers[name] = Buffer.from(value);
  return { key: Buffer.from(record.key), value: record.value, headers, offset: String(offset) };
}

/** A raw message with arbitrary bytes. */
export function rawMessage(
  key: string | null,
  value: string | null,
  offset: number | string,
  headers?: RawMessage['headers'],
): RawMessage {
  return {
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    offset: String(offset),
    ...(headers === undefined ? {} : { headers }),
  };
}

/** A product state (fields overridable). */
export function productState(
  productId: string,
  version: number,
  overrides: Partial<ProductState> = {},
): ProductState {
  return {
    productId,
    version,
    sellerId: 's-1',
    category: 'books',
    priceCents: 1999,
    currency: 'USD',
    quantity: 5,
    status: 'active',
    deleted: false,
    updatedAt: '2026-11-25T16:00:00.000Z',
    ...overrides,
  };
}
