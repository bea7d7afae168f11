import { describe, expect, it } from 'vitest';
import { AggregatorError, AggregatorOptionsError, DecodeError, describe as describeValue } from './errors.js';

describe('AggregatorError', () => {
  it('carries a code, keeps the cause and is never retryable', () => {
    const cause = new Error('boom');

    const error = new AggregatorError('INVALID_ARGUMENT', 'bad', { cause });

    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'AggregatorError',
      code: 'INVALID_ARGUMENT',
      retryable: false,
      cause,
    });
    expect(new AggregatorError('INVALID_ARGUMENT', 'bad').cause).toBeUndefined();
  });

  it('names the option and the given value in an option error', () => {
    const error = new AggregatorOptionsError('lowStockThreshold', 'expected a number, got "ten"', 'ten');

    expect(error).toBeInstanceOf(AggregatorError);
    expect(error).toMatchObject({ field: 'lowStockThreshold', value: 'ten', code: 'INVALID_OPTIONS' });
    expect(error.message).toBe('Invalid aggregator option `lowStockThreshold`: expected a number, got "ten"');
  });

  it('prefixes decode errors with the JSON pointer of the field', () => {
    expect(new DecodeError('INVALID_PRODUCT_STATE', '/q', 'expected a number').message).toBe(
      '/q: expected a number',
    );
    expect(new DecodeError('INVALID_PRODUCT_STATE', '', 'not JSON').message).toBe('(root): not JSON');
  });

  it('describes values of every kind briefly', () => {
    expect([1, 2n, null, undefined, 's', [], {}].map(describeValue)).toEqual([
      '1',
      '2n',
      'null',
      'undefined',
      '"s"',
      'an array',
      'an object',
    ]);
  });
});
