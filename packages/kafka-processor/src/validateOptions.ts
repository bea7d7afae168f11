import { InvalidProcessorOptionsError } from './errors.js';

/** Throws `INVALID_OPTIONS` naming `field` unless `value` is an integer in [min, max]. */
export function checkInteger(
  field: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new InvalidProcessorOptionsError(field, `expected an integer ${range}, got ${String(value)}`);
  }
  return value;
}

/** Throws `INVALID_OPTIONS` naming `field` unless `value` is a non-empty string of Kafka-safe characters. */
export function checkName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(value)) {
    throw new InvalidProcessorOptionsError(
      field,
      `expected 1-200 characters of [A-Za-z0-9._-], got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Throws `INVALID_OPTIONS` naming `field` unless `value` is a boolean. */
export function checkBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidProcessorOptionsError(field, `expected a boolean, got ${String(value)}`);
  }
  return value;
}

/** Throws `INVALID_OPTIONS` naming `field` unless `value` has the given methods. */
export function checkObject<T>(field: string, value: T, methods: readonly string[]): T {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) {
    throw new InvalidProcessorOptionsError(field, `expected an object with ${methods.join(', ')}`);
  }
  return value;
}
