export { DEFAULT_RETRY_OPTIONS } from './defaults.js';
export type { RetryErrorCode, RetryErrorInit } from './errors.js';
export { RETRY_ERROR_CODES, RetryError, RetryOptionsError } from './errors.js';
export { isRetryableError, RETRYABLE_ERROR_NAMES, RETRYABLE_NETWORK_CODES } from './isRetryableError.js';
export { mapBounded } from './mapBounded.js';
export type { RetryInfo, RetryOptions } from './withRetry.js';
export { backoffDelay, withRetry } from './withRetry.js';
export { type RetryAndWrapOptions, type RetryFailure, withRetryAndWrap } from './withRetryAndWrap.js';
