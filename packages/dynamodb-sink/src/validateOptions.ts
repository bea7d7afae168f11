import { createOptionChecks } from '@marketplace/options';
import { DynamoDbSinkOptionsError } from './errors.js';

/** The option checks of this package: `(value, field, ...)`, throwing {@link DynamoDbSinkOptionsError}. */
export const check = createOptionChecks((field, message) => new DynamoDbSinkOptionsError(field, message));

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** Checks a DynamoDB table name (3-255 of `A-Z a-z 0-9 _ - .`). */
export function checkTableName(value: unknown, field = 'tableName'): string {
  return check.string(value, field, TABLE_NAME, '3-255 characters of A-Z a-z 0-9 _ - .');
}

/** Checks that a required SDK client is present (an object with `send()`). */
export function checkClient<T>(value: T | undefined, field = 'client'): T {
  return check.methods(value as T, field, ['send']);
}
