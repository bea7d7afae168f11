import type { ProductState } from '@marketplace/analytics-aggregator';
import type { ReducerPool } from '@marketplace/worker-pool';
import type { KafkaMessage, Message } from 'kafkajs';
import { groupStates, readStates, readStatesByPartition, writeStates } from './changelogStates.js';
import { deadLettersOf, splitUndecodable } from './deadLetters.js';
import { DEFAULT_PROCESSOR_OPTIONS } from './defaults.js';
import { InternalTopicError, ProcessorError } from './errors.js';
import { PARTITIONERS, type PartitionerName, partitionForKey } from './partitioners.js';
import {
  encodePipelineEpoch,
  ensureEpochTopic,
  type PipelineEpoch,
  readPipelineEpoch,
  startNewEpoch,
} from './pipelineEpoch.js';
import {
  type PipelineToolOptions,
  type ResolvedToolOptions,
  resolveToolOptions,
  STAGED,
} from './pipelineToolOptions.js';
import { readPending } from './readPending.js';
import {
  createTopic,
  deleteTopics,
  inputPartitionCount,
  partitionCount,
  rebuildInternalTopics,
  withAdmin,
} from './rebuildInternalTopics.js';
import { readRerouteSource } from './rerouteMessage.js';
import { toRawMessage } from './toRawMessage.js';

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

/** Name of the staging changelog of a rescale to `epoch`. */
export function stagingTopicOf(changelog: string, epoch: number): string {
  return `${changelog}.rescale-e${epoch}`;
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
  const r = resolveToolOptions(options);
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

/** Step 4: recreate the topics, copy the staged states in, mark the epoch done, drop the staging topic. */
async function finishRescale(
  r: ResolvedToolOptions,
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

async function cleanUpStaging(r: ResolvedToolOptions): Promise<void> {
  await withAdmin(r.kafka, async (admin) => {
    const prefix = `${r.internal.productState}.rescale-e`;
    const leftovers = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    await deleteTopics(admin, leftovers);
  });
}
