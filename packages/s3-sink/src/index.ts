export type { Logger } from '@marketplace/options';
export { type ArchiveKeyParts, archiveKey, parseArchiveKey } from './archiveKeys.js';
export type { RetryInfo } from './callS3.js';
export {
  ARCHIVE_CONTENT_ENCODING,
  ARCHIVE_CONTENT_TYPE,
  DEFAULT_READ_ARCHIVE_OPTIONS,
  DEFAULT_S3_ARCHIVE_OPTIONS,
  MIN_PART_SIZE_BYTES,
} from './defaults.js';
export {
  ArchiveRecordError,
  CorruptArchiveError,
  S3_SINK_ERROR_CODES,
  S3RequestError,
  S3SinkError,
  type S3SinkErrorCode,
  S3SinkOptionsError,
} from './errors.js';
export { type ReadArchiveOptions, readArchive } from './readArchive.js';
export {
  type ArchiveWriteResult,
  type S3ArchiveMetricsHooks,
  S3MetricsArchive,
  type S3MetricsArchiveOptions,
} from './S3MetricsArchive.js';
