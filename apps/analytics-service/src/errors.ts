/** Error codes of the analytics service. */
export const SERVICE_ERROR_CODES = [
  'INVALID_CONFIG',
  'INVALID_ARGUMENTS',
  'SHUTDOWN_TIMEOUT',
  'MISSING_DEMO_DEPENDENCY',
  'KAFKAJS_UNPATCHED',
] as const;

/** One of {@link SERVICE_ERROR_CODES}. */
export type ServiceErrorCode = (typeof SERVICE_ERROR_CODES)[number];

/** Base error of the analytics service: a string `code`, `cause` kept, `retryable` flag. */
export class ServiceError extends Error {
  /** Machine-readable code. */
  readonly code: ServiceErrorCode;
  /** Whether retrying the same thing may succeed (never for configuration errors). */
  readonly retryable: boolean;

  constructor(
    code: ServiceErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** One invalid environment variable (or option) and why. */
export interface ConfigIssue {
  /** Name of the environment variable, e.g. `HTTP_PORT`. */
  readonly variable: string;
  /** What is wrong and what is expected. */
  readonly message: string;
}

/**
 * The configuration is invalid. Lists EVERY bad variable at once (code `INVALID_CONFIG`), so an
 * operator fixes them in one go. The process exits with code 2 and starts nothing.
 */
export class ConfigError extends ServiceError {
  /** Every invalid variable, in the order they were checked. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `  - ${issue.variable}: ${issue.message}`);
    super(
      'INVALID_CONFIG',
      `Invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** The command line could not be understood (code `INVALID_ARGUMENTS`); exit code 2. */
export class ArgumentsError extends ServiceError {
  constructor(message: string) {
    super('INVALID_ARGUMENTS', message);
    this.name = 'ArgumentsError';
  }
}

/**
 * Demo mode needs a development dependency that a production install leaves out (code
 * `MISSING_DEMO_DEPENDENCY`); exit code 1. The production image has only production dependencies.
 */
export class MissingDemoDependencyError extends ServiceError {
  /** The packages that could not be found. */
  readonly missing: readonly string[];

  constructor(missing: readonly string[], cause?: unknown) {
    super(
      'MISSING_DEMO_DEPENDENCY',
      `demo mode (KAFKA_BROKERS is not set) needs ${missing.join(' and ')}, development ` +
        'dependencies that production installs leave out: run the demo from a repository checkout ' +
        'after `pnpm install`, or set KAFKA_BROKERS to run the service in production mode',
      { cause },
    );
    this.name = 'MissingDemoDependencyError';
    this.missing = missing;
  }
}
