/** Every error code this package throws, as a const list (the union type below is derived from it). */
export const S3_SINK_ERROR_CODES = [
  'INVALID_OPTIONS',
  'INVALID_RECORD',
  'WRITE_FAILED',
  'READ_FAILED',
  'CORRUPT_ARCHIVE',
] as const;

/** Error code of an {@link S3SinkError}. */
export type S3SinkErrorCode = (typeof S3_SINK_ERROR_CODES)[number];

/**
 * Base error of `@marketplace/s3-sink`. `code` says what went wrong; `retryable` says whether
 * trying again later may succeed (read by `@marketplace/retry` through the cause chain); `cause`
 * keeps the underlying error.
 */
export class S3SinkError extends Error {
  override readonly name: string = 'S3SinkError';
  /** What went wrong. */
  readonly code: S3SinkErrorCode;
  /** Whether retrying the operation later may succeed. */
  readonly retryable: boolean;

  constructor(
    code: S3SinkErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** An option or argument is invalid (`code: 'INVALID_OPTIONS'`). */
export class S3SinkOptionsError extends S3SinkError {
  override readonly name = 'S3SinkOptionsError';
  /** Name of the offending option, e.g. `bucket`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('INVALID_OPTIONS', `Invalid option "${field}": ${message}`);
    this.field = field;
  }
}

/** A metric-change record of a batch cannot be archived (`code: 'INVALID_RECORD'`), never retryable. */
export class ArchiveRecordError extends S3SinkError {
  override readonly name = 'ArchiveRecordError';
  /** Source position of the offending record, as `topic/partition/offset`. */
  readonly position: string;

  constructor(position: string, message: string, cause?: unknown) {
    super('INVALID_RECORD', `Invalid metric-change record at ${position}: ${message}`, { cause });
    this.position = position;
  }
}

/**
 * An S3 request failed for good: a permanent error (access denied, missing bucket) at once, or a
 * transient one after the retries ran out (`code` `WRITE_FAILED` or `READ_FAILED`; `cause` is the
 * last SDK error).
 */
export class S3RequestError extends S3SinkError {
  override readonly name = 'S3RequestError';
  /** Bucket of the request. */
  readonly bucket: string;
  /** Object key or listed prefix. */
  readonly key: string;
  /** Operation, e.g. `PutObject`, `Upload`, `ListObjectsV2`, `GetObject`. */
  readonly operation: string;
  /** Attempts made before giving up (1 for a permanent error). */
  readonly attempts: number;

  constructor(
    code: 'WRITE_FAILED' | 'READ_FAILED',
    fields: {
      bucket: string;
      key: string;
      operation: string;
      attempts: number;
      retryable: boolean;
      cause: unknown;
    },
  ) {
    super(
      code,
      `${fields.operation} s3://${fields.bucket}/${fields.key} failed after ${fields.attempts} attempt(s): ${describe(fields.cause)}`,
      { cause: fields.cause, retryable: fields.retryable },
    );
    this.bucket = fields.bucket;
    this.key = fields.key;
    this.operation = fields.operation;
    this.attempts = fields.attempts;
  }
}

/** An archived object cannot be decoded (`code: 'CORRUPT_ARCHIVE'`): bad gzip or a bad line. */
export class CorruptArchiveError extends S3SinkError {
  override readonly name = 'CorruptArchiveError';
  /** Object key. */
  readonly key: string;
  /** 1-based line number, when a line is at fault. */
  readonly line: number | undefined;

  constructor(key: string, line: number | undefined, cause: unknown) {
    super(
      'CORRUPT_ARCHIVE',
      `Archive object ${key}${line === undefined ? '' : ` line ${line}`} is corrupt: ${describe(cause)}`,
      {
        cause,
      },
    );
    this.key = key;
    this.line = line;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
