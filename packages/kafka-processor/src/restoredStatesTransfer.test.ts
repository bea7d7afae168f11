import {
  encodeProductState,
  encodeProductStateJson,
  type ProductState,
} from '@marketplace/analytics-aggregator';
import { describe, expect, it } from 'vitest';
import { packStates, unpackStates } from './restoredStatesTransfer.js';

const state = (productId: string, version: number): ProductState => ({
  productId,
  version,
  sellerId: 's-1',
  category: 'books',
  priceCents: 1999,
  currency: 'USD',
  quantity: 3,
  status: 'active',
  deleted: false,
  updatedAt: '2026-11-25T17:00:00.000Z',
});

describe('packStates / unpackStates', () => {
  it('carries every product, keys beyond ASCII and values of both formats, in one buffer', () => {
    const states = new Map<string, ProductState>([
      ['p-1', state('p-1', 1)],
      ['p-ü-日本', state('p-ü-日本', 2)],
      ['p-3', state('p-3', 3)],
    ]);
    const values = new Map<string, Uint8Array>([
      ['p-1', encodeProductState(states.get('p-1')!)],
      ['p-ü-日本', encodeProductState(states.get('p-ü-日本')!)],
      ['p-3', encodeProductStateJson(states.get('p-3')!)],
    ]);

    const packed = packStates(values);

    expect(packed).toBeInstanceOf(ArrayBuffer);
    expect(unpackStates(packed)).toEqual(states);
  });

  it('packs no products into an empty buffer', () => {
    expect(packStates(new Map()).byteLength).toBe(0);
    expect(unpackStates(new ArrayBuffer(0)).size).toBe(0);
  });
});
