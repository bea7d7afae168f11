import { SILENT_LOGGER } from '@marketplace/options';
import { describe, expect, it, vi } from 'vitest';
import { type CallContext, callDynamoDb, isConditionalCheckFailed } from './callDynamoDb.js';
import { DynamoRequestError } from './errors.js';

const awsError = (name: string, status: number): Error =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

const context = (overrides: Partial<CallContext> = {}): CallContext => ({
  tableName: 'metrics',
  operation: 'PutItem',
  key: { pk: 'SELLER#s-1', sk: 'CUR#G0' },
  errorCode: 'WRITE_FAILED',
  retry: { retries: 3, minDelayMs: 0, maxDelayMs: 0 },
  logger: SILENT_LOGGER,
  ...overrides,
});

describe('callDynamoDb', () => {
  it('retries throttling and 5xx, then returns, reporting each retry', async () => {
    const onRetry = vi.fn();
    const userOnRetry = vi.fn();
    const warn = vi.fn();
    const call = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(awsError('ThrottlingException', 400))
      .mockRejectedValueOnce(awsError('InternalServerError', 500))
      .mockResolvedValue('ok');

    const result = await callDynamoDb(
      context({
        onRetry,
        logger: { ...SILENT_LOGGER, warn },
        retry: { retries: 3, minDelayMs: 0, maxDelayMs: 0, onRetry: userOnRetry },
      }),
      call,
    );

    expect(result).toBe('ok');
    expect(call).toHaveBeenCalledTimes(3);
    expect(onRetry).toHaveBeenCalledTimes(2);
    expect(onRetry.mock.calls[0]?.[0]).toMatchObject({ operation: 'PutItem', attempt: 1 });
    expect(userOnRetry).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledWith(
      'dynamodb request failed, retrying',
      expect.objectContaining({ pk: 'SELLER#s-1' }),
    );
  });

  it('fails at once on a permanent error, keeping it as the cause', async () => {
    const denied = awsError('AccessDeniedException', 400);
    const call = vi.fn<() => Promise<void>>().mockRejectedValue(denied);

    const error = await callDynamoDb(context(), call).catch((e: unknown) => e);

    expect(call).toHaveBeenCalledTimes(1);
    expect(error).toBeInstanceOf(DynamoRequestError);
    expect(error).toMatchObject({
      code: 'WRITE_FAILED',
      attempts: 1,
      retryable: false,
      cause: denied,
      tableName: 'metrics',
    });
    expect((error as Error).message).toContain('AccessDeniedException');
  });

  it('gives up after the configured retries with the last error and the attempt count', async () => {
    const throttled = awsError('ProvisionedThroughputExceededException', 400);
    const call = vi.fn<() => Promise<void>>().mockRejectedValue(throttled);

    const error = await callDynamoDb(context({ errorCode: 'READ_FAILED', operation: 'Query' }), call).catch(
      (e: unknown) => e,
    );

    expect(call).toHaveBeenCalledTimes(4);
    expect(error).toMatchObject({ code: 'READ_FAILED', attempts: 4, retryable: true, cause: throttled });
  });

  it('retries a rejection that is not an Error, logging it as text, and leaves out a key it was not given', async () => {
    const warn = vi.fn();
    const call = vi.fn<() => Promise<void>>().mockRejectedValue('socket hang up');

    const error = await callDynamoDb(
      context({
        key: undefined,
        operation: 'CreateTable',
        errorCode: 'TABLE_SETUP_FAILED',
        logger: { ...SILENT_LOGGER, warn },
        retry: { retries: 1, minDelayMs: 0, maxDelayMs: 0, isRetryable: () => true },
      }),
      call,
    ).catch((e: unknown) => e);

    expect(call).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledWith('dynamodb request failed, retrying', {
      operation: 'CreateTable',
      table: 'metrics',
      attempt: 1,
      delayMs: 0,
      error: 'socket hang up',
    });
    expect(error).toBeInstanceOf(DynamoRequestError);
    expect(error).toMatchObject({ code: 'TABLE_SETUP_FAILED', attempts: 2, cause: 'socket hang up' });
    expect((error as DynamoRequestError).key).toBeUndefined();
    expect((error as Error).message).toBe(
      'CreateTable on table "metrics" failed after 2 attempt(s): socket hang up',
    );
  });

  it('recognises a failed condition by its SDK name', () => {
    expect(isConditionalCheckFailed(awsError('ConditionalCheckFailedException', 400))).toBe(true);
    expect(isConditionalCheckFailed(new Error('x'))).toBe(false);
    expect(isConditionalCheckFailed(null)).toBe(false);
  });
});
