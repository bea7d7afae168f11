export {
  type AssignmentMember,
  CO_PARTITIONED_PROTOCOL,
  type CoPartitionedAssignerOptions,
  createCoPartitionedAssigner,
  decodeOwnedGroups,
  encodeOwnedGroups,
  planCoPartitionedAssignment,
} from './coPartitionedAssigner.js';
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
