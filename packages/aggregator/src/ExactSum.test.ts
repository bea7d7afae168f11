import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum, productValue } from './ExactSum.js';

const MAX = Number.MAX_SAFE_INTEGER;

describe('productValue', () => {
  it('returns a number while the product is a safe integer', () => {
    expect(productValue(1999, 4)).toBe(7996);
    expect(productValue(MAX, 1)).toBe(MAX);
    expect(productValue(0, MAX)).toBe(0);
  });

  it('returns the exact bigint when the product exceeds MAX_SAFE_INTEGER', () => {
    expect(productValue(MAX, 2)).toBe(BigInt(MAX) * 2n);
    expect(productValue(MAX, MAX)).toBe(BigInt(MAX) * BigInt(MAX));
    // 2^53 itself is not safe, although the float product is exact.
    expect(productValue(2 ** 26, 2 ** 27)).toBe(2n ** 53n);
  });

  it('equals the bigint product for any non-negative safe integers', () => {
    fc.assert(
      fc.property(fc.nat(MAX), fc.nat(MAX), (price, quantity) => {
        expect(BigInt(productValue(price, quantity))).toBe(BigInt(price) * BigInt(quantity));
      }),
    );
  });
});

describe('ExactSum', () => {
  it('starts at zero', () => {
    expect(new ExactSum().value()).toBe(0n);
  });

  it('spills into bigint exactly when the running sum leaves the safe range, in both directions', () => {
    const sum = new ExactSum();

    sum.add(MAX);
    sum.add(MAX);
    sum.add(3);
    expect(sum.value()).toBe(2n * BigInt(MAX) + 3n);

    sum.subtract(MAX);
    sum.subtract(MAX);
    sum.subtract(MAX);
    sum.subtract(MAX);
    expect(sum.value()).toBe(-2n * BigInt(MAX) + 3n);
  });

  it('equals a bigint reference for any sequence of safe-integer and bigint additions and subtractions', () => {
    const amount = fc.oneof(
      fc.integer({ min: -MAX, max: MAX }),
      fc.constantFrom(MAX, -MAX, MAX - 1, 2 ** 52),
      fc.bigInt({ min: -(2n ** 110n), max: 2n ** 110n }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), amount), { maxLength: 60 }), (steps) => {
        const sum = new ExactSum();
        let reference = 0n;
        for (const [subtract, value] of steps) {
          if (subtract) sum.subtract(value);
          else sum.add(value);
          reference += subtract ? -BigInt(value) : BigInt(value);
          expect(sum.value()).toBe(reference);
        }
      }),
    );
  });
});
