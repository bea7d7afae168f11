import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { MetricChangeRecord } from '@marketplace/analytics-aggregator';
import { type Logger, mergeOptions } from '@marketplace/options';
import type { RetryOptions } from '@marketplace/retry';
import {
  type ArchiveKeyParts,
  compareArchiveKeys,
  dayAndHour,
  dayPrefix,
  daysBetween,
  normalizePrefix,
  parseArchiveKey,
} from './archiveKeys.js';
import { decodeRecordLine } from './archiveLines.js';
import { callS3 } from './callS3.js';
import { DEFAULT_READ_ARCHIVE_OPTIONS } from './defaults.js';
import { CorruptArchiveError, S3SinkOptionsError } from './errors.js';
import { check, checkBucket, checkClient, checkPrefix } from './validateOptions.js';

/** Options of {@link readArchive}. */
export interface ReadArchiveOptions {
  /** The S3 client. */
  client: S3Client;
  /** Bucket the archive is in. */
  bucket: string;
  /** Key prefix the archive was written under. @default 'metrics' */
  prefix?: string;
  /** First event time to return (inclusive). */
  from: Date;
  /** Last event time to return (inclusive). */
  to: Date;
  /** Keys per ListObjectsV2 page. @default 1000 */
  pageSize?: number;
  /** Backoff for throttling/5xx/timeouts of List/Get. @default DEFAULT_RETRY_OPTIONS */
  retry?: RetryOptions;
  /** Logger. @default silent */
  logger?: Logger;
}

/**
 * Streams archived metric-change records whose event time lies in `[from, to]`: lists the
 * `dt=` day prefixes of the range (paginated ListObjectsV2), takes the `hour=` objects in range in
 * order (hour, topic, partition, start offset) and decodes them line by line, one object in memory
 * at a time at most. For backfills and tests.
 *
 * Objects of overlapping batches (a batch redelivered with another start offset) both stay in the
 * archive, so a record can come back twice: deduplicate by `source` when that matters.
 *
 * @throws S3SinkOptionsError (`INVALID_OPTIONS`) at the first iteration for bad options.
 * @throws S3RequestError (`READ_FAILED`) when listing or getting fails for good.
 * @throws CorruptArchiveError (`CORRUPT_ARCHIVE`) for an object that is not gzip JSON Lines of records.
 * @example
 * ```ts
 * for await (const record of readArchive({ client, bucket: 'analytics-archive', from, to })) {
 *   console.log(record.entity, record.id, record.source.offset);
 * }
 * ```
 */
export async function* readArchive(
  options: ReadArchiveOptions,
): AsyncGenerator<MetricChangeRecord, void, undefined> {
  const merged = mergeOptions(DEFAULT_READ_ARCHIVE_OPTIONS, options);
  const client = checkClient(options?.client);
  const bucket = checkBucket(merged.bucket);
  const prefix = normalizePrefix(checkPrefix(merged.prefix));
  const from = check.date(merged.from, 'from').getTime();
  const to = check.date(merged.to, 'to').getTime();
  if (from > to) throw new S3SinkOptionsError('from', 'must not be after "to"');
  const pageSize = check.integer(merged.pageSize, 'pageSize', 1, 1000);
  const logger = check.logger(options.logger);
  const context = { bucket, retry: options.retry, logger };
  const first = dayAndHour(from);
  const last = dayAndHour(to);
  const firstHour = `${first.day}T${first.hour}`;
  const lastHour = `${last.day}T${last.hour}`;

  for (const day of daysBetween(from, to)) {
    const listed: Array<{ key: string; parts: ArchiveKeyParts }> = [];
    const listPrefix = dayPrefix(prefix, day);
    let token: string | undefined;
    do {
      const page = await callS3(
        { ...context, key: listPrefix, operation: 'ListObjectsV2', errorCode: 'READ_FAILED' },
        () =>
          client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: listPrefix,
              MaxKeys: pageSize,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          ),
      );
      for (const object of page.Contents ?? []) {
        const parts = object.Key === undefined ? undefined : parseArchiveKey(prefix, object.Key);
        if (parts === undefined) continue;
        const hour = `${parts.day}T${parts.hour}`;
        if (hour >= firstHour && hour <= lastHour) listed.push({ key: object.Key as string, parts });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);

    listed.sort((a, b) => compareArchiveKeys(a.parts, b.parts));
    for (const { key } of listed) {
      const response = await callS3(
        { ...context, key, operation: 'GetObject', errorCode: 'READ_FAILED' },
        () => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
      );
      for await (const record of decodeObject(key, response.Body as Readable)) {
        const eventMs = Date.parse(record.eventTime);
        if (eventMs >= from && eventMs <= to) yield record;
      }
    }
  }
}

/** Gunzips an object body and decodes it line by line. */
async function* decodeObject(
  key: string,
  body: Readable,
): AsyncGenerator<MetricChangeRecord, void, undefined> {
  const gunzip = createGunzip();
  body.on('error', (error) => gunzip.destroy(error));
  const lines = createInterface({ input: body.pipe(gunzip), crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  try {
    for await (const line of lines) {
      number += 1;
      if (line === '') continue;
      let record: MetricChangeRecord;
      try {
        record = decodeRecordLine(line);
      } catch (error) {
        throw new CorruptArchiveError(key, number, error);
      }
      yield record;
    }
  } catch (error) {
    if (error instanceof CorruptArchiveError) throw error;
    throw new CorruptArchiveError(key, undefined, error);
  } finally {
    lines.close();
    body.destroy();
  }
}
