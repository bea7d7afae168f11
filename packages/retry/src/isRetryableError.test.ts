import { describe, expect, it } from 'vitest';
import { RetryError } from './errors.js';
import { isRetryableError } from './isRetryableError.js';

/** Builds an error shaped like an AWS SDK v3 service exception. */
function awsError(name: string, httpStatusCode: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} from AWS`), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode },
    ...extra,
  });
}

/** Builds an error shaped like a KafkaJS error (KafkaJSError sets `retriable`). */
function kafkaError(name: string, retriable: boolean): Error {
  return Object.assign(new Error(`${name} from kafkajs`), { name, retriable });
}

function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9092`), { code, errno: -1, syscall: 'connect' });
}

describe('isRetryableError', () => {
  it.each([
    ['an error with retryable: true', Object.assign(new Error('x'), { retryable: true })],
    ['an AWS error carrying $retryable', awsError('SomethingNew', 400, { $retryable: { throttling: true } })],
    ['an AWS 500', awsError('InternalServerError', 500)],
    ['an AWS 503 with an unknown name', awsError('WeirdGatewayThing', 503)],
    ['an AWS 429 with an unknown name', awsError('Whatever', 429)],
    ['ThrottlingException', awsError('ThrottlingException', 400)],
    ['ProvisionedThroughputExceededException', awsError('ProvisionedThroughputExceededException', 400)],
    ['RequestLimitExceeded', awsError('RequestLimitExceeded', 400)],
    ['TooManyRequestsException', awsError('TooManyRequestsException', 400)],
    ['S3 SlowDown', awsError('SlowDown', 400)],
    ['ServiceUnavailable without metadata', Object.assign(new Error('x'), { name: 'ServiceUnavailable' })],
    ['S3 RequestTimeout', awsError('RequestTimeout', 400)],
    ['a smithy TimeoutError', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' })],
    ['ECONNRESET', networkError('ECONNRESET')],
    ['ECONNREFUSED', networkError('ECONNREFUSED')],
    ['ETIMEDOUT', networkError('ETIMEDOUT')],
    ['EPIPE', networkError('EPIPE')],
    ['EAI_AGAIN', networkError('EAI_AGAIN')],
    ['a plain object with a network code', { code: 'ECONNRESET' }],
    ['a retriable KafkaJS error', kafkaError('KafkaJSConnectionError', true)],
    ['a retriable KafkaJS protocol error', kafkaError('KafkaJSProtocolError', true)],
    [
      'a wrapper whose cause is throttled',
      new Error('write failed', { cause: awsError('ThrottlingException', 400) }),
    ],
    [
      'a network error two causes deep',
      new Error('batch failed', { cause: new Error('send failed', { cause: networkError('ECONNRESET') }) }),
    ],
    [
      'an AggregateError with one retryable error',
      new AggregateError([new Error('no'), networkError('EPIPE')]),
    ],
  ])('treats %s as retryable', (_label, error) => {
    expect(isRetryableError(error)).toBe(true);
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['a TypeError', new TypeError('x is not a function')],
    ['an error with retryable: false', Object.assign(new Error('x'), { retryable: false })],
    ['AWS AccessDeniedException', awsError('AccessDeniedException', 403)],
    ['AWS ResourceNotFoundException', awsError('ResourceNotFoundException', 400)],
    ['AWS ConditionalCheckFailedException', awsError('ConditionalCheckFailedException', 400)],
    ['ENOTFOUND (a wrong host)', networkError('ENOTFOUND')],
    ['a non-retriable KafkaJS error', kafkaError('KafkaJSNonRetriableError', false)],
    [
      'KafkaJSNumberOfRetriesExceeded wrapping a retriable error',
      Object.assign(kafkaError('KafkaJSNumberOfRetriesExceeded', false), {
        cause: kafkaError('KafkaJSConnectionError', true),
      }),
    ],
    [
      'an error marked retryable: false whose cause is retryable',
      Object.assign(new Error('permanent'), { retryable: false, cause: networkError('ECONNRESET') }),
    ],
    [
      'a RetryError that exhausted retries of a retryable error',
      new RetryError('RETRIES_EXHAUSTED', 'gave up', { attempts: 11, cause: networkError('ECONNRESET') }),
    ],
    [
      'an AggregateError of permanent errors',
      new AggregateError([new Error('a'), awsError('ValidationException', 400)]),
    ],
    ['a non-KafkaJS error with a retriable flag', Object.assign(new Error('x'), { retriable: true })],
    ['a string', 'ECONNRESET'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 503],
  ])('treats %s as not retryable', (_label, error) => {
    expect(isRetryableError(error)).toBe(false);
  });

  it('decides by the outermost error that says something', () => {
    const inner = Object.assign(new Error('inner'), { retryable: false });
    const outer = new Error('outer', {
      cause: Object.assign(new Error('middle'), { retryable: true, cause: inner }),
    });

    expect(isRetryableError(outer)).toBe(true);
  });

  it('terminates on a cyclic cause chain', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });

    expect(isRetryableError(a)).toBe(false);
  });

  it('stops following causes after 32 levels', () => {
    let deep: Error = networkError('ECONNRESET');
    for (let level = 0; level < 40; level += 1) deep = new Error(`level ${level}`, { cause: deep });
    let shallow: Error = networkError('ECONNRESET');
    for (let level = 0; level < 10; level += 1) shallow = new Error(`level ${level}`, { cause: shallow });

    expect(isRetryableError(deep)).toBe(false);
    expect(isRetryableError(shallow)).toBe(true);
  });

  it('ignores non-numeric status codes and non-string codes', () => {
    const error = Object.assign(new Error('x'), { $metadata: { httpStatusCode: '503' }, code: 104 });

    expect(isRetryableError(error)).toBe(false);
  });
});
