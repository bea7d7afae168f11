import { describe, expect, it } from 'vitest';
import { mergeOptions, stripUndefined } from './mergeOptions.js';

const DEFAULTS = Object.freeze({ batchSize: 25, prefix: 'metrics' });

describe('mergeOptions', () => {
  it("puts the caller's defined values over the defaults and keeps the other options", () => {
    const client = { send: () => {} };
    const merged = mergeOptions(DEFAULTS, { batchSize: 10, prefix: undefined, client });
    expect(merged).toEqual({ batchSize: 10, prefix: 'metrics', client });
    expect(DEFAULTS).toEqual({ batchSize: 25, prefix: 'metrics' });
  });

  it('returns the defaults when no options are given', () => {
    expect(mergeOptions(DEFAULTS, undefined)).toEqual(DEFAULTS);
    expect(mergeOptions(DEFAULTS, null)).toEqual(DEFAULTS);
  });
});

describe('stripUndefined', () => {
  it('drops undefined values but keeps null, 0, false and empty strings', () => {
    expect(stripUndefined({ a: undefined, b: null, c: 0, d: false, e: '' })).toEqual({
      b: null,
      c: 0,
      d: false,
      e: '',
    });
    expect(stripUndefined(undefined)).toEqual({});
  });
});
