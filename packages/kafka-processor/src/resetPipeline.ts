import { type EpochReason, readPipelineEpoch, startNewEpoch } from './pipelineEpoch.js';
import { type PipelineToolOptions, resolveToolOptions, STAGED } from './pipelineToolOptions.js';
import { inputPartitionCount, rebuildInternalTopics, withAdmin } from './rebuildInternalTopics.js';

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
  const r = resolveToolOptions(options);
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
