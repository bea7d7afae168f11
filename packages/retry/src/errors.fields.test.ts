import { describe, expect, it } from 'vitest';
import { RetryError, RetryOptionsError } from './errors.js';

describe('retry errors', () => {
  it('names a RetryError after its class and has no cause property without a cause', () => {
    const error = new RetryError('RETRIES_EXHAUSTED', 'gave up', { attempts: 3 });

    expect(error.name).toBe('RetryError');
    expect(String(error)).toBe('RetryError: gave up');
    expect(Object.hasOwn(error, 'cause')).toBe(false);
  });

  it('names an RetryOptionsError after its class, with 0 attempts and the option', () => {
    const error = new RetryOptionsError('factor', 'expected a finite number >= 1, got 0');

    expect(error.name).toBe('RetryOptionsError');
    expect(error.attempts).toBe(0);
    expect(error.message).toBe('Invalid retry option `factor`: expected a finite number >= 1, got 0');
  });
});
