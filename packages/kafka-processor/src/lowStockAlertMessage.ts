import type { ProductState } from '@marketplace/analytics-aggregator';
import type { Message } from 'kafkajs';

/** The JSON value of a low-stock alert on `inventory.low-stock` (key = productId). */
export interface LowStockAlert {
  productId: string;
  sellerId: string;
  category: string;
  quantity: number;
  threshold: number;
  /** `occurredAt` of the event that took the product below the threshold. */
  occurredAt: string;
  /** Product version of that event. */
  version: number;
}

/** The alert record for a product that went below `threshold`. */
export function lowStockAlertMessage(state: ProductState, threshold: number, partition: number): Message {
  const alert: LowStockAlert = {
    productId: state.productId,
    sellerId: state.sellerId,
    category: state.category,
    quantity: state.quantity,
    threshold,
    occurredAt: state.updatedAt,
    version: state.version,
  };
  return {
    key: state.productId,
    value: JSON.stringify(alert),
    partition,
    headers: { 'content-type': 'application/json' },
  };
}
