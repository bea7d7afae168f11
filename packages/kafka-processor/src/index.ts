export type { Logger } from '@marketplace/options';
export { AggregateProcessor, type AggregateProcessorOptions } from './AggregateProcessor.js';
export {
  AggregateStreamThreads,
  type AggregateStreamThreadsOptions,
  type StreamThreadStats,
} from './AggregateStreamThreads.js';
export {
  DEFAULT_CODEC_OPTIONS,
  isZstdOutputAvailable,
  type KafkaCodecOptions,
  OUTPUT_COMPRESSIONS,
  type OutputCompression,
  registerKafkaCodecs,
} from './codecs.js';
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
export type { DeadLetterCode, DeadLetterForm, UndecodableBatch } from './deadLetters.js';
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
  REROUTE_TOPIC_CONFIG,
} from './defaults.js';
export {
  CodecError,
  type CodecName,
  InternalTopicError,
  KafkaProcessorOptionsError,
  PROCESSOR_ERROR_CODES,
  ProcessorError,
  type ProcessorErrorCode,
  ProducerFencedError,
  RestoreError,
  ShutdownTimeoutError,
  StreamThreadError,
  TopicMismatchError,
  TransactionError,
} from './errors.js';
export { fetchGroupLag, type PartitionLag, type WatchedGroup } from './fetchGroupLag.js';
export { isMessageTooLargeError, isProducerFencedError } from './kafkaErrors.js';
export { type KafkajsPatchGap, kafkajsPatchGaps } from './kafkajsPatch.js';
export { LagMonitor, type LagMonitorOptions } from './LagMonitor.js';
export type { LowStockAlert } from './lowStockAlertMessage.js';
export { MetricChangeConsumer, type MetricChangeConsumerOptions } from './MetricChangeConsumer.js';
export {
  DEFAULT_PARTITIONER,
  isPartitionerName,
  murmur2,
  PARTITIONERS,
  type PartitionerName,
  partitionForKey,
} from './partitioners.js';
export {
  DEFAULT_EPOCH_TOPIC,
  decodeGroupEpochMarker,
  decodePipelineEpoch,
  EPOCH_HEADER,
  EPOCH_TOPIC_CONFIG,
  type EpochReason,
  encodeGroupEpochMarker,
  encodePipelineEpoch,
  ensureEpochTopic,
  epochOfHeaders,
  GROUP_EPOCH_KEY,
  PIPELINE_EPOCH_FORMAT,
  type PipelineEpoch,
  type ReadPipelineEpochOptions,
  readPipelineEpoch,
  type StartNewEpochOptions,
  startNewEpoch,
} from './pipelineEpoch.js';
export type { PipelineToolOptions, PipelineToolProgress } from './pipelineToolOptions.js';
export {
  DEFAULT_REDRIVE_OPTIONS,
  type RedriveDeadLettersOptions,
  type RedriveProgress,
  type RedriveResult,
  redriveDeadLetters,
} from './redriveDeadLetters.js';
export { REROUTE_HEADERS, REROUTE_NOT_OWNER } from './rerouteMessage.js';
export {
  type RescalePipelineOptions,
  type RescaleResult,
  rescalePipeline,
  stagingTopicOf,
} from './rescalePipeline.js';
export { type ResetResult, resetPipeline } from './resetPipeline.js';
export {
  type ScanDeadLettersOptions,
  type ScanDeadLettersResult,
  scanDeadLetters,
} from './scanDeadLetters.js';
export { snapshotChanges } from './snapshotChanges.js';
export { type ClonedError, kafkajsLevel, type StreamThreadProcessorOptions } from './streamThread.js';
export type { BatchMetrics, MetricChangeConsumerMetricsHooks, ProcessorMetricsHooks } from './types.js';
export {
  type MetricChangeWriter,
  type NamedWriter,
  type WriteInOrderHooks,
  writeInOrder,
} from './writeInOrder.js';
