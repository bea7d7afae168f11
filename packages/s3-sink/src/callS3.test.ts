import { SILENT_LOGGER } from '@marketplace/options';
import { describe, expect, it, vi } from 'vitest';
import { type CallContext, callS3 } from './callS3.js';
import { S3RequestError } from './errors.js';

const awsError = (name: string, status: number): Error =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

const context = (overrides: Partial<CallContext> = {}): CallContext => ({
  bucket: 'archive',
  key: 'metrics/x.jsonl.gz',
  operation: 'PutObject',
  errorCode: 'WRITE_FAILED',
  retry: { retries: 2, minDelayMs: 0, maxDelayMs: 0 },
  logger: SILENT_LOGGER,
  ...overrides,
});

describe('callS3', () => {
  it('retries a transient error, logging it and calling both retry hooks', async () => {
    const warn = vi.fn();
    const onRetry = vi.fn();
    const userOnRetry = vi.fn();
    const call = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(awsError('SlowDown', 503))
      .mockResolvedValue('ok');

    const result = await callS3(
      context({
        logger: { ...SILENT_LOGGER, warn },
        onRetry,
        retry: { retries: 2, minDelayMs: 0, maxDelayMs: 0, onRetry: userOnRetry },
      }),
      call,
    );

    expect(result).toBe('ok');
    expect(warn).toHaveBeenCalledWith(
      's3 request failed, retrying',
      expect.objectContaining({ key: 'metrics/x.jsonl.gz', error: 'SlowDown' }),
    );
    expect(onRetry).toHaveBeenCalledWith(expect.objectContaining({ operation: 'PutObject', attempt: 1 }));
    expect(userOnRetry).toHaveBeenCalledTimes(1);
  });

  it('logs a thrown non-Error by its text and gives up after the retries', async () => {
    const warn = vi.fn();
    const call = vi
      .fn<() => Promise<void>>()
      .mockRejectedValue({ name: 'TimeoutError', toString: () => 'timeout' });

    const error = await callS3(
      context({ logger: { ...SILENT_LOGGER, warn }, errorCode: 'READ_FAILED' }),
      call,
    ).catch((e: unknown) => e);

    expect(warn.mock.calls[0]?.[1]).toMatchObject({ error: 'timeout' });
    expect(error).toBeInstanceOf(S3RequestError);
    expect(error).toMatchObject({ code: 'READ_FAILED', attempts: 3, retryable: true });
    expect((error as Error).message).toContain('failed after 3 attempt(s): timeout');
  });
});
