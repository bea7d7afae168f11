/**
 * Error names (AWS SDK v3 `name`, which is the service's error code) of throttling and
 * transient server/timeout faults. Any AWS service, so S3 (`SlowDown`, `InternalError`) and
 * DynamoDB (`ProvisionedThroughputExceededException`, `InternalServerError`) alike.
 */
export const RETRYABLE_ERROR_NAMES: ReadonlySet<string> = new Set([
  // throttling
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'SlowDown',
  'PriorRequestNotComplete',
  'TransactionInProgressException',
  // transient server faults
  'InternalServerError',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  // timeouts
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/**
 * Node.js network error codes (`error.code`) treated as transient. `ENOTFOUND` is deliberately
 * absent: an unknown host is almost always a wrong endpoint, which retrying cannot fix.
 */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** How deep the cause chain is followed; guards against pathological or cyclic chains. */
const MAX_DEPTH = 32;

type Verdict = boolean | undefined;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** What one error says about itself, ignoring its causes: true, false, or nothing. */
function ownVerdict(error: Record<string, unknown>): Verdict {
  // An explicit flag (our packages' errors) always decides.
  if (typeof error['retryable'] === 'boolean') return error['retryable'];
  const name = typeof error['name'] === 'string' ? error['name'] : '';
  // KafkaJS: every KafkaJSError has `retriable` (false for KafkaJSNonRetriableError and its
  // subclasses such as KafkaJSNumberOfRetriesExceeded, whose own retries are already spent).
  if (name.startsWith('KafkaJS') && typeof error['retriable'] === 'boolean') return error['retriable'];
  // AWS SDK v3: the SDK marks throttling/transient errors with `$retryable`.
  if (isObject(error['$retryable'])) return true;
  const metadata = error['$metadata'];
  if (isObject(metadata)) {
    const status = metadata['httpStatusCode'];
    if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
  }
  if (RETRYABLE_ERROR_NAMES.has(name)) return true;
  const code = error['code'];
  if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) return true;
  return undefined;
}

function verdict(error: unknown, seen: Set<unknown>, depth: number): Verdict {
  if (!isObject(error) || seen.has(error) || depth > MAX_DEPTH) return undefined;
  seen.add(error);
  const own = ownVerdict(error);
  if (own !== undefined) return own;
  if (Array.isArray(error['errors'])) {
    for (const inner of error['errors']) {
      if (verdict(inner, seen, depth + 1) === true) return true;
    }
  }
  return verdict(error['cause'], seen, depth + 1);
}

/**
 * Whether an error is worth retrying: a transient fault rather than a permanent one.
 *
 * Walks the error and then its `cause` chain (and the `errors` of an `AggregateError`), and the
 * first error that says something decides:
 * 1. an explicit boolean `retryable` (what this monorepo's errors carry) decides either way;
 * 2. a KafkaJS error (`name` starting with `KafkaJS`) decides by its `retriable` flag;
 * 3. an AWS SDK v3 error is retryable when it carries `$retryable`, has
 *    `$metadata.httpStatusCode` >= 500 or 429, or its name is a throttling/transient/timeout
 *    name ({@link RETRYABLE_ERROR_NAMES});
 * 4. a Node.js network error is retryable when its `code` is in {@link RETRYABLE_NETWORK_CODES}.
 *
 * An `AggregateError` without a verdict of its own is retryable when any of its errors is.
 * Everything else (validation errors, access denied, missing resources, programming errors,
 * non-objects) is not retryable.
 *
 * @example
 * ```ts
 * isRetryableError(Object.assign(new Error('slow'), { name: 'ThrottlingException' })); // true
 * isRetryableError(new Error('outer', { cause: { code: 'ECONNRESET' } }));            // true
 * isRetryableError(new TypeError('x is undefined'));                                  // false
 * ```
 */
export function isRetryableError(error: unknown): boolean {
  return verdict(error, new Set(), 0) === true;
}
