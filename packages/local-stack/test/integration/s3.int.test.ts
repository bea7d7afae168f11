import { gunzipSync, gzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client, uniqueName } from '../clients.js';

describe('local S3 (S3Proxy)', () => {
  let client: S3Client;
  let bucket: string;

  beforeAll(async () => {
    client = s3Client();
    bucket = uniqueName('archive');
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    for (;;) {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key as string }));
      if (keys.length === 0) break;
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
  });

  it('stores a gzip-encoded object and returns the same bytes and headers', async () => {
    const body = gzipSync(Buffer.from('{"seller":"s1","count":3}\n'.repeat(100)));

    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'metrics/2026/11/25/part-0.jsonl.gz',
        Body: body,
        ContentType: 'application/x-ndjson',
        ContentEncoding: 'gzip',
      }),
    );
    const head = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'metrics/2026/11/25/part-0.jsonl.gz' }),
    );
    const got = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'metrics/2026/11/25/part-0.jsonl.gz' }),
    );
    const bytes = Buffer.from(await got.Body!.transformToByteArray());

    expect(head.ContentEncoding).toBe('gzip');
    expect(head.ContentLength).toBe(body.length);
    expect(got.ContentType).toBe('application/x-ndjson');
    expect(gunzipSync(bytes).toString()).toBe('{"seller":"s1","count":3}\n'.repeat(100));
  });

  it('lists keys under a prefix page by page with continuation tokens', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `list/day=01/obj-${String(i).padStart(2, '0')}`);
    for (const Key of keys) await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'list/day=02/other', Body: 'x' }));

    const listed: string[] = [];
    let pages = 0;
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: 'list/day=01/',
          MaxKeys: 5,
          ContinuationToken: token,
        }),
      );
      pages += 1;
      listed.push(...(page.Contents ?? []).map((o) => o.Key as string));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);

    expect(pages).toBe(3);
    expect(listed).toEqual(keys);
  });

  it('completes a multipart upload through lib-storage', async () => {
    const partSize = 5 * 1024 * 1024;
    const body = Buffer.alloc(partSize * 2 + 1234, 7);
    for (let i = 0; i < body.length; i += 4096) body[i] = i % 251;

    const upload = new Upload({
      client,
      params: { Bucket: bucket, Key: 'big/object.bin', Body: body },
      partSize,
    });
    const parts: number[] = [];
    upload.on('httpUploadProgress', (p) => parts.push(p.part ?? 0));
    await upload.done();
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/object.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());

    expect(new Set(parts).size).toBe(3);
    expect(bytes.length).toBe(body.length);
    expect(bytes.equals(body)).toBe(true);
  });
});
