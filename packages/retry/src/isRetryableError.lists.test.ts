import { describe, expect, it } from 'vitest';
import { isRetryableError, RETRYABLE_ERROR_NAMES, RETRYABLE_NETWORK_CODES } from './isRetryableError.js';

// Every entry of the documented lists is checked on its own, so dropping or misspelling one fails
// a test named after it (found by mutation testing: only a few names were exercised before).
describe('isRetryableError lists', () => {
  it.each([
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
    'InternalServerError',
    'InternalError',
    'InternalFailure',
    'ServiceUnavailable',
    'ServiceUnavailableException',
    'RequestTimeout',
    'RequestTimeoutException',
    'TimeoutError',
  ])('retries an AWS error named %s with a 400 status and no $retryable', (name) => {
    const error = Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 400 } });

    expect(RETRYABLE_ERROR_NAMES.has(name)).toBe(true);
    expect(isRetryableError(error)).toBe(true);
  });

  it.each([
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
  ])('retries a network error with code %s', (code) => {
    expect(RETRYABLE_NETWORK_CODES.has(code)).toBe(true);
    expect(isRetryableError(Object.assign(new Error(code), { code }))).toBe(true);
  });

  it('retries a server fault with status exactly 500', () => {
    const error = Object.assign(new Error('boom'), { name: 'SomeFault', $metadata: { httpStatusCode: 500 } });

    expect(isRetryableError(error)).toBe(true);
  });

  it('reads the other signs of a KafkaJS-named error that carries no retriable flag', () => {
    const error = Object.assign(new Error('socket'), { name: 'KafkaJSConnectionError', code: 'ECONNRESET' });

    expect(isRetryableError(error)).toBe(true);
  });

  it('follows exactly 32 causes below the outer error, not 33', () => {
    const wrap = (levels: number): Error => {
      let error: Error = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      for (let level = 0; level < levels; level += 1) error = new Error(`level ${level}`, { cause: error });
      return error;
    };

    expect(isRetryableError(wrap(32))).toBe(true);
    expect(isRetryableError(wrap(33))).toBe(false);
  });

  it('bounds the depth through the errors of nested AggregateErrors as through causes', () => {
    const nest = (levels: number): Error => {
      let error: Error = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      for (let level = 0; level < levels; level += 1) error = new AggregateError([error], `level ${level}`);
      return error;
    };

    expect(isRetryableError(nest(32))).toBe(true);
    expect(isRetryableError(nest(33))).toBe(false);
  });

  it('visits each error once in a graph where aggregates list each other many times', () => {
    // Without remembering visited errors this graph has 3^32 paths; the call must return at once.
    const a = new AggregateError([], 'a');
    const b = new AggregateError([], 'b');
    Object.assign(a, { errors: [b, a, b], cause: b });
    Object.assign(b, { errors: [a, b, a], cause: a });

    expect(isRetryableError(a)).toBe(false);
  });
});
