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
    quantity: 5,
    status: 'active',
    deleted: false,
    updatedAt: '2026-11-25T16:00:00.000Z',
    ...overrides,
  };
}

/**
 * A deterministic stream of Kafka-shaped messages over `products` products: creates, updates,
 * deletes and re-creates with increasing versions, plus duplicates, late (stale) events and
 * malformed messages.
 */
export function syntheticStream(count: number, products: number): RawMessage[] {
  const versions = new Map<string, number>();
  const messages: RawMessage[] = [];
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let offset = 0; messages.length < count; offset += 1) {
    const productId = `p-${Math.floor(random() * products)}`;
    const roll = random();
    if (roll < 0.05) {
      messages.push(rawMessage(productId, roll < 0.025 ? '{"broken' : '{"type":"product.updated"}', offset));
      continue;
    }
    const current = versions.get(productId) ?? 0;
    const version =
      roll < 0.12 && current > 1 ? current - 1 : roll < 0.2 && current > 0 ? current : current + 1;
    versions.set(productId, Math.max(current, version));
    const type = current === 0 ? 'product.created' : roll > 0.9 ? 'product.deleted' : 'product.updated';
    const event = productEvent(type, productId, version, {
      quantity: Math.floor(random() * 30),
      occurredAt: new Date(Date.UTC(2026, 10, 25) + offset * 1000).toISOString(),
    });
    messages.push(messageOf(event, offset));
  }
  return messages;
}
