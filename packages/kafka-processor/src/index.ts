export { AggregateProcessor, type AggregateProcessorOptions } from './AggregateProcessor.js';
export {
  type ConsumedBatch,
  type ConsumeToEndOptions,
  type ConsumeToEndResult,
  consumeToEnd,
} from './consumeToEnd.js';
export {
  type AssignmentMember,
  CO_PARTITIONED_PROTOCOL,
  type CoPartitionedAssignerOptions,
  createCoPartitionedAssigner,
  decodeOwnedGroups,
  encodeOwnedGroups,
  planCoPartitionedAssignment,
} from './coPartitionedAssigner.js';
export { DeadLetterStats, type DeadLetterSummary } from './DeadLetterStats.js';
export {
  type DeadLetter,
  type DeadLetterFilter,
  decodeDeadLetter,
  matchesDeadLetterFilter,
  redriveCountOf,
  redriveMessage,
} from './decodeDeadLetter.js';
export {
  DEAD_LETTER_HEADERS,
  DEFAULT_INTERNAL_TOPICS,
  DEFAULT_METRIC_CHANGE_CONSUMER_OPTIONS,
  DEFAULT_PROCESSOR_OPTIONS,
  type InternalTopics,
  type ProcessorConsumerOptions,
  REDRIVE_COUNT_HEADER,
} from './defaults.js';
export {
  InternalTopicError,
  InvalidProcessorOptionsError,
  PROCESSOR_ERROR_CODES,
  ProcessorError,
  type ProcessorErrorCode,
  ProducerFencedError,
  RestoreError,
  ShutdownTimeoutError,
  TopicMismatchError,
  TransactionError,
} from './errors.js';
export { isProducerFencedError } from './kafkaErrors.js';
export { MetricChangeConsumer, type MetricChangeConsumerOptions } from './MetricChangeConsumer.js';
export type { LowStockAlert } from './records.js';
export {
  DEFAULT_REDRIVE_OPTIONS,
  type RedriveDeadLettersOptions,
  type RedriveProgress,
  type RedriveResult,
  redriveDeadLetters,
} from './redriveDeadLetters.js';
export {
  type ScanDeadLettersOptions,
  type ScanDeadLettersResult,
  scanDeadLetters,
} from './scanDeadLetters.js';
export type {
  BatchMetrics,
  MetricChangeConsumerMetricsHooks,
  ProcessorLogger,
  ProcessorMetricsHooks,
} from './types.js';
