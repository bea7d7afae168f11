import { type Logger, SILENT_LOGGER } from '@marketplace/options';
import { DEFAULT_TOPICS, type ProductTopics } from '@marketplace/product-events';
import type { Kafka } from 'kafkajs';
import { DEFAULT_INTERNAL_TOPICS, type InternalTopics } from './defaults.js';
import { DEFAULT_EPOCH_TOPIC } from './pipelineEpoch.js';

/** Options of `rescalePipeline` and `resetPipeline`. */
export interface PipelineToolOptions {
  kafka: Kafka;
  /** The deployment's application id (stage 1's transactional ids and internal group names). */
  applicationId: string;
  /** Stage 1's consumer group. @default `${applicationId}-aggregate` */
  groupId?: string;
  /** Stage 2's consumer group, reset to the beginning of the recreated metric-change topic. */
  sinkGroupId: string;
  /** @default DEFAULT_TOPICS of `@marketplace/product-events` */
  topics?: Partial<ProductTopics>;
  /** @default DEFAULT_INTERNAL_TOPICS */
  internalTopics?: Partial<InternalTopics>;
  /** @default 'analytics.epoch' */
  epochTopic?: string;
  /** Replication factor of recreated topics. @default -1 (broker default) */
  replicationFactor?: number;
  /** Without it nothing is changed: the plan is returned. */
  apply: boolean;
  /** Called as the work advances (phases and counts). */
  onProgress?: (progress: PipelineToolProgress) => void;
  /** @default silent */
  logger?: Logger;
}

/** A progress report. */
export interface PipelineToolProgress {
  phase:
    | 'reading-changelog'
    | 'reading-input'
    | 'staging'
    | 'rebuilding-topics'
    | 'writing-changelog'
    | 'done';
  /** Items done in this phase (records read or products written). */
  done: number;
  /** Items of the phase when known. */
  total?: number;
}

/** Phase marker of an epoch record written in the middle of a rescale or reset. */
export const STAGED = 'staged';

/** {@link PipelineToolOptions} with the defaults filled in. */
export interface ResolvedToolOptions {
  kafka: Kafka;
  applicationId: string;
  groupId: string;
  sinkGroupId: string;
  topics: ProductTopics;
  inputTopics: string[];
  internal: InternalTopics;
  epochTopic: string;
  replicationFactor: number;
  logger: Logger;
  progress: (progress: PipelineToolProgress) => void;
}

/** Fills in the defaults of {@link PipelineToolOptions}. */
export function resolveToolOptions(options: PipelineToolOptions): ResolvedToolOptions {
  const topics = { ...DEFAULT_TOPICS, ...options.topics };
  return {
    kafka: options.kafka,
    applicationId: options.applicationId,
    groupId: options.groupId ?? `${options.applicationId}-aggregate`,
    sinkGroupId: options.sinkGroupId,
    topics,
    inputTopics: [topics.created, topics.updated, topics.deleted],
    internal: { ...DEFAULT_INTERNAL_TOPICS, ...options.internalTopics },
    epochTopic: options.epochTopic ?? DEFAULT_EPOCH_TOPIC,
    replicationFactor: options.replicationFactor ?? -1,
    logger: options.logger ?? SILENT_LOGGER,
    progress: options.onProgress ?? (() => {}),
  };
}
