import { createOptionChecks, mergeOptions } from '@marketplace/options';
import { AggregatorOptionsError } from './errors.js';

/** The option checks of this package: `(value, field, ...)`, throwing {@link AggregatorOptionsError}. */
const check = createOptionChecks(
  (field, message, value) => new AggregatorOptionsError(field, message, value),
);

/** Default low-stock threshold: a product not deleted with `quantity < 10` is low on stock. */
export const DEFAULT_LOW_STOCK_THRESHOLD = 10;

/** Options shared by {@link PartialAggregates} and `computeMetrics`. */
export interface AggregatorOptions {
  /**
   * A product not deleted is low on stock when `quantity < lowStockThreshold`. A non-negative
   * safe integer; `0` disables low-stock tracking.
   * @default 10
   */
  lowStockThreshold?: number;
}

/** Defaults of {@link AggregatorOptions} (frozen). */
export const DEFAULT_AGGREGATOR_OPTIONS: Readonly<Required<AggregatorOptions>> = Object.freeze({
  lowStockThreshold: DEFAULT_LOW_STOCK_THRESHOLD,
});

/**
 * Merges `options` over {@link DEFAULT_AGGREGATOR_OPTIONS} and validates the result.
 * @throws {AggregatorOptionsError} code `INVALID_OPTIONS` naming the field.
 */
export function resolveAggregatorOptions(
  options: AggregatorOptions | undefined,
): Required<AggregatorOptions> {
  const merged = mergeOptions(DEFAULT_AGGREGATOR_OPTIONS, options);
  return { lowStockThreshold: check.integer(merged.lowStockThreshold, 'lowStockThreshold', 0) };
}
