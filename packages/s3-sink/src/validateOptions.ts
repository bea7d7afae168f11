import { createOptionChecks } from '@marketplace/options';
import { S3SinkOptionsError } from './errors.js';

/** The option checks of this package: `(value, field, ...)`, throwing {@link S3SinkOptionsError}. */
export const check = createOptionChecks((field, message) => new S3SinkOptionsError(field, message));

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Checks a bucket name (3-63 characters, S3 rules, loosely). */
export function checkBucket(value: unknown): string {
  return check.string(value, 'bucket', BUCKET, 'an S3 bucket name');
}

/** Checks a key prefix (a string of at most 512 characters; slashes at the ends are dropped later). */
export function checkPrefix(value: unknown): string {
  return check.string(value, 'prefix', /^[\s\S]{0,512}$/, 'a string of at most 512 characters');
}

/** Checks that a required SDK client is present (an object with `send()`). */
export function checkClient<T>(value: T | undefined): T {
  return check.methods(value as T, 'client', ['send']);
}
