import {
  isPartitionerName,
  PARTITIONERS,
  type PartitionerName,
  type PipelineToolProgress,
  rescalePipeline,
  resetPipeline,
} from '@marketplace/kafka-processor';
import { ReducerPool } from '@marketplace/worker-pool';
import { pino } from 'pino';
import { createKafka } from './clients.js';
import type { ServiceConfig } from './config.js';
import { ArgumentsError } from './errors.js';

/** `analytics-service rescale|reset [--yes] [--partitioner murmur2|crc32]`. */
export interface PipelineCommand {
  kind: 'rescale' | 'reset';
  /** Without it, only the plan is printed. */
  yes: boolean;
  /** Overrides `INPUT_PARTITIONER` (rescale only). */
  partitioner: PartitionerName | undefined;
}

/** Usage lines of the rescale and reset commands. */
export const PIPELINE_USAGE = `  analytics-service rescale [--yes] [--partitioner murmur2|crc32]
      With the service stopped: takes stage 1 to the input topics' current partition count under a
      new epoch (changelog repartitioned, pending input applied). Without --yes: the plan only.
  analytics-service reset [--yes]
      With the service stopped: reprocesses from the earliest input offsets under a new epoch,
      internal topics recreated. Without --yes: the plan only.`;

/**
 * Parses the arguments after `rescale` or `reset`.
 * @throws ArgumentsError (code `INVALID_ARGUMENTS`) on anything it does not understand.
 */
export function parsePipelineArgs(kind: 'rescale' | 'reset', args: readonly string[]): PipelineCommand {
  let yes = false;
  let partitioner: PartitionerName | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--yes') yes = true;
    else if (kind === 'rescale' && (arg === '--partitioner' || arg.startsWith('--partitioner='))) {
      const value = arg === '--partitioner' ? args[++i] : arg.slice('--partitioner='.length);
      if (!isPartitionerName(value)) {
        throw new ArgumentsError(
          `rescale --partitioner: expected ${PARTITIONERS.join(' or ')}, got ${JSON.stringify(value ?? '')}`,
        );
      }
      partitioner = value;
    } else throw new ArgumentsError(`${kind}: unknown argument ${JSON.stringify(arg)}`);
  }
  return { kind, yes, partitioner };
}

/** One progress line per phase change, then at most one per 10% of a phase with a known total. */
function progressPrinter(err: NodeJS.WritableStream): (progress: PipelineToolProgress) => void {
  let phase = '';
  let shown = -1;
  return ({ phase: next, done, total }) => {
    const tenth = total ? Math.floor((done * 10) / total) : -1;
    if (next === phase && tenth === shown) return;
    phase = next;
    shown = tenth;
    err.write(`progress: ${next} ${done}${total === undefined ? '' : `/${total}`}\n`);
  };
}

/**
 * Runs `rescale` or `reset` against the configured cluster (`KAFKA_BROKERS`), prints the plan or
 * the result on stdout and progress on stderr. Returns the exit code (2 without brokers, 1 when
 * it refused or failed).
 */
export async function runPipelineCommand(
  config: ServiceConfig,
  command: PipelineCommand,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  if (config.mode !== 'production') {
    err.write(`analytics-service: ${command.kind} needs KAFKA_BROKERS\n`);
    return 2;
  }
  const logger = pino(
    { level: config.logLevel, base: { service: 'analytics-service', command: command.kind } },
    // The stream the command was given for errors (process.stderr when run as a program).
    err,
  );
  const kafka = createKafka(config, config.kafka.brokers, logger);
  const common = {
    kafka,
    applicationId: config.applicationId,
    groupId: config.aggregateGroupId,
    sinkGroupId: config.sinkGroupId,
    topics: config.topics,
    internalTopics: config.internalTopics,
    epochTopic: config.epochTopic,
    apply: command.yes,
    onProgress: progressPrinter(err),
  };
  try {
    if (command.kind === 'reset') {
      const result = await resetPipeline(common);
      out.write(
        command.yes
          ? `Reset to epoch ${result.nextEpoch} (${result.outcome}): start the service; it reprocesses ${result.inputRecords} input records.\n`
          : `Plan: epoch ${result.epoch} -> ${result.nextEpoch}; recreate the changelog, metric-change and reroute topics at ${result.partitions} partitions; stage 1 reprocesses ${result.inputRecords} retained input records from the earliest offsets. Nothing was changed; run again with --yes.\n`,
      );
      return 0;
    }
    const pool = new ReducerPool({ inline: true });
    try {
      const partitioner = command.partitioner ?? config.inputPartitioner;
      const result = await rescalePipeline({ ...common, partitioner, pool });
      const sample = `partitioner ${partitioner} explains ${result.sample.matches[partitioner]} of ${result.sample.records} sampled input records`;
      if (result.outcome === 'nothing-to-do') {
        out.write(
          `Nothing to do: stage 1 already has ${result.toPartitions} groups (epoch ${result.epoch}).\n`,
        );
      } else if (result.outcome === 'planned') {
        out.write(
          `Plan: ${result.fromPartitions ?? '?'} -> ${result.toPartitions} groups, epoch ${result.epoch} -> ${result.nextEpoch}; ` +
            `${result.products} products repartitioned, ${result.pendingRecords} pending input records applied ` +
            `(${result.invalidPendingRecords} invalid, dead-lettered); ${sample}. Nothing was changed; run again with --yes.\n`,
        );
      } else {
        out.write(
          `Rescaled to ${result.toPartitions} groups under epoch ${result.nextEpoch} (${result.outcome}): ` +
            `${result.products} products, ${result.pendingRecords} pending input records applied; start the service.\n`,
        );
      }
      return 0;
    } finally {
      await pool.destroy();
    }
  } catch (error) {
    err.write(
      `analytics-service ${command.kind}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}
