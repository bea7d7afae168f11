import { isRetryableError, RetryError } from '@marketplace/retry';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ProducerFencedError } from './errors.js';
import {
  isConcurrentTransactionsError,
  isPermanentError,
  isProducerFencedError,
  isRebalanceError,
} from './kafkaErrors.js';

const { KafkaJSNonRetriableError, KafkaJSProtocolError } = kafkajs;

function protocolError(type: string, code: number, message: string): Error {
  return new KafkaJSProtocolError({ type, code, message, retriable: false } as unknown as Error);
}

describe('isProducerFencedError', () => {
  it('recognises INVALID_PRODUCER_EPOCH wrapped by kafkajs retries', () => {
    const cause = protocolError(
      'INVALID_PRODUCER_EPOCH',
      47,
      'Producer attempted an operation with an old epoch',
    );
    expect(isProducerFencedError(Object.assign(new KafkaJSNonRetriableError(cause), { cause }))).toBe(true);
  });

  it('recognises PRODUCER_FENCED, which kafkajs 2.2.4 reports as an unknown error code 90', () => {
    expect(isProducerFencedError(protocolError('PRODUCER_FENCED', 90, 'fenced'))).toBe(true);
    expect(isProducerFencedError(new Error('Unknown error code 90'))).toBe(true);
  });

  it('recognises our own ProducerFencedError anywhere in the cause chain', () => {
    expect(
      isProducerFencedError(new Error('outer', { cause: new ProducerFencedError(2, 'app-aggregate-g2') })),
    ).toBe(true);
  });

  it('does not mistake other failures for fencing', () => {
    expect(isProducerFencedError(protocolError('NOT_LEADER_FOR_PARTITION', 6, 'not leader'))).toBe(false);
    expect(isProducerFencedError(new Error('timeout'))).toBe(false);
    expect(isProducerFencedError('fenced?')).toBe(false);
    expect(isProducerFencedError(null)).toBe(false);
  });

  it('stops at a cyclic cause chain', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    a.cause = a;
    expect(isProducerFencedError(a)).toBe(false);
  });
});

describe('isConcurrentTransactionsError', () => {
  it('recognises the coordinator still completing the previous transaction, wrapped or not', () => {
    const concurrent = protocolError('CONCURRENT_TRANSACTIONS', 51, 'concurrent');
    expect(isConcurrentTransactionsError(concurrent)).toBe(true);
    expect(isConcurrentTransactionsError(new Error('wrapped', { cause: concurrent }))).toBe(true);
    expect(isConcurrentTransactionsError(new Error('other'))).toBe(false);
  });
});

describe('isRebalanceError', () => {
  it('recognises the errors that make kafkajs rejoin the group', () => {
    for (const type of [
      'REBALANCE_IN_PROGRESS',
      'NOT_COORDINATOR_FOR_GROUP',
      'ILLEGAL_GENERATION',
      'UNKNOWN_MEMBER_ID',
    ]) {
      expect(isRebalanceError(new Error('wrapped', { cause: protocolError(type, 27, type) }))).toBe(true);
    }
    expect(isRebalanceError(new Error('other'))).toBe(false);
  });
});

describe('isPermanentError', () => {
  it('calls an error that is not retryable permanent (access denied, an undecodable changelog)', () => {
    expect(isPermanentError(Object.assign(new Error('denied'), { retryable: false }), isRetryableError)).toBe(
      true,
    );
    expect(
      isPermanentError(protocolError('GROUP_AUTHORIZATION_FAILED', 30, 'denied'), isRetryableError),
    ).toBe(true);
  });

  it('does not call retries spent on a transient fault permanent, ours or kafkajs', () => {
    const throttled = Object.assign(new Error('throttled'), { retryable: true });
    const spent = new RetryError('RETRIES_EXHAUSTED', 'gave up', { attempts: 3, cause: throttled });
    const kafkaSpent = Object.assign(new Error('spent'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
    });
    expect(isPermanentError(spent, isRetryableError)).toBe(false);
    expect(isPermanentError(kafkaSpent, isRetryableError)).toBe(false);
    expect(isPermanentError(throttled, isRetryableError)).toBe(false);
  });
});
