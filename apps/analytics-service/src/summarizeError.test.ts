import { describe, expect, it } from 'vitest';
import { summarizeError } from './summarizeError.js';

describe('summarizeError', () => {
  it('keeps the code or name and the HTTP status of an AWS error, never its message', () => {
    const error = Object.assign(
      new Error('User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform s3:HeadBucket'),
      { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } },
    );

    const summary = summarizeError(error);

    expect(summary).toEqual({ error: 'AccessDenied', status: 403 });
    expect(JSON.stringify(summary)).not.toContain('arn:');
  });

  it('prefers a string code over the name', () => {
    expect(summarizeError(Object.assign(new Error('x'), { code: 'TIMEOUT' }))).toEqual({ error: 'TIMEOUT' });
  });

  it('names the innermost cause and takes the status from the cause chain', () => {
    const sdk = Object.assign(new Error('Requested resource not found: arn:aws:dynamodb:...'), {
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
    const wrapped = Object.assign(new Error('write failed', { cause: sdk }), { code: 'WRITE_FAILED' });

    expect(summarizeError(wrapped)).toEqual({
      error: 'WRITE_FAILED',
      cause: 'ResourceNotFoundException',
      status: 400,
    });
  });

  it('drops names that are not short identifiers, the generic Error, and non-errors', () => {
    expect(summarizeError(Object.assign(new Error('x'), { name: 'has spaces: and text' }))).toEqual({});
    expect(summarizeError(new Error('plain'))).toEqual({});
    expect(summarizeError({ code: 42, $metadata: { httpStatusCode: 'x' } })).toEqual({});
    expect(summarizeError('a string')).toEqual({});
    expect(summarizeError(null)).toEqual({});
  });
});
