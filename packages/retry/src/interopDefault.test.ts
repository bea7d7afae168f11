import { describe, expect, it } from 'vitest';
import { interopDefault } from './interopDefault.js';

describe('interopDefault', () => {
  it('returns a function imported as ESM default as is', () => {
    const fn = (): number => 1;

    expect(interopDefault(fn)).toBe(fn);
  });

  it('returns the default of a module namespace loaded through require()', () => {
    const fn = (): number => 1;

    expect(interopDefault<typeof fn>({ default: fn })).toBe(fn);
  });
});
