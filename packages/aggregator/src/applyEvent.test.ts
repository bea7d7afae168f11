import { describe, expect, it } from 'vitest';
import { at, created, deleted, updated } from '../test/fixtures.js';
import { applyEvent, isLowStock, replayToStates } from './applyEvent.js';
import type { ProductState } from './types.js';

function applied(prior: ProductState | undefined, event: Parameters<typeof applyEvent>[1]): ProductState {
  const result = applyEvent(prior, event);
  if (result.kind !== 'applied') throw new Error(`expected applied, got ${result.kind}`);
  return result.state;
}

describe('applyEvent', () => {
  it('creates the full state from a product.created of an unknown product', () => {
    const state = applied(
      undefined,
      created('p-1', 1, { quantity: 4, status: 'inactive', currency: 'KWD' }, at(5)),
    );

    expect(state).toEqual({
      productId: 'p-1',
      version: 1,
      sellerId: 's-1',
      category: 'books',
      priceCents: 1999,
      currency: 'KWD',
      quantity: 4,
      status: 'inactive',
      deleted: false,
      updatedAt: at(5),
    });
  });

  it('creates the product from a product.updated when the product is unknown', () => {
    const state = applied(undefined, updated('p-1', 7, { priceCents: 500 }));

    expect(state).toMatchObject({ productId: 'p-1', version: 7, priceCents: 500, deleted: false });
  });

  it('replaces the state with a newer update', () => {
    const prior = applied(undefined, created('p-1', 1));

    const state = applied(prior, updated('p-1', 2, { quantity: 3, status: 'inactive' }, at(20)));

    expect(state).toMatchObject({ version: 2, quantity: 3, status: 'inactive', updatedAt: at(20) });
    expect(prior).toMatchObject({ version: 1, quantity: 50 });
  });

  it('reports a duplicate when the version equals the stored version', () => {
    const prior = applied(undefined, created('p-1', 3));

    expect(applyEvent(prior, updated('p-1', 3, { quantity: 1 }))).toEqual({ kind: 'duplicate' });
  });

  it('reports a stale event when the version is lower than the stored version', () => {
    const prior = applied(undefined, updated('p-1', 5));

    expect(applyEvent(prior, created('p-1', 1))).toEqual({ kind: 'stale' });
    expect(applyEvent(prior, deleted('p-1', 4))).toEqual({ kind: 'stale' });
  });

  it('ignores a create arriving after a newer update of the same product', () => {
    const states = replayToStates([updated('p-1', 2, { quantity: 9 }), created('p-1', 1, { quantity: 1 })]);

    expect(states.get('p-1')).toMatchObject({ version: 2, quantity: 9 });
  });

  it('tombstones a product on delete, keeping price, quantity and status of the prior state', () => {
    const prior = applied(undefined, created('p-1', 1, { priceCents: 700, quantity: 3, status: 'active' }));

    const state = applied(prior, deleted('p-1', 2, { sellerId: 's-1' }, at(30)));

    expect(state).toEqual({
      productId: 'p-1',
      version: 2,
      sellerId: 's-1',
      category: 'books',
      priceCents: 700,
      currency: 'USD',
      quantity: 3,
      status: 'active',
      deleted: true,
      updatedAt: at(30),
    });
  });

  it('takes the seller and category of a delete from the delete event', () => {
    const prior = applied(undefined, created('p-1', 1, { sellerId: 's-1', category: 'books' }));

    const state = applied(prior, deleted('p-1', 2, { sellerId: 's-2', category: 'music' }));

    expect(state).toMatchObject({ sellerId: 's-2', category: 'music', deleted: true });
  });

  it('tombstones an unknown product on delete with empty category, zero price and quantity, inactive', () => {
    const state = applied(undefined, deleted('p-1', 4, { sellerId: 's-9' }));

    expect(state).toMatchObject({
      version: 4,
      sellerId: 's-9',
      category: '',
      priceCents: 0,
      currency: '',
      quantity: 0,
      status: 'inactive',
      deleted: true,
    });
  });

  it('uses the category of a delete event even when the product is unknown', () => {
    expect(applied(undefined, deleted('p-1', 1, { sellerId: 's-1', category: 'toys' })).category).toBe(
      'toys',
    );
  });

  it('ignores a stale delete, so a product stays alive after a newer update', () => {
    const states = replayToStates([updated('p-1', 3), deleted('p-1', 2)]);

    expect(states.get('p-1')?.deleted).toBe(false);
  });

  it('brings a deleted product back with a later create or update of higher version', () => {
    const tombstone = applied(applied(undefined, created('p-1', 1)), deleted('p-1', 2));

    expect(applied(tombstone, created('p-1', 3, { quantity: 5 }))).toMatchObject({
      deleted: false,
      quantity: 5,
    });
    expect(applied(tombstone, updated('p-1', 3))).toMatchObject({ deleted: false, version: 3 });
  });

  it('moves a product when an update changes its seller or category', () => {
    const prior = applied(undefined, created('p-1', 1, { sellerId: 's-1', category: 'books' }));

    expect(applied(prior, updated('p-1', 2, { sellerId: 's-2', category: 'music' }))).toMatchObject({
      sellerId: 's-2',
      category: 'music',
    });
  });
});

describe('isLowStock', () => {
  it('is true for a live product below the threshold and false at the threshold', () => {
    const low = applied(undefined, created('p-1', 1, { quantity: 9 }));
    const enough = applied(undefined, created('p-2', 1, { quantity: 10 }));

    expect(isLowStock(low)).toBe(true);
    expect(isLowStock(enough)).toBe(false);
    expect(isLowStock(enough, 11)).toBe(true);
  });

  it('is false for a deleted product whatever its quantity', () => {
    const tombstone = applied(applied(undefined, created('p-1', 1, { quantity: 0 })), deleted('p-1', 2));

    expect(isLowStock(tombstone)).toBe(false);
  });
});

describe('replayToStates', () => {
  it('keeps the latest state of every product, ignoring duplicates', () => {
    const states = replayToStates([
      created('p-1', 1),
      created('p-2', 1, { sellerId: 's-2' }),
      updated('p-1', 2, { quantity: 1 }),
      updated('p-1', 2, { quantity: 1 }),
      deleted('p-2', 2, { sellerId: 's-2' }),
    ]);

    expect([...states.keys()]).toEqual(['p-1', 'p-2']);
    expect(states.get('p-1')).toMatchObject({ version: 2, quantity: 1 });
    expect(states.get('p-2')).toMatchObject({ version: 2, deleted: true });
  });
});
