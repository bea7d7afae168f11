import { describe, expect, it } from 'vitest';
import { describeError } from './describeError.js';

const awsError = (name: string, message: string, status?: number): Error =>
  Object.assign(new Error(message), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });

describe('describeError', () => {
  it('names an AWS error without a body by its name and HTTP status', () => {
    expect(describeError(awsError('NotFound', '', 404))).toBe('NotFound (HTTP 404)');
    expect(describeError(awsError('NotFound', 'NotFound', 404))).toBe('NotFound (HTTP 404)');
  });

  it('keeps a message that says more than the name, with the status when there is one', () => {
    expect(describeError(awsError('AccessDenied', 'no s3:ListBucket', 403))).toBe(
      'AccessDenied: no s3:ListBucket (HTTP 403)',
    );
    expect(describeError(new TypeError('fetch failed'))).toBe('TypeError: fetch failed');
  });

  it('shows anything that is not an Error as text', () => {
    expect(describeError('socket hang up')).toBe('socket hang up');
    expect(describeError(undefined)).toBe('undefined');
  });
});
