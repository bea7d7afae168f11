/**
 * The parser's error codes and error shape: a leaf module that imports nothing, so `errors.ts`,
 * `parse.ts` and `generator.ts` can all name them without an import cycle.
 */

/** Longest excerpt of offending input (key, header value) that an error message quotes, in characters. */
export const MAX_QUOTED_LENGTH = 64;

/** Every {@link ParseErrorCode}, in the order the parser checks them. */
export const PARSE_ERROR_CODES = [
  'PAYLOAD_TOO_LARGE',
  'INVALID_UTF8',
  'INVALID_JSON',
  'TOO_DEEP',
  'NOT_AN_OBJECT',
  'UNKNOWN_TYPE',
  'UNSUPPORTED_SCHEMA_VERSION',
  'SCHEMA_VIOLATION',
  'EVENT_TIME_IN_FUTURE',
  'MISSING_KEY',
  'KEY_MISMATCH',
  'HEADER_MISMATCH',
] as const;

/** Why a value is not a valid product event (see {@link PARSE_ERROR_CODES}). */
export type ParseErrorCode = (typeof PARSE_ERROR_CODES)[number];

/** A validation failure of `parseProductEvent`: plain data, so it can cross worker threads and go into dead letters. */
export interface ProductEventParseError {
  /** What is wrong. */
  code: ParseErrorCode;
  /** JSON pointer (RFC 6901) of the offending value; `''` is the whole payload. */
  path: string;
  /**
   * Human-readable explanation. Quotes at most {@link MAX_QUOTED_LENGTH} characters of any
   * offending text, so it stays short whatever the input.
   */
  message: string;
}
