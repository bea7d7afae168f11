import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { MetricChangeRecord } from '@marketplace/analytics-aggregator';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  categoryOf,
  categoryRecord,
  lowStockRecord,
  sellerRecord,
  TOPIC,
} from '../../../aggregator/test/metricChangeRecords.js';
import { uniqueName } from '../../../local-stack/test/clients.js';
import { CorruptArchiveError, readArchive, S3MetricsArchive, S3RequestError } from '../../src/index.js';
import { awsError, createBucket, deleteBucket, injectFaults, singleAttemptClient } from './helpers.js';

const client = singleAttemptClient();
const bucket = uniqueName('archive');
const fastRetry = { retries: 4, minDelayMs: 1, maxDelayMs: 5 };

async function getObject(
  key: string,
): Promise<{ bytes: Buffer; contentType?: string; contentEncoding?: string; etag?: string }> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    bytes: Buffer.from(
      await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    ),
    ...(response.ContentType ? { contentType: response.ContentType } : {}),
    ...(response.ContentEncoding ? { contentEncoding: response.ContentEncoding } : {}),
    ...(response.ETag ? { etag: response.ETag } : {}),
  };
}

async function readAll(
  options: Partial<Parameters<typeof readArchive>[0]> & { from: Date; to: Date },
): Promise<MetricChangeRecord[]> {
  const records: MetricChangeRecord[] = [];
  for await (const record of readArchive({ client, bucket, ...options })) records.push(record);
  return records;
}

beforeAll(async () => {
  await createBucket(client, bucket);
});

afterAll(async () => {
  await deleteBucket(client, bucket);
  client.destroy();
});

describe('S3MetricsArchive', () => {
  const batch = [
    sellerRecord(
      's-1',
      { totalProducts: 1, totalValue: { JPY: 5n, USD: 2n ** 64n } },
      { offset: 100, partition: 0, eventTime: '2026-11-24T23:59:59.999Z' },
    ),
    categoryRecord('books', categoryOf({ KWD: [1, 0n, 999n] }), {
      offset: 101,
      partition: 0,
      eventTime: '2026-11-25T00:00:00.000Z',
    }),
    lowStockRecord(
      's-1',
      'p-1',
      { category: 'books', quantity: 2 },
      { offset: 102, partition: 0, eventTime: '2026-11-25T00:10:00.000Z' },
    ),
    lowStockRecord('s-2', 'p-9', null, { offset: 7, partition: 3, eventTime: '2026-11-25T00:20:00.000Z' }),
  ];
  const archive = new S3MetricsArchive({ client, bucket, retry: fastRetry });

  it('writes one gzip JSON Lines object per source partition and hour under date partitions', async () => {
    const result = await archive.write(batch);

    expect(result.keys).toEqual([
      `metrics/dt=2026-11-24/hour=23/${TOPIC}+0+100.jsonl.gz`,
      `metrics/dt=2026-11-25/hour=00/${TOPIC}+0+101.jsonl.gz`,
      `metrics/dt=2026-11-25/hour=00/${TOPIC}+3+7.jsonl.gz`,
    ]);
    expect(result.objects).toBe(3);
    const object = await getObject(result.keys[1] as string);
    expect(object.contentType).toBe('application/x-ndjson');
    expect(object.contentEncoding).toBe('gzip');
    expect(result.bytes).toBeGreaterThan(0);
    const lines = gunzipSync(object.bytes)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      {
        format: 2,
        entity: 'category',
        group: 0,
        eventTime: '2026-11-25T00:00:00.000Z',
        id: 'books',
        values: {
          productCount: 1,
          pricedCount: { KWD: 1 },
          totalValue: { KWD: '0' },
          priceSum: { KWD: '999' },
        },
        source: { topic: TOPIC, partition: 0, offset: '101' },
      },
      expect.objectContaining({
        entity: 'lowStock',
        id: 'p-1',
        source: { topic: TOPIC, partition: 0, offset: '102' },
      }),
    ]);
  });

  it('overwrites the same keys with identical bytes when the batch is replayed', async () => {
    const first = await archive.write(batch);
    const before = await Promise.all(first.keys.map(getObject));

    const replay = await archive.write([...batch].reverse());
    const after = await Promise.all(replay.keys.map(getObject));

    expect(replay.keys).toEqual(first.keys);
    after.forEach((object, i) => {
      expect(Buffer.compare(object.bytes, before[i]?.bytes as Buffer)).toBe(0);
      expect(object.etag).toBe(before[i]?.etag);
    });
  });

  it('reads back exactly what was written, in order, across days and list pages', async () => {
    await archive.write(batch);

    const all = await readAll({
      from: new Date('2026-11-24T00:00:00.000Z'),
      to: new Date('2026-11-25T23:59:59.000Z'),
      pageSize: 1,
    });
    const lastHourOnly = await readAll({
      from: new Date('2026-11-25T00:05:00.000Z'),
      to: new Date('2026-11-25T00:59:59.000Z'),
    });

    expect(all).toEqual(batch);
    expect(lastHourOnly).toEqual([batch[2], batch[3]]);
    expect(
      await readAll({ from: new Date('2026-10-01T00:00:00.000Z'), to: new Date('2026-10-01T05:00:00.000Z') }),
    ).toEqual([]);
  });

  it('returns only the hours asked for and skips objects under a day that are not archive objects', async () => {
    const prefix = 'hours';
    const hourly = new S3MetricsArchive({ client, bucket, prefix });
    const at = (hour: string, offset: number) =>
      sellerRecord(`s-${hour}`, { totalProducts: 1 }, { offset, eventTime: `2026-11-27T${hour}:30:00.000Z` });
    await hourly.write([at('01', 1), at('05', 2), at('09', 3)]);
    // Files a person or another tool left under the day and hour prefixes.
    for (const key of [`${prefix}/dt=2026-11-27/README.txt`, `${prefix}/dt=2026-11-27/hour=05/notes.txt`]) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'not an archive object' }));
    }

    const records = await readAll({
      prefix,
      from: new Date('2026-11-27T04:00:00.000Z'),
      to: new Date('2026-11-27T06:00:00.000Z'),
    });

    expect(records).toEqual([at('05', 2)]);
  });

  it('writes at the bucket root with an empty prefix and keeps prefixes apart', async () => {
    const root = new S3MetricsArchive({ client, bucket, prefix: '' });
    const records = [
      sellerRecord('s-root', { totalProducts: 4 }, { offset: 1, eventTime: '2026-11-26T05:00:00.000Z' }),
    ];

    const result = await root.write(records);

    expect(result.keys).toEqual([`dt=2026-11-26/hour=05/${TOPIC}+0+1.jsonl.gz`]);
    const range = { from: new Date('2026-11-26T00:00:00.000Z'), to: new Date('2026-11-26T23:00:00.000Z') };
    expect(await readAll({ ...range, prefix: '' })).toEqual(records);
    expect(await readAll(range)).toEqual([]);
  });

  it('uploads large objects in parts through lib-storage and reads them back', async () => {
    const written = vi.fn();
    const observed = singleAttemptClient();
    const { seen } = injectFaults(observed, 'no fault, observe only', []);
    const multipart = new S3MetricsArchive({
      client: observed,
      bucket,
      prefix: 'multipart',
      multipartThresholdBytes: 1024,
      partSizeBytes: 5 * 1024 * 1024,
      metrics: { onObjectWritten: written },
    });
    // Random ids do not compress, so the object exceeds one 5 MiB part.
    const records = Array.from({ length: 34_000 }, (_, i) =>
      lowStockRecord(
        randomBytes(48).toString('hex'),
        randomBytes(48).toString('hex'),
        { category: randomBytes(48).toString('hex'), quantity: i % 10 },
        { offset: i, eventTime: '2026-11-27T08:30:00.000Z' },
      ),
    );

    const result = await multipart.write(records);

    expect(result.bytes).toBeGreaterThan(5 * 1024 * 1024);
    expect(written).toHaveBeenCalledWith(expect.objectContaining({ multipart: true, records: 34_000 }));
    expect(seen.filter((name) => name === 'UploadPartCommand').length).toBeGreaterThanOrEqual(2);
    expect(seen).toContain('CompleteMultipartUploadCommand');
    const back = await readAll({
      prefix: 'multipart',
      from: new Date('2026-11-27T08:00:00.000Z'),
      to: new Date('2026-11-27T09:00:00.000Z'),
    });
    expect(back).toHaveLength(34_000);
    expect(back[33_999]).toEqual(records[33_999]);
    observed.destroy();
  }, 60_000);
});

describe('S3MetricsArchive with an empty batch', () => {
  it('writes nothing', async () => {
    const observed = singleAttemptClient();
    const { seen } = injectFaults(observed, 'no fault, observe only', []);

    const result = await new S3MetricsArchive({ client: observed, bucket }).write([]);

    expect(result).toEqual({ objects: 0, bytes: 0, keys: [] });
    expect(seen).toEqual([]);
    observed.destroy();
  });
});

// Throttling and 5xx are injected with an SDK middleware (client.middlewareStack.add, see
// helpers.ts): the only SDK mock here. Missing tables/buckets are real server answers.
describe('S3MetricsArchive under faults', () => {
  it('retries SlowDown and 5xx answers, then stores the object', async () => {
    const faulty = singleAttemptClient();
    const { seen } = injectFaults(faulty, 'PutObjectCommand', [
      awsError('SlowDown', 503, 'Please reduce your request rate.'),
      awsError('InternalError', 500),
    ]);
    const onRetry = vi.fn();
    const archive = new S3MetricsArchive({
      client: faulty,
      bucket,
      prefix: 'faults',
      retry: fastRetry,
      metrics: { onRetry },
    });

    const result = await archive.write([
      sellerRecord('s-f', {}, { offset: 1, eventTime: '2026-11-28T01:00:00.000Z' }),
    ]);

    expect(seen).toEqual(['PutObjectCommand', 'PutObjectCommand', 'PutObjectCommand']);
    expect(onRetry).toHaveBeenCalledTimes(2);
    expect((await getObject(result.keys[0] as string)).contentEncoding).toBe('gzip');
    faulty.destroy();
  });

  it('surfaces access denied at once, without retrying', async () => {
    const faulty = singleAttemptClient();
    const denied = awsError('AccessDenied', 403, 'Access Denied');
    const { seen } = injectFaults(faulty, 'PutObjectCommand', [denied]);
    const archive = new S3MetricsArchive({ client: faulty, bucket, retry: fastRetry });

    const error = await archive.write([sellerRecord('s-d', {}, { offset: 1 })]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(S3RequestError);
    expect(error).toMatchObject({
      code: 'WRITE_FAILED',
      attempts: 1,
      retryable: false,
      cause: denied,
      bucket,
    });
    expect(seen).toEqual(['PutObjectCommand']);
    faulty.destroy();
  });

  it('fails at once when the bucket does not exist', async () => {
    const archive = new S3MetricsArchive({ client, bucket: uniqueName('missing'), retry: fastRetry });

    const error = await archive.write([sellerRecord('s-m', {}, { offset: 1 })]).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'WRITE_FAILED', attempts: 1, retryable: false });
    expect((error as S3RequestError).cause).toMatchObject({ name: 'NoSuchBucket' });
  });

  it('retries a throttled listing and object read while reading back', async () => {
    const faulty = singleAttemptClient();
    const writer = new S3MetricsArchive({ client, bucket, prefix: 'read-faults' });
    const records = [
      sellerRecord('s-r', { totalProducts: 2 }, { offset: 5, eventTime: '2026-11-28T02:00:00.000Z' }),
    ];
    await writer.write(records);
    injectFaults(faulty, 'ListObjectsV2Command', [awsError('SlowDown', 503)]);
    injectFaults(faulty, 'GetObjectCommand', [awsError('InternalError', 500)]);

    const back: MetricChangeRecord[] = [];
    for await (const record of readArchive({
      client: faulty,
      bucket,
      prefix: 'read-faults',
      from: new Date('2026-11-28T00:00:00.000Z'),
      to: new Date('2026-11-28T23:00:00.000Z'),
      retry: fastRetry,
    })) {
      back.push(record);
    }

    expect(back).toEqual(records);
    faulty.destroy();
  });

  it('reports an object that is not gzip JSON Lines as corrupt, naming it', async () => {
    const key = `corrupt/dt=2026-11-29/hour=00/${TOPIC}+0+1.jsonl.gz`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'not gzip' }));

    const error = await readAll({
      prefix: 'corrupt',
      from: new Date('2026-11-29T00:00:00.000Z'),
      to: new Date('2026-11-29T01:00:00.000Z'),
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CorruptArchiveError);
    expect(error).toMatchObject({ code: 'CORRUPT_ARCHIVE', key });
  });

  it('names the line of an archive object that holds something other than a record', async () => {
    const key = `bad-line/dt=2026-11-29/hour=00/${TOPIC}+0+1.jsonl.gz`;
    const good = JSON.stringify({
      format: 2,
      entity: 'seller',
      group: 0,
      eventTime: '2026-11-29T00:00:00.000Z',
      id: 's-1',
      values: {
        totalProducts: 1,
        activeProducts: 0,
        deletedProducts: 0,
        lowStockCount: 0,
        totalValue: { USD: '0' },
      },
      source: { topic: TOPIC, partition: 0, offset: '1' },
    });
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(`${good}\n\n{"oops":true}\n`) }),
    );

    const error = await readAll({
      prefix: 'bad-line',
      from: new Date('2026-11-29T00:00:00.000Z'),
      to: new Date('2026-11-29T01:00:00.000Z'),
    }).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'CORRUPT_ARCHIVE', key, line: 3 });
  });

  it('refuses a line written before money per currency (format 1) with a clear error, never misreading it', async () => {
    const key = `format-1/dt=2026-11-29/hour=00/${TOPIC}+0+1.jsonl.gz`;
    const formatOne = JSON.stringify({
      entity: 'seller',
      group: 0,
      eventTime: '2026-11-29T00:00:00.000Z',
      id: 's-1',
      values: {
        totalProducts: 1,
        activeProducts: 1,
        deletedProducts: 0,
        totalValueCents: '1999',
        lowStockCount: 0,
      },
      source: { topic: TOPIC, partition: 0, offset: '1' },
    });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(`${formatOne}\n`) }));

    const error = await readAll({
      prefix: 'format-1',
      from: new Date('2026-11-29T00:00:00.000Z'),
      to: new Date('2026-11-29T01:00:00.000Z'),
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CorruptArchiveError);
    expect(error).toMatchObject({
      code: 'CORRUPT_ARCHIVE',
      key,
      line: 1,
      cause: expect.objectContaining({ code: 'INVALID_METRIC_CHANGE', path: '/format' }),
    });
    expect((error as Error).message).toMatch(/no format version \(format 1.*knows format 2 only/);
  });
});
