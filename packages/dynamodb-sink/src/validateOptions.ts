import { InvalidOptionsError } from './errors.js';
import type { Logger } from './logger.js';

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** Checks a DynamoDB table name (3-255 of `A-Z a-z 0-9 _ - .`). */
export function checkTableName(value: unknown, field = 'tableName'): string {
  if (typeof value !== 'string' || !TABLE_NAME.test(value)) {
    throw new InvalidOptionsError(
      field,
      `must be 3-255 characters of A-Z a-z 0-9 _ - . (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

/** Checks an integer option within bounds. */
export function checkInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionsError(field, `must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

/** Checks a positive finite number option. */
export function checkPositive(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionsError(field, `must be a positive number (got ${String(value)})`);
  }
  return value;
}

/** Checks that a required SDK client is present. */
export function checkClient<T>(value: T | undefined, field = 'client'): T {
  if (value === undefined || value === null || typeof (value as { send?: unknown }).send !== 'function') {
    throw new InvalidOptionsError(field, 'must be an AWS SDK client (an object with send())');
  }
  return value;
}

/** Checks an optional logger. */
export function checkLogger(value: Logger | undefined, fallback: Logger): Logger {
  if (value === undefined) return fallback;
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof value[level] !== 'function')
      throw new InvalidOptionsError('logger', `must have a ${level}() method`);
  }
  return value;
}

/** Copy of an options object without its `undefined` values, to spread over defaults. */
export function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
