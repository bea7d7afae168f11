/** Every `code` a {@link LocalStackError} can carry. */
export const LOCAL_STACK_ERROR_CODES = Object.freeze([
  'INVALID_OPTIONS',
  'PREREQUISITE_MISSING',
  'MAVEN_RESOLVE_FAILED',
  'START_FAILED',
  'START_TIMEOUT',
  'STATE_FILE_INVALID',
  'NOT_RUNNING',
] as const);

/**
 * Code of a {@link LocalStackError}:
 * - `INVALID_OPTIONS`: an option of `startLocalStack` is invalid; `field` names it.
 * - `PREREQUISITE_MISSING`: `java` or `mvn` is not on `PATH` (or Java is older than 17).
 * - `MAVEN_RESOLVE_FAILED`: Maven could not resolve the Kafka broker or S3Proxy artifacts.
 * - `START_FAILED`: a server exited or failed during start-up; see `component` and `logFile`.
 * - `START_TIMEOUT`: a server did not become ready in time; see `component` and `logFile`.
 * - `STATE_FILE_INVALID`: the CLI state file or an env file cannot be read.
 * - `NOT_RUNNING`: a signal was asked for a Kafka node that is down (`KafkaNode.pause`/`resume`).
 */
export type LocalStackErrorCode = (typeof LOCAL_STACK_ERROR_CODES)[number];

/** A server the local stack starts. */
export type LocalStackComponent = 'kafka' | 's3' | 'dynamodb';

/** Structured fields of a {@link LocalStackError}. */
export interface LocalStackErrorInit {
  /** The server concerned, when the error is about one. */
  component?: LocalStackComponent | undefined;
  /** The server's log file (stdout, stderr and its own log), when it has one. */
  logFile?: string | undefined;
  /** The offending option, for `INVALID_OPTIONS`. */
  field?: string | undefined;
  /** The underlying error. */
  cause?: unknown;
  /** Whether trying again may succeed (e.g. a port taken between choosing and binding it). */
  retryable?: boolean | undefined;
}

/** The base error class of `@marketplace/local-stack`; `code` says what went wrong. */
export class LocalStackError extends Error {
  override readonly name: string = 'LocalStackError';
  /** What went wrong, from {@link LOCAL_STACK_ERROR_CODES}. */
  readonly code: LocalStackErrorCode;
  /** The server concerned, if any. */
  readonly component: LocalStackComponent | undefined;
  /** Where that server's logs are, if any: read it first when start-up fails. */
  readonly logFile: string | undefined;
  /** The offending option for `INVALID_OPTIONS`. */
  readonly field: string | undefined;
  /** Whether trying again may succeed. */
  readonly retryable: boolean;

  constructor(code: LocalStackErrorCode, message: string, init: LocalStackErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.component = init.component;
    this.logFile = init.logFile;
    this.field = init.field;
    this.retryable = init.retryable ?? false;
  }
}

/** An option of `startLocalStack` is invalid (code `INVALID_OPTIONS`); `field` names it. */
export class LocalStackOptionsError extends LocalStackError {
  override readonly name: string = 'LocalStackOptionsError';
  /** The offending option, e.g. `kafka.port`. */
  declare readonly field: string;

  constructor(field: string, message: string) {
    super('INVALID_OPTIONS', `Invalid local-stack option \`${field}\`: ${message}`, { field });
  }
}
