import { randomUUID } from 'node:crypto';
import type { Admin, IHeaders, Kafka } from 'kafkajs';
import { consumeToEnd } from './consumeToEnd.js';
import { InternalTopicError } from './errors.js';
import { createTopicsAndWait } from './prepareTopics.js';

/**
 * Pipeline epochs (docs/architecture.md#epochs-rescale-and-reset): a generation number of the
 * whole pipeline. Every metric change carries the epoch it was written in (header
 * {@link EPOCH_HEADER}), and the sinks order a row's writes by (epoch, offset), so a new epoch
 * supersedes whatever offsets an earlier `analytics.metric-changes` had. The current epoch is one
 * record in a small compacted topic ({@link DEFAULT_EPOCH_TOPIC}) that stage 1 and the tools read.
 */

/** Default name of the topic holding the current pipeline epoch (one partition, compacted). */
export const DEFAULT_EPOCH_TOPIC = 'analytics.epoch';

/** Header of every metric-change record: the pipeline epoch it was written in (decimal). */
export const EPOCH_HEADER = 'analytics-epoch';

/**
 * Changelog key of a group's epoch marker: the epoch whose full snapshot of the group's partial
 * metrics is in `analytics.metric-changes`. Product ids are never empty, so it cannot collide.
 */
export const GROUP_EPOCH_KEY = '';

/** Key of the current epoch record in the epoch topic. */
const EPOCH_KEY = 'epoch';

/** Format of the epoch records this package writes. */
export const PIPELINE_EPOCH_FORMAT = 1;

/** Topic configuration of the epoch topic: compacted, so the current epoch is never deleted. */
export const EPOCH_TOPIC_CONFIG: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'compact',
});

/** What started an epoch. */
export type EpochReason = 'rescale' | 'reset' | 'new-epoch';

/** The current pipeline epoch as stored in the epoch topic. */
export interface PipelineEpoch {
  /** Generation number, >= 1 (a pipeline that never started a new one is in epoch 0). */
  readonly epoch: number;
  /** Input partition count (= groups) the epoch was started for. */
  readonly partitions: number;
  /** What started it. */
  readonly reason: EpochReason;
  /** When it was started (ISO-8601). */
  readonly startedAt: string;
  /**
   * `staged` while a rescale or reset that started this epoch has not finished: stage 1 refuses to
   * start, and running the command again finishes it. Absent when the epoch is in force.
   */
  readonly phase?: 'staged';
}

/** Serialises an epoch record (JSON with `format: 1`). */
export function encodePipelineEpoch(epoch: PipelineEpoch): Buffer {
  return Buffer.from(JSON.stringify({ format: PIPELINE_EPOCH_FORMAT, ...epoch }), 'utf8');
}

/**
 * Parses an epoch record.
 * @throws {InternalTopicError} `INTERNAL_TOPIC_INVALID` for another format or invalid fields.
 */
export function decodePipelineEpoch(topic: string, value: Buffer): PipelineEpoch {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new InternalTopicError(topic, 'its epoch record is not JSON', error);
  }
  if (parsed?.['format'] !== PIPELINE_EPOCH_FORMAT) {
    throw new InternalTopicError(
      topic,
      `its epoch record has format ${JSON.stringify(parsed?.['format'])}; this version reads format ${PIPELINE_EPOCH_FORMAT}`,
    );
  }
  const { epoch, partitions, reason, startedAt, phase } = parsed;
  if (
    !isCount(epoch) ||
    !isCount(partitions) ||
    typeof reason !== 'string' ||
    typeof startedAt !== 'string' ||
    (phase !== undefined && phase !== 'staged')
  ) {
    throw new InternalTopicError(topic, 'its epoch record lacks epoch, partitions, reason or startedAt');
  }
  return {
    epoch,
    partitions,
    reason: reason as EpochReason,
    startedAt,
    ...(phase === 'staged' ? { phase } : {}),
  };
}

/**
 * The epoch a metric-change record was written in: its {@link EPOCH_HEADER}, 0 without one
 * (written before epochs existed).
 * @throws {Error} when the header is not a decimal integer.
 */
export function epochOfHeaders(headers: IHeaders | undefined): number {
  const raw = headers?.[EPOCH_HEADER];
  if (raw === undefined) return 0;
  const text = (Array.isArray(raw) ? raw[0] : raw)?.toString();
  const epoch = text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(epoch)) throw new Error(`header ${EPOCH_HEADER} is not an epoch: ${text}`);
  return epoch;
}

/** Value of a group's epoch marker in the changelog (`{"epoch":N}`). */
export function encodeGroupEpochMarker(epoch: number): Buffer {
  return Buffer.from(JSON.stringify({ epoch }), 'utf8');
}

/**
 * Parses a group's epoch marker.
 * @throws {Error} when it is not `{"epoch":N}`.
 */
export function decodeGroupEpochMarker(value: Buffer): number {
  const epoch = (JSON.parse(value.toString('utf8')) as { epoch?: unknown } | null)?.epoch;
  if (!isCount(epoch)) throw new Error('the group epoch marker has no epoch');
  return epoch;
}

/**
 * Creates the epoch topic (one partition, compacted) when it is missing.
 * @returns whether it was created.
 */
export async function ensureEpochTopic(
  admin: Admin,
  topic: string,
  replicationFactor = -1,
): Promise<boolean> {
  if ((await admin.listTopics()).includes(topic)) return false;
  const configEntries = Object.entries(EPOCH_TOPIC_CONFIG).map(([name, value]) => ({ name, value }));
  return createTopicsAndWait(admin, [{ topic, numPartitions: 1, replicationFactor, configEntries }]);
}

/** Options of {@link readPipelineEpoch}. */
export interface ReadPipelineEpochOptions {
  kafka: Kafka;
  /** The epoch topic. @default 'analytics.epoch' */
  topic?: string;
  /** Prefix of the throwaway consumer group that reads it. */
  groupIdPrefix: string;
}

/**
 * Reads the current pipeline epoch (the latest epoch record, read_committed, to the end).
 * @returns `undefined` when the topic is missing or empty (the pipeline is in epoch 0).
 * @throws {InternalTopicError} `INTERNAL_TOPIC_INVALID` when the record cannot be read.
 */
export async function readPipelineEpoch(
  options: ReadPipelineEpochOptions,
): Promise<PipelineEpoch | undefined> {
  const topic = options.topic ?? DEFAULT_EPOCH_TOPIC;
  const admin = options.kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    const [end] = await admin.fetchTopicOffsets(topic);
    if (end === undefined || BigInt(end.high) <= BigInt(end.low)) return undefined;
  } finally {
    await admin.disconnect().catch(() => {});
  }
  let latest: PipelineEpoch | undefined;
  await consumeToEnd({
    kafka: options.kafka,
    topic,
    groupId: `${options.groupIdPrefix}-epoch-${randomUUID()}`,
    deleteGroup: true,
    eachBatch: ({ messages }) => {
      for (const message of messages) {
        if (message.key?.toString('utf8') === EPOCH_KEY && message.value !== null) {
          latest = decodePipelineEpoch(topic, message.value);
        }
      }
      return true;
    },
  });
  return latest;
}

/** Options of {@link startNewEpoch}. */
export interface StartNewEpochOptions {
  kafka: Kafka;
  /** The epoch topic (created when missing). @default 'analytics.epoch' */
  topic?: string;
  /** Prefix of the throwaway consumer group that reads the current epoch. */
  groupIdPrefix: string;
  /** Input partition count the new epoch is for. */
  partitions: number;
  reason: EpochReason;
  /** Replication factor when the topic is created. @default -1 (broker default) */
  replicationFactor?: number;
  /** The epoch must be exactly this one (a re-run after a crash that already wrote it is a no-op). */
  epoch?: number;
  /** Write the epoch `staged` (a rescale or reset in progress). */
  phase?: 'staged';
  /** With `epoch`: write the record even when that epoch is already current (e.g. to mark it done). */
  replace?: boolean;
  /** Clock. @default () => new Date() */
  now?: () => Date;
}

/**
 * Starts a new pipeline epoch: writes `current + 1` (or `options.epoch` when given and not yet
 * reached) to the epoch topic, acknowledged by all in-sync replicas.
 * @returns the epoch now current.
 */
export async function startNewEpoch(options: StartNewEpochOptions): Promise<PipelineEpoch> {
  const topic = options.topic ?? DEFAULT_EPOCH_TOPIC;
  const admin = options.kafka.admin();
  await admin.connect();
  try {
    await ensureEpochTopic(admin, topic, options.replicationFactor);
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const current = await readPipelineEpoch({
    kafka: options.kafka,
    topic,
    groupIdPrefix: options.groupIdPrefix,
  });
  const currentEpoch = current?.epoch ?? 0;
  if (
    options.epoch !== undefined &&
    current !== undefined &&
    currentEpoch >= options.epoch &&
    !options.replace
  ) {
    return current;
  }
  const next: PipelineEpoch = {
    epoch: options.epoch ?? currentEpoch + 1,
    partitions: options.partitions,
    reason: options.reason,
    startedAt:
      options.replace && current !== undefined && current.epoch === options.epoch
        ? current.startedAt
        : (options.now?.() ?? new Date()).toISOString(),
    ...(options.phase === undefined ? {} : { phase: options.phase }),
  };
  const producer = options.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: EPOCH_KEY, value: encodePipelineEpoch(next), partition: 0 }],
    });
  } finally {
    await producer.disconnect().catch(() => {});
  }
  return next;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
