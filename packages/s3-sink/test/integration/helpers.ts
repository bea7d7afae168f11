import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { testStack } from '../../../local-stack/test/clients.js';

/**
 * A client for the test server configured as this package recommends: `maxAttempts: 1`, so the
 * archive's own retry layer (`@marketplace/retry`) is the only one and attempts can be counted.
 */
export function singleAttemptClient(): S3Client {
  const stack = testStack();
  return new S3Client({
    endpoint: stack.s3Endpoint,
    region: stack.region,
    credentials: stack.credentials,
    forcePathStyle: true,
    maxAttempts: 1,
  });
}

/** Creates a bucket. */
export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Deletes every object of a bucket, then the bucket. */
export async function deleteBucket(client: S3Client, bucket: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** An error shaped like the SDK's service exceptions. */
export function awsError(name: string, httpStatusCode: number, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, attempts: 1 },
  });
}

let added = 0;

/**
 * FAULT INJECTION (the only SDK mock in these tests): an SDK middleware that throws the given
 * errors, one per request of `commandName`, before the request is sent, because a real server
 * cannot throttle or fail with a 5xx on demand. Added at the `build` step, outside the SDK's own
 * retry middleware. It also records the name of every command sent (observation only).
 */
export function injectFaults(client: S3Client, commandName: string, errors: Error[]): { seen: string[] } {
  const seen: string[] = [];
  const queue = [...errors];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      seen.push(context.commandName as string);
      if (context.commandName === commandName && queue.length > 0) throw queue.shift();
      return next(args);
    },
    { step: 'build', name: `faultInjection${++added}` },
  );
  return { seen };
}
