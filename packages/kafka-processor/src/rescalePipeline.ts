import { randomUUID } from 'node:crypto';
import { decodeProductState, encodeProductState, type ProductState } from '@marketplace/analytics-aggregator';
import { type Logger, SILENT_LOGGER } from '@marketplace/options';
import { DEFAULT_TOPICS, type ProductTopics } from '@marketplace/product-events';
import { withRetry } from '@marketplace/retry';
import type { ReducerPool } from '@marketplace/worker-pool';
import type { Admin, Kafka, KafkaMessage, Message } from 'kafkajs';
import { chunkBySize } from './chunkBySize.js';
import { consumeToEnd } from './consumeToEnd.js';
import { deadLettersOf, splitUndecodable } from './deadLetters.js';
import {
  COMPACTED_INTERNAL_TOPICS,
  DEFAULT_INTERNAL_TOPICS,
  DEFAULT_PROCESSOR_OPTIONS,
  type InternalTopics,
  REROUTE_TOPIC_CONFIG,
} from './defaults.js';
import { InternalTopicError, ProcessorError, TopicMismatchError } from './errors.js';
import { PARTITIONERS, type PartitionerName, partitionForKey } from './partitioners.js';
import {
  DEFAULT_EPOCH_TOPIC,
  type EpochReason,
  encodePipelineEpoch,
  ensureEpochTopic,
  GROUP_EPOCH_KEY,
  type PipelineEpoch,
  readPipelineEpoch,
  startNewEpoch,
} from './pipelineEpoch.js';
import { createTopicsAndWait } from './prepareTopics.js';
import { readRerouteSource } from './rerouteMessage.js';
import { toRawMessage } from './toRawMessage.js';

/** Options of {@link rescalePipeline} and {@link resetPipeline}. */
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

/** Options of {@link rescalePipeline}. */
export interface RescalePipelineOptions extends PipelineToolOptions {
  /** The producers' partitioner: every product goes to `partitioner(key) mod partitions`. @default 'murmur2' */
  partitioner?: PartitionerName;
  /** Reduces the pending input records (their events applied by version). */
  pool: ReducerPool;
  /** Records per input partition read before the committed offset to check the partitioner. @default 200 */
  sampleSize?: number;
  /** Share of sampled records that must follow the partitioner. @default 0.9 */
  minMatchShare?: number;
  /** Products per transaction when staging the new changelog. @default 20000 */
  productsPerTransaction?: number;
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

/** What {@link rescalePipeline} found and did. */
export interface RescaleResult {
  /** `nothing-to-do`, `planned` (without `apply`), `rescaled`, `resumed` (finished an interrupted run). */
  outcome: 'nothing-to-do' | 'planned' | 'rescaled' | 'resumed';
  /** Partition count of the changelog before (undefined when resuming). */
  fromPartitions: number | undefined;
  /** Input partition count: the new group count. */
  toPartitions: number;
  /** The epoch before and the one the rescale starts. */
  epoch: number;
  nextEpoch: number;
  /** Products in the repartitioned state. */
  products: number;
  /** Pending input records (consumed by nobody yet) applied, and those of them that were invalid. */
  pendingRecords: number;
  invalidPendingRecords: number;
  /** Partitioner check: records sampled and how many each partitioner explains. */
  sample: { records: number; matches: Record<PartitionerName, number> };
}

/** Phase marker of an epoch record written in the middle of a rescale or reset. */
const STAGED = 'staged';

interface Resolved {
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

function resolve(options: PipelineToolOptions): Resolved {
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

/** Name of the staging changelog of a rescale to `epoch`. */
export function stagingTopicOf(changelog: string, epoch: number): string {
  return `${changelog}.rescale-e${epoch}`;
}

async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function partitionCount(admin: Admin, topic: string): Promise<number | undefined> {
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.length;
}

async function inputPartitionCount(admin: Admin, inputTopics: readonly string[]): Promise<number> {
  const counts: Record<string, number | null> = {};
  for (const topic of inputTopics) counts[topic] = (await partitionCount(admin, topic)) ?? null;
  const distinct = new Set(Object.values(counts));
  const [count] = distinct;
  if (distinct.size !== 1 || count === null || count === undefined) throw new TopicMismatchError(counts);
  return count;
}

/** Deletes topics (when present) and waits until the broker no longer lists them. */
async function deleteTopics(admin: Admin, topics: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length === 0) return;
  await admin.deleteTopics({ topics: present, timeout: 30_000 });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const listed = new Set(await admin.listTopics());
    if (present.every((t) => !listed.has(t))) return;
    if (Date.now() > deadline)
      throw new InternalTopicError(present.join(', '), 'deleting it did not finish in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Creates a topic, retrying while the broker still finishes deleting its previous incarnation. */
async function createTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  replicationFactor: number,
  config: Record<string, string>,
): Promise<void> {
  const configEntries = Object.entries(config).map(([name, value]) => ({ name, value }));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await createTopicsAndWait(admin, [
        { topic, numPartitions: partitions, replicationFactor, configEntries },
      ]);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new InternalTopicError(topic, 'creating it failed', error);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Internal topics recreated at `partitions`, and the others grown to at least that many; consumer offsets reset. */
async function rebuildInternalTopics(
  r: Resolved,
  admin: Admin,
  partitions: number,
  inputsFromStart: boolean,
): Promise<void> {
  const { internal } = r;
  const recreated = [internal.productState, internal.metricChanges, internal.reroute];
  await deleteTopics(admin, recreated);
  const compacted = new Set(COMPACTED_INTERNAL_TOPICS.map((key) => internal[key]));
  for (const topic of recreated) {
    const config = compacted.has(topic)
      ? { 'cleanup.policy': 'compact' }
      : topic === internal.reroute
        ? { ...REROUTE_TOPIC_CONFIG }
        : {};
    await createTopic(admin, topic, partitions, r.replicationFactor, config);
  }
  for (const topic of [internal.deadLetter, internal.lowStockAlerts]) {
    const count = await partitionCount(admin, topic);
    if (count === undefined) await createTopic(admin, topic, partitions, r.replicationFactor, {});
    else if (count < partitions)
      await admin.createPartitions({ topicPartitions: [{ topic, count: partitions }] });
  }
  // Committed offsets of the recreated topics point into their previous incarnation: start over.
  const resets: [string, string][] = [
    [r.groupId, internal.reroute],
    [r.sinkGroupId, internal.metricChanges],
    ...(inputsFromStart ? r.inputTopics.map((t) => [r.groupId, t] as [string, string]) : []),
  ];
  for (const [groupId, topic] of resets) {
    // A topic created moments ago may still answer NOT_LEADER: retry what is retryable.
    await withRetry(
      async () => {
        const ends = await admin.fetchTopicOffsets(topic);
        const fromStart = inputsFromStart && topic !== internal.reroute && topic !== internal.metricChanges;
        await admin.setOffsets({
          groupId,
          topic,
          partitions: ends.map((e) => ({ partition: e.partition, offset: fromStart ? e.low : '0' })),
        });
      },
      {
        retries: 8,
        minDelayMs: 200,
        maxDelayMs: 2_000,
        operation: `reset the offsets of ${groupId} on ${topic}`,
      },
    );
  }
}

/** Writes product states to their group's partition of `topic` (idempotent producer, all acks). */
async function writeStates(
  r: Resolved,
  topic: string,
  byGroup: readonly (readonly ProductState[])[],
  report: (done: number) => void,
): Promise<void> {
  const producer = r.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    let done = 0;
    for (const [group, states] of byGroup.entries()) {
      const messages: Message[] = states.map((s) => ({
        key: s.productId,
        value: encodeProductState(s),
        partition: group,
      }));
      for (const chunk of chunkBySize(messages, DEFAULT_PROCESSOR_OPTIONS.maxRequestBytes, 500)) {
        await producer.send({ topic, acks: -1, messages: chunk });
        done += chunk.length;
        report(done);
      }
    }
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

/** Reads a changelog (or staging) topic whole: the latest state per product. */
async function readStates(
  r: Resolved,
  topic: string,
  phase: PipelineToolProgress['phase'],
): Promise<Map<string, ProductState>> {
  const states = new Map<string, ProductState>();
  let read = 0;
  let total = 0;
  await consumeToEnd({
    kafka: r.kafka,
    topic,
    groupId: `${r.groupId}-rescale-${randomUUID()}`,
    deleteGroup: true,
    onStart: (n) => {
      total = n;
    },
    eachBatch: ({ messages }) => {
      for (const message of messages) {
        const key = message.key?.toString('utf8');
        if (key === undefined || key === GROUP_EPOCH_KEY) continue;
        if (message.value === null) states.delete(key);
        else states.set(key, decodeProductState(message.value));
      }
      read += messages.length;
      r.progress({ phase, done: read, total });
      return true;
    },
  });
  return states;
}

/**
 * Takes stage 1 to the input topics' current partition count without reading input history
 * (docs/architecture.md#epochs-rescale-and-reset). Run it with every stage-1 member stopped.
 *
 * 1. checks `partitioner` against the input records produced since the growth (those of the new
 *    partitions, and those of the old ones from the first record of a new one on, among the last
 *    `sampleSize` before the committed offsets and the pending ones): refuses with
 *    `PARTITIONER_MISMATCH` naming the one that matches when the configured one does not (no
 *    check when nothing was produced since the growth);
 * 2. reads the whole changelog and applies every pending input record (committed offset .. end)
 *    by version, pending records of the reroute topic included;
 * 3. stages the repartitioned states in `${changelog}.rescale-e<epoch>` and, in the last
 *    transaction, commits the consumed input offsets and writes the new epoch marked `staged`;
 * 4. recreates the changelog, metric-change and reroute topics at the new count (dead-letter and
 *    alert topics grown), copies the staged states in, resets the offsets of the recreated topics,
 *    and marks the epoch done. Stage 1 then writes every group's snapshot under the new epoch.
 *
 * Safe to run again after a crash at any point: before the staged marker nothing outside the
 * staging topic has changed; after it, step 4 is redone from the staging topic.
 * @throws {ProcessorError} `PARTITIONER_MISMATCH`; `TopicMismatchError`; `InternalTopicError`.
 */
export async function rescalePipeline(options: RescalePipelineOptions): Promise<RescaleResult> {
  const r = resolve(options);
  const partitioner = options.partitioner ?? 'murmur2';
  const current = await readPipelineEpoch({ kafka: r.kafka, topic: r.epochTopic, groupIdPrefix: r.groupId });
  const epoch = current?.epoch ?? 0;
  const { toPartitions, fromPartitions } = await withAdmin(r.kafka, async (admin) => ({
    toPartitions: await inputPartitionCount(admin, r.inputTopics),
    fromPartitions: await partitionCount(admin, r.internal.productState),
  }));
  const sample = { records: 0, matches: { murmur2: 0, crc32: 0 } as Record<PartitionerName, number> };
  const base = { toPartitions, epoch, pendingRecords: 0, invalidPendingRecords: 0, sample };

  if (current?.phase === STAGED && current.reason === 'rescale') {
    // An interrupted run committed the input offsets already: finish it from the staging topic.
    if (!options.apply) return { ...base, outcome: 'planned', fromPartitions, nextEpoch: epoch, products: 0 };
    const products = await finishRescale(r, current);
    return { ...base, outcome: 'resumed', fromPartitions: undefined, nextEpoch: epoch, products };
  }
  if (fromPartitions === toPartitions) {
    await cleanUpStaging(r);
    return { ...base, outcome: 'nothing-to-do', fromPartitions, nextEpoch: epoch, products: 0 };
  }
  if (fromPartitions === undefined) {
    throw new InternalTopicError(
      r.internal.productState,
      'it does not exist: there is no state to rescale (start the service instead)',
    );
  }

  // Only records produced since the growth say which partitioner the producers use now: every
  // record of a new partition, and records of the old ones from the first record of a new one on
  // (older records were placed over fewer partitions, possibly several growths ago).
  const candidates: { partition: number; key: Buffer; timestamp: number }[] = [];
  const consider = (topic: string, partition: number, message: KafkaMessage): void => {
    if (topic === r.internal.reroute || message.key === null) return;
    candidates.push({ partition, key: message.key, timestamp: Number(message.timestamp) });
  };
  const { pending, ends } = await readPending(r, options.sampleSize ?? 200, (topic, partition, message) =>
    consider(topic, partition, message),
  );
  for (const { topic, partition, messages } of pending) {
    for (const message of messages) consider(topic, partition, message);
  }
  let grownAt = Number.POSITIVE_INFINITY;
  for (const c of candidates)
    if (c.partition >= fromPartitions && c.timestamp < grownAt) grownAt = c.timestamp;
  for (const c of candidates) {
    if (c.partition < fromPartitions && !(c.timestamp >= grownAt)) continue;
    sample.records += 1;
    for (const name of PARTITIONERS) {
      if (partitionForKey(name, c.key, toPartitions) === c.partition) sample.matches[name] += 1;
    }
  }
  const minShare = options.minMatchShare ?? 0.9;
  if (sample.records > 0 && sample.matches[partitioner] < sample.records * minShare) {
    const other = PARTITIONERS.find(
      (name) => name !== partitioner && sample.matches[name] >= sample.records * minShare,
    );
    throw new ProcessorError(
      'PARTITIONER_MISMATCH',
      `the input records do not follow the configured partitioner ${partitioner} (${sample.matches[partitioner]} of ${sample.records} sampled records)` +
        (other === undefined
          ? `, nor ${PARTITIONERS.filter((n) => n !== partitioner).join(', ')}: fix the producers first`
          : `; they follow ${other} (${sample.matches[other]} of ${sample.records}): run again with --partitioner ${other} (INPUT_PARTITIONER=${other})`),
    );
  }

  const states = await readStates(r, r.internal.productState, 'reading-changelog');
  let pendingRecords = 0;
  let invalidPendingRecords = 0;
  const deadLetters: Message[] = [];
  for (const { topic, partition, messages } of pending) {
    pendingRecords += messages.length;
    const { decodable, undecodable } = splitUndecodable(messages);
    const priorStates = new Map<string, ProductState>();
    for (const message of decodable) {
      const prior = states.get(message.key?.toString('utf8') ?? '');
      if (prior) priorStates.set(prior.productId, prior);
    }
    const result = await options.pool.reduce({
      topic,
      partition,
      messages: decodable.map(toRawMessage),
      priorStates,
    });
    for (const state of result.states) states.set(state.productId, state);
    invalidPendingRecords += result.invalid.length + undecodable.length;
    const fromReroute = topic === r.internal.reroute;
    const bounded = deadLettersOf({ topic, partition }, decodable, result.invalid, undecodable, {
      partition: 0,
      maxBytes: DEFAULT_PROCESSOR_OPTIONS.maxDeadLetterBytes,
      ...(fromReroute ? { sourceOf: readRerouteSource } : {}),
    }).deadLetters;
    // The dead-letter topic keeps its partitions (grown, never recreated): keep the source's.
    deadLetters.push(...bounded.map((m) => ({ ...m, partition: Math.min(partition, fromPartitions - 1) })));
  }

  const nextEpoch = epoch + 1;
  const result: RescaleResult = {
    ...base,
    outcome: options.apply ? 'rescaled' : 'planned',
    fromPartitions,
    nextEpoch,
    products: states.size,
    pendingRecords,
    invalidPendingRecords,
  };
  if (!options.apply) return result;

  // Stage the repartitioned states; the last transaction commits the input offsets and the epoch.
  const staging = stagingTopicOf(r.internal.productState, nextEpoch);
  const byGroup = groupStates(states, partitioner, toPartitions);
  await withAdmin(r.kafka, async (admin) => {
    await deleteTopics(admin, [staging]);
    // The staged transaction writes the epoch (and dead letters): their topics must exist.
    await ensureEpochTopic(admin, r.epochTopic, r.replicationFactor);
    if (deadLetters.length > 0 && (await partitionCount(admin, r.internal.deadLetter)) === undefined) {
      await createTopic(admin, r.internal.deadLetter, fromPartitions, r.replicationFactor, {});
    }
    await createTopic(admin, staging, toPartitions, r.replicationFactor, { 'cleanup.policy': 'compact' });
  });
  await writeStates(r, staging, byGroup, (done) =>
    r.progress({ phase: 'staging', done, total: states.size }),
  );
  const producer = r.kafka.producer({
    transactionalId: `${r.applicationId}-rescale`,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    const transaction = await producer.transaction();
    try {
      if (deadLetters.length > 0) {
        await transaction.send({ topic: r.internal.deadLetter, acks: -1, messages: deadLetters });
      }
      const staged: PipelineEpoch = {
        epoch: nextEpoch,
        partitions: toPartitions,
        reason: 'rescale',
        startedAt: new Date().toISOString(),
        phase: STAGED,
      };
      await transaction.send({ topic: r.epochTopic, acks: -1, messages: [epochMessage(staged)] });
      await transaction.sendOffsets({
        consumerGroupId: r.groupId,
        topics: [...ends].map(([topic, partitions]) => ({
          topic,
          partitions: [...partitions].map(([partition, offset]) => ({ partition, offset })),
        })),
      });
      await transaction.commit();
    } catch (error) {
      if (transaction.isActive()) await transaction.abort().catch(() => {});
      throw error;
    }
  } finally {
    await producer.disconnect().catch(() => {});
  }
  r.logger.info('rescale staged: input offsets committed', {
    epoch: nextEpoch,
    products: states.size,
    pendingRecords,
  });
  await finishRescale(
    r,
    { epoch: nextEpoch, partitions: toPartitions, reason: 'rescale', startedAt: '', phase: STAGED },
    byGroup,
  );
  return result;
}

function epochMessage(epoch: PipelineEpoch): Message {
  return { key: 'epoch', value: encodePipelineEpoch(epoch), partition: 0 };
}

function groupStates(
  states: Map<string, ProductState>,
  partitioner: PartitionerName,
  partitions: number,
): ProductState[][] {
  const byGroup: ProductState[][] = Array.from({ length: partitions }, () => []);
  for (const state of states.values()) {
    byGroup[partitionForKey(partitioner, Buffer.from(state.productId, 'utf8'), partitions)]!.push(state);
  }
  return byGroup;
}

/** Step 4: recreate the topics, copy the staged states in, mark the epoch done, drop the staging topic. */
async function finishRescale(
  r: Resolved,
  staged: PipelineEpoch,
  inMemory?: ProductState[][],
): Promise<number> {
  const staging = stagingTopicOf(r.internal.productState, staged.epoch);
  let byGroup = inMemory;
  if (byGroup === undefined) {
    // Staged states are already at their group's partition: keep that partition.
    byGroup = Array.from({ length: staged.partitions }, () => [] as ProductState[]);
    const perPartition = await readStatesByPartition(r, staging);
    for (const [partition, states] of perPartition) byGroup[partition]!.push(...states.values());
  }
  r.progress({ phase: 'rebuilding-topics', done: 0 });
  await withAdmin(r.kafka, (admin) => rebuildInternalTopics(r, admin, staged.partitions, false));
  const total = byGroup.reduce((n, g) => n + g.length, 0);
  await writeStates(r, r.internal.productState, byGroup, (done) =>
    r.progress({ phase: 'writing-changelog', done, total }),
  );
  await startNewEpoch({
    kafka: r.kafka,
    topic: r.epochTopic,
    groupIdPrefix: r.groupId,
    partitions: staged.partitions,
    reason: staged.reason,
    epoch: staged.epoch,
    replace: true,
  });
  await cleanUpStaging(r);
  r.progress({ phase: 'done', done: total, total });
  return total;
}

async function cleanUpStaging(r: Resolved): Promise<void> {
  await withAdmin(r.kafka, async (admin) => {
    const prefix = `${r.internal.productState}.rescale-e`;
    const leftovers = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    await deleteTopics(admin, leftovers);
  });
}

async function readStatesByPartition(
  r: Resolved,
  topic: string,
): Promise<Map<number, Map<string, ProductState>>> {
  const byPartition = new Map<number, Map<string, ProductState>>();
  let read = 0;
  await consumeToEnd({
    kafka: r.kafka,
    topic,
    groupId: `${r.groupId}-rescale-${randomUUID()}`,
    deleteGroup: true,
    eachBatch: ({ partition, messages }) => {
      let states = byPartition.get(partition);
      if (states === undefined) {
        states = new Map();
        byPartition.set(partition, states);
      }
      for (const message of messages) {
        const key = message.key?.toString('utf8');
        if (key === undefined || key === GROUP_EPOCH_KEY) continue;
        if (message.value === null) states.delete(key);
        else states.set(key, decodeProductState(message.value));
      }
      read += messages.length;
      r.progress({ phase: 'reading-changelog', done: read });
      return true;
    },
  });
  return byPartition;
}

/**
 * Reads, per input topic and the reroute topic, the records from `sampleSize` before stage 1's
 * committed offset to the end; hands the ones below the committed offset to `sampleOnly`, returns
 * the pending ones and the end offsets to commit.
 */
async function readPending(
  r: Resolved,
  sampleSize: number,
  sampleOnly: (topic: string, partition: number, message: KafkaMessage) => void,
): Promise<{
  pending: { topic: string; partition: number; messages: KafkaMessage[] }[];
  ends: Map<string, Map<number, string>>;
}> {
  const pending: { topic: string; partition: number; messages: KafkaMessage[] }[] = [];
  const ends = new Map<string, Map<number, string>>();
  const topics = [...r.inputTopics, r.internal.reroute];
  let read = 0;
  for (const topic of topics) {
    const groupId = `${r.groupId}-rescale-${randomUUID()}`;
    const committed = new Map<number, bigint>();
    const seen = new Map<number, bigint>();
    // Partitions added moments ago may still be electing a leader: retry what is retryable.
    const present = await withRetry(
      () =>
        withAdmin(r.kafka, async (admin) => {
          if (!(await admin.listTopics()).includes(topic)) return false;
          const offsets = await admin.fetchTopicOffsets(topic);
          const [group] = await admin.fetchOffsets({ groupId: r.groupId, topics: [topic] });
          const topicEnds = new Map<number, string>();
          const starts: { partition: number; offset: string }[] = [];
          for (const o of offsets) {
            const at = group?.partitions.find((p) => p.partition === o.partition)?.offset ?? '-1';
            const from = at === '-1' || BigInt(at) < BigInt(o.low) ? BigInt(o.low) : BigInt(at);
            committed.set(o.partition, from);
            topicEnds.set(o.partition, o.high);
            const sampleFrom = topic === r.internal.reroute ? from : from - BigInt(sampleSize);
            starts.push({
              partition: o.partition,
              offset: String(sampleFrom < BigInt(o.low) ? BigInt(o.low) : sampleFrom),
            });
          }
          ends.set(topic, topicEnds);
          await admin.setOffsets({ groupId, topic, partitions: starts });
          return true;
        }),
      { retries: 8, minDelayMs: 200, maxDelayMs: 2_000, operation: `read the offsets of ${topic}` },
    );
    if (!present) continue;
    await consumeToEnd({
      kafka: r.kafka,
      topic,
      groupId,
      deleteGroup: true,
      eachBatch: ({ partition, messages: fetched }) => {
        // A rebalance of the throwaway group can hand a batch over twice: each offset once.
        const next = seen.get(partition) ?? -1n;
        const messages = fetched.filter((m) => BigInt(m.offset) > next);
        if (messages.length === 0) return true;
        seen.set(partition, BigInt(messages[messages.length - 1]!.offset));
        const from = committed.get(partition) ?? 0n;
        const mine = messages.filter((m) => BigInt(m.offset) >= from);
        for (const m of messages) if (BigInt(m.offset) < from) sampleOnly(topic, partition, m);
        if (mine.length > 0) pending.push({ topic, partition, messages: mine });
        read += messages.length;
        r.progress({ phase: 'reading-input', done: read });
        return true;
      },
    });
  }
  return { pending, ends };
}

/** What {@link resetPipeline} found and did. */
export interface ResetResult {
  outcome: 'planned' | 'reset' | 'resumed';
  epoch: number;
  nextEpoch: number;
  partitions: number;
  /** Input records stage 1 will reprocess (from the earliest retained offsets). */
  inputRecords: number;
}

/**
 * Reprocesses from scratch under a new epoch: recreates the changelog, metric-change and reroute
 * topics, sets stage 1's input offsets to the earliest retained ones and stage 2's to the start of
 * the new metric-change topic, then marks the new epoch done. Run it with the service stopped;
 * the service then rebuilds every state from the retained input. Safe to run again after a crash:
 * the epoch is written `staged` first, and a staged reset is redone from the start.
 */
export async function resetPipeline(options: PipelineToolOptions): Promise<ResetResult> {
  const r = resolve(options);
  const current = await readPipelineEpoch({ kafka: r.kafka, topic: r.epochTopic, groupIdPrefix: r.groupId });
  const resuming = current?.phase === STAGED && current.reason === 'reset';
  const epoch = current?.epoch ?? 0;
  const nextEpoch = resuming ? epoch : epoch + 1;
  const { partitions, inputRecords } = await withAdmin(r.kafka, async (admin) => {
    const count = await inputPartitionCount(admin, r.inputTopics);
    let records = 0;
    for (const topic of r.inputTopics) {
      for (const o of await admin.fetchTopicOffsets(topic)) records += Number(BigInt(o.high) - BigInt(o.low));
    }
    return { partitions: count, inputRecords: records };
  });
  const result: ResetResult = { outcome: 'planned', epoch, nextEpoch, partitions, inputRecords };
  if (!options.apply) return result;
  const reason: EpochReason = 'reset';
  await startNewEpoch({
    kafka: r.kafka,
    topic: r.epochTopic,
    groupIdPrefix: r.groupId,
    partitions,
    reason,
    epoch: nextEpoch,
    phase: STAGED,
    replace: resuming,
  });
  r.progress({ phase: 'rebuilding-topics', done: 0 });
  await withAdmin(r.kafka, (admin) => rebuildInternalTopics(r, admin, partitions, true));
  await startNewEpoch({
    kafka: r.kafka,
    topic: r.epochTopic,
    groupIdPrefix: r.groupId,
    partitions,
    reason,
    epoch: nextEpoch,
    replace: true,
  });
  r.progress({ phase: 'done', done: inputRecords, total: inputRecords });
  return { ...result, outcome: resuming ? 'resumed' : 'reset' };
}
