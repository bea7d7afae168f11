import { isMessageTooLargeError } from './kafkaErrors.js';

/**
 * Errors of `@marketplace/kafka-processor`. Every error is a {@link ProcessorError} with a string
 * `code` from {@link PROCESSOR_ERROR_CODES} and a `retryable` flag that `@marketplace/retry`
 * reads through the cause chain.
 */

/** Every code a {@link ProcessorError} can carry. */
export const PROCESSOR_ERROR_CODES = Object.freeze([
  'INVALID_OPTIONS',
  'INVALID_STATE',
  'TOPIC_MISMATCH',
  'INTERNAL_TOPIC_INVALID',
  'RESTORE_FAILED',
  'PRODUCER_FENCED',
  'TRANSACTION_FAILED',
  'SHUTDOWN_TIMEOUT',
  'DECOMPRESSED_TOO_LARGE',
  'DECOMPRESSION_FAILED',
  'CODEC_UNAVAILABLE',
  'PARTITIONER_MISMATCH',
  'STREAM_THREAD_START_FAILED',
  'STREAM_THREAD_FATAL',
  'STREAM_THREAD_DIED',
] as const);

/** A code of {@link ProcessorError}. */
export type ProcessorErrorCode = (typeof PROCESSOR_ERROR_CODES)[number];

/** Base class of every error thrown by this package. */
export class ProcessorError extends Error {
  /** What went wrong, stable across versions. */
  readonly code: ProcessorErrorCode;
  /** Whether trying again later can succeed. */
  readonly retryable: boolean;

  constructor(
    code: ProcessorErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProcessorError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** An option is missing or invalid (code `INVALID_OPTIONS`); `field` names it. */
export class KafkaProcessorOptionsError extends ProcessorError {
  /** The offending option, e.g. `applicationId` or `consumer.sessionTimeout`. */
  readonly field: string;

  constructor(field: string, problem: string) {
    super('INVALID_OPTIONS', `Invalid option "${field}": ${problem}`);
    this.name = 'KafkaProcessorOptionsError';
    this.field = field;
  }
}

/**
 * The input topics are missing or do not have equal partition counts, so partition *i* of each
 * cannot form group *i* (code `TOPIC_MISMATCH`).
 */
export class TopicMismatchError extends ProcessorError {
  /** Partition count per input topic; `null` when the topic does not exist. */
  readonly partitionCounts: Readonly<Record<string, number | null>>;

  constructor(partitionCounts: Record<string, number | null>) {
    const described = Object.entries(partitionCounts)
      .map(([topic, count]) => `${topic}=${count === null ? 'missing' : count}`)
      .join(', ');
    super(
      'TOPIC_MISMATCH',
      `Input topics must exist and have the same number of partitions (co-partitioned); got ${described}`,
    );
    this.name = 'TopicMismatchError';
    this.partitionCounts = Object.freeze({ ...partitionCounts });
  }
}

/**
 * An internal topic is missing (with `createTopics: false`), has a different partition count
 * than the input topics, or lacks `cleanup.policy=compact` where required
 * (code `INTERNAL_TOPIC_INVALID`).
 */
export class InternalTopicError extends ProcessorError {
  /** The internal topic. */
  readonly topic: string;
  /** What is wrong with it. */
  readonly problem: string;

  constructor(topic: string, problem: string, cause?: unknown) {
    super('INTERNAL_TOPIC_INVALID', `Internal topic "${topic}" is not usable: ${problem}`, { cause });
    this.name = 'InternalTopicError';
    this.topic = topic;
    this.problem = problem;
  }
}

/** Restoring a group's state from the changelog failed (code `RESTORE_FAILED`). */
export class RestoreError extends ProcessorError {
  /** Groups whose restore failed. */
  readonly groups: readonly number[];

  constructor(
    groups: readonly number[],
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super('RESTORE_FAILED', `Restoring group(s) ${groups.join(', ')} failed: ${message}`, {
      cause: options.cause,
      retryable: options.retryable ?? true,
    });
    this.name = 'RestoreError';
    this.groups = Object.freeze([...groups]);
  }
}

/**
 * Another producer with the same `transactionalId` took over the group (code
 * `PRODUCER_FENCED`): this member no longer owns it and must not commit for it.
 */
export class ProducerFencedError extends ProcessorError {
  /** The group that was taken over. */
  readonly group: number;
  /** The fenced transactional id. */
  readonly transactionalId: string;

  constructor(group: number, transactionalId: string, cause?: unknown) {
    super('PRODUCER_FENCED', `Producer "${transactionalId}" of group ${group} was fenced by a newer owner`, {
      cause,
    });
    this.name = 'ProducerFencedError';
    this.group = group;
    this.transactionalId = transactionalId;
  }
}

/**
 * A batch transaction failed and was aborted (code `TRANSACTION_FAILED`). Retryable, except when
 * the broker refused the output as too large (`MESSAGE_TOO_LARGE`, `RECORD_LIST_TOO_LARGE`):
 * the same records would be refused again.
 */
export class TransactionError extends ProcessorError {
  /** The group of the batch. */
  readonly group: number;
  /** Source topic of the batch. */
  readonly topic: string;
  /** Last offset of the batch. */
  readonly lastOffset: string;

  constructor(group: number, topic: string, lastOffset: string, cause: unknown) {
    super(
      'TRANSACTION_FAILED',
      `Transaction of group ${group} (${topic} up to offset ${lastOffset}) failed`,
      {
        cause,
        retryable: !isMessageTooLargeError(cause),
      },
    );
    this.name = 'TransactionError';
    this.group = group;
    this.topic = topic;
    this.lastOffset = lastOffset;
  }
}

/** `stop()` did not finish within `shutdownTimeoutMs`; clients were closed forcibly (code `SHUTDOWN_TIMEOUT`). */
export class ShutdownTimeoutError extends ProcessorError {
  /** The bound that was exceeded, in ms. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(
      'SHUTDOWN_TIMEOUT',
      `Graceful shutdown did not finish within ${timeoutMs} ms; clients closed forcibly`,
    );
    this.name = 'ShutdownTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** A compression codec of {@link registerKafkaCodecs}. */
export type CodecName = 'gzip' | 'snappy' | 'lz4' | 'zstd';

/**
 * A record batch could not be decompressed (code `DECOMPRESSED_TOO_LARGE` when it would exceed
 * `maxDecompressedBytes`, `DECOMPRESSION_FAILED` when it is corrupt), or a codec is not available
 * on this runtime (`CODEC_UNAVAILABLE`, zstd output before Node 22.15). Never retryable: the same
 * bytes fail the same way. Thrown inside kafkajs' decoder, which turns a batch that failed this
 * way into one `undecodableBatch` record (see the package README).
 */
export class CodecError extends ProcessorError {
  /** The codec. */
  readonly codec: CodecName;
  /** Size of the compressed input in bytes (0 for `CODEC_UNAVAILABLE`). */
  readonly compressedBytes: number;
  /** The bound in force (`maxDecompressedBytes`), in bytes. */
  readonly maxDecompressedBytes: number;

  constructor(
    code: 'DECOMPRESSED_TOO_LARGE' | 'DECOMPRESSION_FAILED' | 'CODEC_UNAVAILABLE',
    codec: CodecName,
    details: { compressedBytes: number; maxDecompressedBytes: number; message: string; cause?: unknown },
  ) {
    super(code, details.message, { cause: details.cause });
    this.name = 'CodecError';
    this.codec = codec;
    this.compressedBytes = details.compressedBytes;
    this.maxDecompressedBytes = details.maxDecompressedBytes;
  }
}

/**
 * Fails a pending operation of `AggregateProcessor` when it is stopping (code `INVALID_STATE`,
 * never retried). Internal: it never reaches a caller (the batch is abandoned quietly).
 */
export class StoppingError extends ProcessorError {
  constructor() {
    super('INVALID_STATE', 'the processor is stopping');
  }
}

/**
 * A stream thread of `AggregateStreamThreads` failed: its processor did not start
 * (`STREAM_THREAD_START_FAILED`), failed for good (`STREAM_THREAD_FATAL`, its `onFatal`), or the
 * thread itself died (`STREAM_THREAD_DIED`). `cause` is the thread's error as it crossed the thread
 * boundary: a plain object with `type`, `message` and, when the original had them, `code`,
 * `retryable`, `stack` and `cause`. Retryable as the original was.
 */
export class StreamThreadError extends ProcessorError {
  /** Index of the thread (0-based). */
  readonly thread: number;

  constructor(
    code: 'STREAM_THREAD_START_FAILED' | 'STREAM_THREAD_FATAL' | 'STREAM_THREAD_DIED',
    thread: number,
    problem: string,
    cause?: { readonly message: string; readonly retryable?: boolean },
  ) {
    super(code, `Stream thread ${thread}: ${problem}${cause === undefined ? '' : `: ${cause.message}`}`, {
      ...(cause === undefined ? {} : { cause }),
      retryable: cause?.retryable ?? false,
    });
    this.name = 'StreamThreadError';
    this.thread = thread;
  }
}
