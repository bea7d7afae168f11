/** 1 MiB. */
const MIB = 1024 * 1024;

/** Defaults of {@link S3MetricsArchive}. */
export const DEFAULT_S3_ARCHIVE_OPTIONS: Readonly<{
  prefix: 'metrics';
  multipartThresholdBytes: 8_388_608;
  partSizeBytes: 8_388_608;
  uploadQueueSize: 4;
  concurrency: 4;
  gzipLevel: 6;
}> = Object.freeze({
  prefix: 'metrics',
  multipartThresholdBytes: 8_388_608,
  partSizeBytes: 8_388_608,
  uploadQueueSize: 4,
  concurrency: 4,
  gzipLevel: 6,
} as const);

/** Defaults of {@link readArchive}. */
export const DEFAULT_READ_ARCHIVE_OPTIONS: Readonly<{ prefix: 'metrics'; pageSize: 1000 }> = Object.freeze({
  prefix: 'metrics',
  pageSize: 1000,
} as const);

/** Smallest part S3 accepts in a multipart upload (all parts but the last). */
export const MIN_PART_SIZE_BYTES = 5 * MIB;

/** Content type of the archive objects (JSON Lines). */
export const ARCHIVE_CONTENT_TYPE = 'application/x-ndjson';

/** Content encoding of the archive objects. */
export const ARCHIVE_CONTENT_ENCODING = 'gzip';
