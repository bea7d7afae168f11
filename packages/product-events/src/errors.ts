import type { ProductEventParseError } from './parseErrors.js';

/** Codes of the errors this package throws. Bad input to the parser is never thrown. */
export const PRODUCT_EVENTS_ERROR_CODES = ['INVALID_OPTIONS', 'INVALID_EVENT'] as const;

/** Code of a {@link ProductEventsError}. */
export type ProductEventsErrorCode = (typeof PRODUCT_EVENTS_ERROR_CODES)[number];

/**
 * Base class of the errors thrown by this package. They all signal a programming error
 * (bad options, an invalid event handed to the encoder), so none is retryable.
 */
export class ProductEventsError extends Error {
  /** Machine-readable reason. */
  readonly code: ProductEventsErrorCode;
  /** Always `false`: retrying the same call fails the same way. */
  readonly retryable = false;

  constructor(code: ProductEventsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProductEventsError';
    this.code = code;
  }
}

/** An option is out of range or of the wrong type (code `INVALID_OPTIONS`). */
export class ProductEventsOptionsError extends ProductEventsError {
  /** Name of the offending option, e.g. `maxBytes`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('INVALID_OPTIONS', `Invalid option "${field}": ${message}`);
    this.name = 'ProductEventsOptionsError';
    this.field = field;
  }
}

/** {@link encodeProductEvent} was given an event that breaks the contract (code `INVALID_EVENT`). */
export class InvalidEventError extends ProductEventsError {
  /** What the parser found wrong with the event. */
  readonly parseError: ProductEventParseError;

  constructor(parseError: ProductEventParseError) {
    super(
      'INVALID_EVENT',
      `Invalid product event (${parseError.code} at "${parseError.path}"): ${parseError.message}`,
    );
    this.name = 'InvalidEventError';
    this.parseError = parseError;
  }
}
