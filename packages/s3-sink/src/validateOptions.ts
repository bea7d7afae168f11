import { ArchiveOptionsError } from './errors.js';
import type { Logger } from './logger.js';

/** Checks an integer option within bounds. */
export function checkInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ArchiveOptionsError(field, `must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

/** Checks a bucket name (3-63 characters, S3 rules, loosely). */
export function checkBucket(value: unknown): string {
  if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)) {
    throw new ArchiveOptionsError('bucket', `must be an S3 bucket name (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** Checks a key prefix (a string; slashes at the ends are dropped later). */
export function checkPrefix(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512) {
    throw new ArchiveOptionsError('prefix', 'must be a string of at most 512 characters');
  }
  return value;
}

/** Checks that a required SDK client is present. */
export function checkClient<T>(value: T | undefined): T {
  if (value === undefined || value === null || typeof (value as { send?: unknown }).send !== 'function') {
    throw new ArchiveOptionsError('client', 'must be an AWS SDK S3Client (an object with send())');
  }
  return value;
}

/** Checks a Date argument. */
export function checkDate(value: unknown, field: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ArchiveOptionsError(field, 'must be a valid Date');
  }
  return value;
}

/** Checks an optional logger. */
export function checkLogger(value: Logger | undefined, fallback: Logger): Logger {
  if (value === undefined) return fallback;
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof value[level] !== 'function')
      throw new ArchiveOptionsError('logger', `must have a ${level}() method`);
  }
  return value;
}

/** Copy of an options object without its `undefined` values, to spread over defaults. */
export function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
