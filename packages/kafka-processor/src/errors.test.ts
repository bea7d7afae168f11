import { describe, expect, it } from 'vitest';
import {
  InternalTopicError,
  KafkaProcessorOptionsError,
  PROCESSOR_ERROR_CODES,
  ProcessorError,
  ProducerFencedError,
  RestoreError,
  ShutdownTimeoutError,
  TopicMismatchError,
  TransactionError,
} from './errors.js';

describe('processor errors', () => {
  it('carry a code from the list, a retryable flag and the cause', () => {
    const cause = new Error('broker said no');
    const errors: ProcessorError[] = [
      new KafkaProcessorOptionsError('applicationId', 'expected a name'),
      new TopicMismatchError({ a: 1, b: null }),
      new InternalTopicError('analytics.product-state', 'not compacted', cause),
      new RestoreError([1, 2], 'timed out'),
      new ProducerFencedError(3, 'app-aggregate-g3', cause),
      new TransactionError(4, 'product.updated', '99', cause),
      new ShutdownTimeoutError(10_000),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(ProcessorError);
      expect(PROCESSOR_ERROR_CODES).toContain(error.code);
      expect(typeof error.retryable).toBe('boolean');
    }
    expect(errors.map((e) => e.retryable)).toEqual([false, false, false, true, false, true, false]);
    expect(errors[2]!.cause).toBe(cause);
    expect(errors[5]!.cause).toBe(cause);
  });

  it('name what went wrong in the message and in structured fields', () => {
    const restore = new RestoreError([5], 'corrupt record', { retryable: false });
    expect(restore.groups).toEqual([5]);
    expect(restore.retryable).toBe(false);
    expect(restore.message).toContain('group(s) 5');
    const fenced = new ProducerFencedError(3, 'app-aggregate-g3');
    expect([fenced.group, fenced.transactionalId]).toEqual([3, 'app-aggregate-g3']);
    const failed = new TransactionError(4, 'product.updated', '99', new Error('x'));
    expect([failed.group, failed.topic, failed.lastOffset]).toEqual([4, 'product.updated', '99']);
    expect(new ShutdownTimeoutError(250).timeoutMs).toBe(250);
    const internal = new InternalTopicError('t', 'missing');
    expect([internal.topic, internal.problem]).toEqual(['t', 'missing']);
    expect(new ProcessorError('INVALID_STATE', 'x').cause).toBeUndefined();
  });
});

describe('TransactionError', () => {
  it('is not retryable when the broker refused the output as too large', () => {
    const tooLarge = Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' });
    expect(new TransactionError(1, 't', '9', tooLarge).retryable).toBe(false);
    const listTooLarge = new Error('wrapped', { cause: { type: 'RECORD_LIST_TOO_LARGE' } });
    expect(new TransactionError(1, 't', '9', listTooLarge).retryable).toBe(false);
    const byMessage = new Error(
      'The request included a message larger than the max message size the server will accept',
    );
    expect(new TransactionError(1, 't', '9', byMessage).retryable).toBe(false);
    expect(new TransactionError(1, 't', '9', new Error('network')).retryable).toBe(true);
  });
});
