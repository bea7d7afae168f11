import { describe, expect, it } from 'vitest';
import { InvalidEventError, ProductEventsError, ProductEventsOptionsError } from './errors.js';

describe('errors', () => {
  it('name each class, so that logs (name: message) say which error it is', () => {
    const base = new ProductEventsError('INVALID_OPTIONS', 'bad');
    const options = new ProductEventsOptionsError('maxBytes', 'expected a positive integer, got 0');
    const invalid = new InvalidEventError({ code: 'SCHEMA_VIOLATION', path: '/version', message: 'bad' });

    expect([base.name, options.name, invalid.name]).toEqual([
      'ProductEventsError',
      'ProductEventsOptionsError',
      'InvalidEventError',
    ]);
    expect([base, options, invalid].every((error) => error instanceof ProductEventsError)).toBe(true);
    expect([base.retryable, options.retryable, invalid.retryable]).toEqual([false, false, false]);
  });

  it('name the offending option in the message and in field', () => {
    const error = new ProductEventsOptionsError('maxBytes', 'expected a positive integer, got 0');

    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', field: 'maxBytes' });
    expect(error.message).toContain('maxBytes');
    expect(error.message).toContain('expected a positive integer, got 0');
  });
});
