const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * The exact value `priceCents * quantity` of one product: a `number` when the product is a safe
 * integer (the common case, no allocation), else a `bigint`.
 *
 * Why the `number` is exact: `priceCents` and `quantity` are non-negative safe integers, and IEEE
 * rounding is monotonic. If the exact product is at most `MAX_SAFE_INTEGER` it is representable,
 * so the computed product equals it; if it is larger, it is at least `2^53` and the rounded result
 * is at least `2^53` too, so the test below fails and the `bigint` path runs.
 */
export function productValue(priceCents: number, quantity: number): number | bigint {
  const value = priceCents * quantity;
  return value <= MAX_SAFE ? value : BigInt(priceCents) * BigInt(quantity);
}

/**
 * An exact integer accumulator that stays on the `number` fast path while it can.
 *
 * The sum is `big + small`. Adding a safe integer `v` to `small`: when the exact sum is within
 * `±MAX_SAFE_INTEGER` the float addition is exact; when it is not, its magnitude is at least
 * `2^53` and so is the rounded float (monotonic rounding), so the range test fails and both
 * operands move, exactly, into `big`. `bigint` addends go straight to `big`. So the sum is exact
 * for any sequence of safe-integer and `bigint` addends.
 */
export class ExactSum {
  private big = 0n;
  private small = 0;

  /** Adds `value` (a safe integer or a bigint). */
  add(value: number | bigint): void {
    if (typeof value === 'bigint') {
      this.big += value;
      return;
    }
    const sum = this.small + value;
    if (sum <= MAX_SAFE && sum >= -MAX_SAFE) {
      this.small = sum;
    } else {
      this.big += BigInt(this.small) + BigInt(value);
      this.small = 0;
    }
  }

  /** Subtracts `value` (a safe integer or a bigint). */
  subtract(value: number | bigint): void {
    this.add(-value);
  }

  /** The exact sum. */
  value(): bigint {
    // The common case has never left the fast path: one conversion, no bigint addition.
    return this.big === 0n ? BigInt(this.small) : this.big + BigInt(this.small);
  }
}
