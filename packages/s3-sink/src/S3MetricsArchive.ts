import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { MetricChangeRecord } from '@marketplace/analytics-aggregator';
import { type Logger, mergeOptions } from '@marketplace/options';
import type { RetryOptions } from '@marketplace/retry';
import { normalizePrefix } from './archiveKeys.js';
import { callS3, type RetryInfo } from './callS3.js';
import {
  ARCHIVE_CONTENT_ENCODING,
  ARCHIVE_CONTENT_TYPE,
  DEFAULT_S3_ARCHIVE_OPTIONS,
  MIN_PART_SIZE_BYTES,
} from './defaults.js';
import { type PlannedObject, planObjects } from './planObjects.js';
import { check, checkBucket, checkClient, checkPrefix } from './validateOptions.js';

/** Metrics hooks of {@link S3MetricsArchive}; every hook is optional and must not throw. */
export interface S3ArchiveMetricsHooks {
  /** After each object is stored. */
  onObjectWritten?(info: { key: string; bytes: number; records: number; multipart: boolean }): void;
  /** Before each retry of a request (throttling, 5xx, timeout). */
  onRetry?(info: RetryInfo): void;
}

/** Options of {@link S3MetricsArchive}. */
export interface S3MetricsArchiveOptions {
  /**
   * The S3 client; it belongs to the caller. This archive retries transient errors itself (through
   * `@marketplace/retry`), so build the client with `maxAttempts: 1` to keep a single retry layer.
   */
  client: S3Client;
  /** Bucket to write to (must exist). */
  bucket: string;
  /** Key prefix; slashes at either end are ignored, `''` writes at the bucket root. @default 'metrics' */
  prefix?: string;
  /** Objects larger than this (gzip bytes) go through a multipart upload (`@aws-sdk/lib-storage`). @default 8388608 (8 MiB) */
  multipartThresholdBytes?: number;
  /** Part size of multipart uploads (S3 minimum: 5 MiB). @default 8388608 (8 MiB) */
  partSizeBytes?: number;
  /** Parts uploaded in parallel per multipart upload. @default 4 */
  uploadQueueSize?: number;
  /** Objects written in parallel per `write()`. @default 4 */
  concurrency?: number;
  /** gzip level (0-9); fixed so a replay writes identical bytes. @default 6 */
  gzipLevel?: number;
  /** Backoff for throttling/5xx/timeouts; `isRetryable` defaults to `isRetryableError`. @default DEFAULT_RETRY_OPTIONS */
  retry?: RetryOptions;
  /** Logger. @default silent */
  logger?: Logger;
  /** Metrics hooks. @default none */
  metrics?: S3ArchiveMetricsHooks;
}

/** What a `write()` stored. */
export interface ArchiveWriteResult {
  /** Objects written. */
  objects: number;
  /** Compressed bytes written. */
  bytes: number;
  /** Keys written, sorted. */
  keys: string[];
}

/**
 * Archives metric-change records to S3 as gzip JSON Lines: one object per source (topic,
 * partition) and UTC hour of the records' event time, at
 * `<prefix>/dt=YYYY-MM-DD/hour=HH/<topic>+<partition>+<startOffset>.jsonl.gz`, where `startOffset`
 * is the first offset of the object's records. Keys and bytes depend only on the batch, so a
 * redelivered batch overwrites the same objects with the same content.
 *
 * @example
 * ```ts
 * import { S3Client } from '@aws-sdk/client-s3';
 * import { S3MetricsArchive } from '@marketplace/s3-sink';
 *
 * const archive = new S3MetricsArchive({ client: new S3Client({ maxAttempts: 1 }), bucket: 'analytics-archive' });
 * const { keys } = await archive.write(records);
 * ```
 */
export class S3MetricsArchive {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #multipartThresholdBytes: number;
  readonly #partSizeBytes: number;
  readonly #uploadQueueSize: number;
  readonly #concurrency: number;
  readonly #gzipLevel: number;
  readonly #retry: RetryOptions | undefined;
  readonly #logger: Logger;
  readonly #metrics: S3ArchiveMetricsHooks;

  /** @throws S3SinkOptionsError (`INVALID_OPTIONS`) naming the first invalid option. */
  constructor(options: S3MetricsArchiveOptions) {
    const merged = mergeOptions(DEFAULT_S3_ARCHIVE_OPTIONS, options);
    this.#client = checkClient(options?.client);
    this.#bucket = checkBucket(merged.bucket);
    this.#prefix = normalizePrefix(checkPrefix(merged.prefix));
    this.#multipartThresholdBytes = check.integer(
      merged.multipartThresholdBytes,
      'multipartThresholdBytes',
      0,
      5 * 1024 ** 3,
    );
    this.#partSizeBytes = check.integer(
      merged.partSizeBytes,
      'partSizeBytes',
      MIN_PART_SIZE_BYTES,
      5 * 1024 ** 3,
    );
    this.#uploadQueueSize = check.integer(merged.uploadQueueSize, 'uploadQueueSize', 1, 64);
    this.#concurrency = check.integer(merged.concurrency, 'concurrency', 1, 256);
    this.#gzipLevel = check.integer(merged.gzipLevel, 'gzipLevel', 0, 9);
    this.#retry = options.retry;
    this.#logger = check.logger(options.logger);
    this.#metrics = options.metrics ?? {};
  }

  /**
   * Writes the objects of a batch (at most `concurrency` at a time) and resolves when all are stored.
   *
   * @throws ArchiveRecordError (`INVALID_RECORD`) before any request when a record is malformed.
   * @throws S3RequestError (`WRITE_FAILED`) at once for a permanent error (access denied, missing
   * bucket), or when a transient one outlasts the retries.
   */
  async write(batch: readonly MetricChangeRecord[]): Promise<ArchiveWriteResult> {
    const objects = planObjects(batch, this.#prefix, this.#gzipLevel);
    let next = 0;
    let failure: { error: unknown } | undefined;
    const lane = async (): Promise<void> => {
      while (failure === undefined && next < objects.length) {
        const object = objects[next++] as PlannedObject;
        try {
          await this.#store(object);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, objects.length) }, lane));
    if (failure !== undefined) throw failure.error;
    const bytes = objects.reduce((total, object) => total + object.body.length, 0);
    this.#logger.debug('metric changes archived to s3', {
      bucket: this.#bucket,
      objects: objects.length,
      bytes,
    });
    return { objects: objects.length, bytes, keys: objects.map((object) => object.key) };
  }

  async #store(object: PlannedObject): Promise<void> {
    const multipart = object.body.length > this.#multipartThresholdBytes;
    const params = {
      Bucket: this.#bucket,
      Key: object.key,
      Body: object.body,
      ContentType: ARCHIVE_CONTENT_TYPE,
      ContentEncoding: ARCHIVE_CONTENT_ENCODING,
    };
    await callS3(
      {
        bucket: this.#bucket,
        key: object.key,
        operation: multipart ? 'Upload' : 'PutObject',
        errorCode: 'WRITE_FAILED',
        retry: this.#retry,
        logger: this.#logger,
        onRetry: this.#metrics.onRetry?.bind(this.#metrics),
      },
      async () => {
        if (!multipart) {
          await this.#client.send(new PutObjectCommand(params));
          return;
        }
        // A fresh Upload per attempt; a failed one aborts its multipart upload (no orphaned parts).
        await new Upload({
          client: this.#client,
          params,
          partSize: this.#partSizeBytes,
          queueSize: this.#uploadQueueSize,
          leavePartsOnError: false,
        }).done();
      },
    );
    this.#metrics.onObjectWritten?.({
      key: object.key,
      bytes: object.body.length,
      records: object.records,
      multipart,
    });
  }
}
