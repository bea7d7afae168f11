/** Every `code` an {@link AggregatorError} can carry. */
export const AGGREGATOR_ERROR_CODES = Object.freeze([
  'INVALID_OPTIONS',
  'INVALID_ARGUMENT',
  'INVALID_METRIC_CHANGE',
  'INVALID_PRODUCT_STATE',
] as const);

/**
 * Code of an {@link AggregatorError}:
 * - `INVALID_OPTIONS`: an option (e.g. `lowStockThreshold`) is invalid ({@link AggregatorOptionsError}).
 * - `INVALID_ARGUMENT`: a function argument is outside its domain (e.g. a negative `group`).
 * - `INVALID_METRIC_CHANGE`: bytes given to `decodeMetricChange` are not a valid metric change ({@link DecodeError}).
 * - `INVALID_PRODUCT_STATE`: bytes given to `decodeProductState` are not a valid product state ({@link DecodeError}).
 */
export type AggregatorErrorCode = (typeof AGGREGATOR_ERROR_CODES)[number];

/**
 * Base class of every error this package throws. The aggregator is pure, so nothing it throws
 * gets better by trying again: `retryable` is always `false` (read by `@marketplace/retry`
 * through the cause chain).
 */
export class AggregatorError extends Error {
  override readonly name: string = 'AggregatorError';
  /** What went wrong, from {@link AGGREGATOR_ERROR_CODES}. */
  readonly code: AggregatorErrorCode;
  /** Always `false`: pure computations fail the same way every time. */
  readonly retryable: boolean = false;

  constructor(code: AggregatorErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** An option is invalid (code `INVALID_OPTIONS`); thrown once, at construction. */
export class AggregatorOptionsError extends AggregatorError {
  override readonly name: string = 'AggregatorOptionsError';
  /** Name of the offending option, e.g. `lowStockThreshold`. */
  readonly field: string;
  /** The value that was given. */
  readonly value: unknown;

  /** @param message what was expected and what was given, e.g. `expected an integer >= 0, got -1`. */
  constructor(field: string, message: string, value?: unknown) {
    super('INVALID_OPTIONS', `Invalid aggregator option \`${field}\`: ${message}`);
    this.field = field;
    this.value = value;
  }
}

/**
 * Bytes could not be decoded into a metric change or a product state (code
 * `INVALID_METRIC_CHANGE` or `INVALID_PRODUCT_STATE`). `path` points at the offending field.
 */
export class DecodeError extends AggregatorError {
  override readonly name: string = 'DecodeError';
  /** JSON pointer of the offending field (`''` = the whole document), e.g. `/values/totalValue/USD`. */
  readonly path: string;

  constructor(
    code: 'INVALID_METRIC_CHANGE' | 'INVALID_PRODUCT_STATE',
    path: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, `${path === '' ? '(root)' : path}: ${message}`, options);
    this.path = path;
  }
}

/** Short printable description of an arbitrary value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
