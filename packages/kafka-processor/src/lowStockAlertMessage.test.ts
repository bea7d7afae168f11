import type { ProductState } from '@marketplace/analytics-aggregator';
import { describe, expect, it } from 'vitest';
import { lowStockAlertMessage } from './lowStockAlertMessage.js';

describe('lowStockAlertMessage', () => {
  it('describes the product that went below the threshold, keyed by product id', () => {
    const state: ProductState = {
      productId: 'p-7',
      version: 3,
      sellerId: 's-1',
      category: 'books',
      priceCents: 100,
      currency: 'USD',
      quantity: 2,
      status: 'active',
      deleted: false,
      updatedAt: '2026-11-25T10:00:00.000Z',
    };
    const alert = lowStockAlertMessage(state, 10, 1);
    expect(alert.key).toBe('p-7');
    expect(alert.partition).toBe(1);
    expect(JSON.parse(String(alert.value))).toEqual({
      productId: 'p-7',
      sellerId: 's-1',
      category: 'books',
      quantity: 2,
      threshold: 10,
      occurredAt: '2026-11-25T10:00:00.000Z',
      version: 3,
    });
  });
});
