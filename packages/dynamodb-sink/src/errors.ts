/** Every error code this package throws, as a const list (the union type below is derived from it). */
export const DYNAMO_SINK_ERROR_CODES = [
  'INVALID_OPTIONS',
  'INVALID_ARGUMENT',
  'INVALID_RECORD',
  'INVALID_ITEM',
  'UNSUPPORTED_ROW_FORMAT',
  'WRITE_FAILED',
  'READ_FAILED',
  'TABLE_SETUP_FAILED',
] as const;

/** Error code of a {@link DynamoSinkError}. */
export type DynamoSinkErrorCode = (typeof DYNAMO_SINK_ERROR_CODES)[number];

/**
 * Base error of `@marketplace/dynamodb-sink`. `code` says what went wrong; `retryable` says
 * whether trying the same thing again later may succeed (read by `@marketplace/retry` through the
 * cause chain); `cause` keeps the underlying SDK error.
 */
export class DynamoSinkError extends Error {
  override readonly name: string = 'DynamoSinkError';
  /** What went wrong. */
  readonly code: DynamoSinkErrorCode;
  /** Whether retrying the operation later may succeed. */
  readonly retryable: boolean;

  constructor(
    code: DynamoSinkErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** An option passed to a constructor or function is invalid (`code: 'INVALID_OPTIONS'`). */
export class DynamoDbSinkOptionsError extends DynamoSinkError {
  override readonly name = 'DynamoDbSinkOptionsError';
  /** Name of the offending option, e.g. `concurrency`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('INVALID_OPTIONS', `Invalid option "${field}": ${message}`);
    this.field = field;
  }
}

/** An argument of a call is invalid (`code: 'INVALID_ARGUMENT'`), e.g. an empty id or `from` after `to`. */
export class InvalidArgumentError extends DynamoSinkError {
  override readonly name = 'InvalidArgumentError';
  /** Name of the offending argument. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super('INVALID_ARGUMENT', `Invalid argument "${argument}": ${message}`);
    this.argument = argument;
  }
}

/** A metric-change record of a batch cannot be written (`code: 'INVALID_RECORD'`), never retryable. */
export class InvalidRecordError extends DynamoSinkError {
  override readonly name = 'InvalidRecordError';
  /** Source position of the offending record, as `topic/partition/offset`. */
  readonly position: string;

  constructor(position: string, message: string) {
    super('INVALID_RECORD', `Invalid metric-change record at ${position}: ${message}`);
    this.position = position;
  }
}

/** A stored item does not have the expected shape (`code: 'INVALID_ITEM'`). */
export class InvalidItemError extends DynamoSinkError {
  override readonly name = 'InvalidItemError';
  /** Partition key of the item. */
  readonly pk: string;
  /** Sort key of the item. */
  readonly sk: string;

  constructor(pk: string, sk: string, message: string) {
    super('INVALID_ITEM', `Invalid item ${pk} / ${sk}: ${message}`);
    this.pk = pk;
    this.sk = sk;
  }
}

/**
 * A stored row is of a format this reader does not know (`code: 'UNSUPPORTED_ROW_FORMAT'`): written
 * before money was kept per currency (no `rowFormat`), or by a newer writer. Never retryable; the
 * row is not read rather than misread.
 */
export class UnsupportedRowFormatError extends DynamoSinkError {
  override readonly name = 'UnsupportedRowFormatError';
  /** Partition key of the row. */
  readonly pk: string;
  /** Sort key of the row. */
  readonly sk: string;
  /** The row's `rowFormat` as stored (a decimal string), `undefined` when it has none. */
  readonly found: string | undefined;
  /** The newest format this reader knows (it reads format 2 up to this one). */
  readonly expected: number;

  constructor(pk: string, sk: string, found: string | undefined, expected: number) {
    super(
      'UNSUPPORTED_ROW_FORMAT',
      `Row ${pk} / ${sk} has ${
        found === undefined
          ? 'no rowFormat (format 1: one money sum over every currency)'
          : `rowFormat ${found}`
      }; this reader knows rowFormat 2 to ${expected}`,
    );
    this.pk = pk;
    this.sk = sk;
    this.found = found;
    this.expected = expected;
  }
}

/**
 * A DynamoDB request failed for good: permanent error (access denied, missing table) at once, or a
 * transient one after the retries ran out. `code` is `WRITE_FAILED`, `READ_FAILED` or
 * `TABLE_SETUP_FAILED`; `cause` is the last SDK error.
 */
export class DynamoRequestError extends DynamoSinkError {
  override readonly name = 'DynamoRequestError';
  /** Table the request went to. */
  readonly tableName: string;
  /** SDK operation, e.g. `PutItem`. */
  readonly operation: string;
  /** Key of the item or partition concerned, when there is one. */
  readonly key: { pk: string; sk?: string } | undefined;
  /** Requests sent before giving up (1 for a permanent error). */
  readonly attempts: number;

  constructor(
    code: 'WRITE_FAILED' | 'READ_FAILED' | 'TABLE_SETUP_FAILED',
    fields: {
      tableName: string;
      operation: string;
      key?: { pk: string; sk?: string };
      attempts: number;
      retryable: boolean;
      cause: unknown;
    },
  ) {
    const where = fields.key
      ? ` (${fields.key.pk}${fields.key.sk === undefined ? '' : ` / ${fields.key.sk}`})`
      : '';
    super(
      code,
      `${fields.operation} on table "${fields.tableName}"${where} failed after ${fields.attempts} attempt(s): ${describe(fields.cause)}`,
      { cause: fields.cause, retryable: fields.retryable },
    );
    this.tableName = fields.tableName;
    this.operation = fields.operation;
    this.key = fields.key;
    this.attempts = fields.attempts;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
