import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { DEFAULT_S3_ARCHIVE_OPTIONS } from './defaults.js';
import { S3SinkOptionsError } from './errors.js';
import { readArchive } from './readArchive.js';
import { S3MetricsArchive } from './S3MetricsArchive.js';

const client = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true });

describe('S3MetricsArchive options', () => {
  it('exports frozen defaults', () => {
    expect(Object.isFrozen(DEFAULT_S3_ARCHIVE_OPTIONS)).toBe(true);
    expect(DEFAULT_S3_ARCHIVE_OPTIONS.prefix).toBe('metrics');
    expect(DEFAULT_S3_ARCHIVE_OPTIONS.multipartThresholdBytes).toBe(8 * 1024 * 1024);
  });

  it.each([
    [{ client: undefined, bucket: 'b-1' }, 'client'],
    [{ client, bucket: 'B' }, 'bucket'],
    [{ client, bucket: 'ok-bucket', prefix: 7 }, 'prefix'],
    [{ client, bucket: 'ok-bucket', partSizeBytes: 1024 }, 'partSizeBytes'],
    [{ client, bucket: 'ok-bucket', multipartThresholdBytes: -1 }, 'multipartThresholdBytes'],
    [{ client, bucket: 'ok-bucket', uploadQueueSize: 0 }, 'uploadQueueSize'],
    [{ client, bucket: 'ok-bucket', concurrency: 0 }, 'concurrency'],
    [{ client, bucket: 'ok-bucket', gzipLevel: 10 }, 'gzipLevel'],
    [{ client, bucket: 'ok-bucket', logger: {} }, 'logger'],
  ])('rejects %o naming the field', (options, field) => {
    const build = (): S3MetricsArchive => new S3MetricsArchive(options as never);

    expect(build).toThrow(S3SinkOptionsError);
    expect(build).toThrow(`Invalid option "${field}"`);
  });
});

describe('readArchive options', () => {
  const read = async (options: object): Promise<unknown> => {
    for await (const _ of readArchive({
      client,
      bucket: 'ok-bucket',
      from: new Date(0),
      to: new Date(1),
      ...options,
    })) {
      // nothing: options fail before any request
    }
    return undefined;
  };

  it.each([
    [{ from: new Date('x') }, 'from'],
    [{ to: 'tomorrow' }, 'to'],
    [{ from: new Date(5), to: new Date(1) }, 'from'],
    [{ pageSize: 0 }, 'pageSize'],
  ])('rejects %o naming the field', async (options, field) => {
    await expect(read(options)).rejects.toThrow(`Invalid option "${field}"`);
  });
});

describe('errors', () => {
  it('describes a non-Error cause by its text', async () => {
    const { S3RequestError } = await import('./errors.js');

    const error = new S3RequestError('READ_FAILED', {
      bucket: 'b',
      key: 'k',
      operation: 'GetObject',
      attempts: 1,
      retryable: false,
      cause: 'socket closed',
    });

    expect(error.message).toBe('GetObject s3://b/k failed after 1 attempt(s): socket closed');
  });
});
