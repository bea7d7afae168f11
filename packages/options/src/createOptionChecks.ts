import { type Logger, SILENT_LOGGER } from './logger.js';

/**
 * Makes the package's own options error (`<Package>OptionsError`) for an invalid option:
 * `field` names the option, `message` says what was expected and what was given.
 */
export type OptionsErrorFactory = (field: string, message: string, value: unknown) => Error;

/**
 * Option checks bound to one package's error class. Every check takes `(value, field, ...)`,
 * returns the value (typed) when it is valid, and throws the package's error naming `field`
 * otherwise.
 */
export interface OptionChecks {
  /** An integer from `min` to `max` (inclusive). @default max Number.MAX_SAFE_INTEGER */
  integer(value: unknown, field: string, min: number, max?: number): number;
  /** A finite number greater than 0. */
  positive(value: unknown, field: string): number;
  /** A finite number from `min` to `max` (inclusive). @default max Number.MAX_VALUE */
  number(value: unknown, field: string, min: number, max?: number): number;
  /** `true` or `false`. */
  boolean(value: unknown, field: string): boolean;
  /** A string matching `pattern`; `expected` describes the pattern for the message. */
  string(value: unknown, field: string, pattern: RegExp, expected: string): string;
  /** A valid `Date`. */
  date(value: unknown, field: string): Date;
  /** A function. */
  func<T extends (...args: never[]) => unknown>(value: T, field: string): T;
  /** An object with the given methods (a client, a hook set). */
  methods<T>(value: T, field: string, methods: readonly string[]): T;
  /** A {@link Logger}, or {@link SILENT_LOGGER} when `value` is `undefined`. @default field 'logger' */
  logger(value: Logger | undefined, field?: string): Logger;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** A short, bounded rendering of a rejected value for an error message. */
function shown(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
  if (value instanceof Date) return 'an invalid Date';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/**
 * The option checks of one package, throwing that package's options error. Create them once
 * per package (in its `validateOptions.ts`) and use them after {@link mergeOptions}.
 * @example
 * const check = createOptionChecks((field, message) => new S3SinkOptionsError(field, message));
 * const partSize = check.integer(options.partSize, 'partSize', 5 * 1024 * 1024);
 */
export function createOptionChecks(toError: OptionsErrorFactory): OptionChecks {
  const fail = (field: string, expected: string, value: unknown): never => {
    throw toError(field, `expected ${expected}, got ${shown(value)}`, value);
  };
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null;
  return Object.freeze({
    integer(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
        return fail(field, `an integer ${range}`, value);
      }
      return value;
    },
    positive(value: unknown, field: string): number {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
        return fail(field, 'a positive number', value);
      return value;
    },
    number(value: unknown, field: string, min: number, max = Number.MAX_VALUE): number {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
        const range = max === Number.MAX_VALUE ? `>= ${min}` : `from ${min} to ${max}`;
        return fail(field, `a finite number ${range}`, value);
      }
      return value;
    },
    boolean(value: unknown, field: string): boolean {
      if (typeof value !== 'boolean') return fail(field, 'a boolean', value);
      return value;
    },
    string(value: unknown, field: string, pattern: RegExp, expected: string): string {
      if (typeof value !== 'string' || !pattern.test(value)) return fail(field, expected, value);
      return value;
    },
    date(value: unknown, field: string): Date {
      if (!(value instanceof Date) || Number.isNaN(value.getTime()))
        return fail(field, 'a valid Date', value);
      return value;
    },
    func<T extends (...args: never[]) => unknown>(value: T, field: string): T {
      if (typeof value !== 'function') return fail(field, 'a function', value);
      return value;
    },
    methods<T>(value: T, field: string, methods: readonly string[]): T {
      if (!isObject(value) || !methods.every((m) => typeof value[m] === 'function'))
        return fail(field, `an object with ${methods.map((m) => `${m}()`).join(', ')}`, value);
      return value;
    },
    logger(value: Logger | undefined, field = 'logger'): Logger {
      if (value === undefined) return SILENT_LOGGER;
      if (!isObject(value) || !LOG_LEVELS.every((level) => typeof value[level] === 'function'))
        return fail(field, `a logger with ${LOG_LEVELS.map((l) => `${l}()`).join(', ')}`, value);
      return value;
    },
  });
}
