import {
  EPOCH_HEADER,
  type PipelineEpoch,
  readPipelineEpoch,
  startNewEpoch,
} from '@marketplace/kafka-processor';
import type { Kafka } from 'kafkajs';
import { pino } from 'pino';
import { createKafka } from './clients.js';
import type { ServiceConfig } from './config.js';
import { ArgumentsError } from './errors.js';

/** `analytics-service new-epoch [--yes]`. */
export interface NewEpochCommand {
  kind: 'new-epoch';
  /** Without it, only the plan is printed. */
  yes: boolean;
}

/** Usage lines of the pipeline-epoch command. */
export const NEW_EPOCH_USAGE = `  analytics-service new-epoch [--yes]
      Starts a new pipeline epoch (after recreating analytics.metric-changes by hand): the running
      stage 1 takes its groups again and rewrites every metric row under it. Without --yes: the plan only.`;

/**
 * Parses the arguments after `new-epoch`.
 * @throws ArgumentsError (code `INVALID_ARGUMENTS`) on anything else than `--yes`.
 */
export function parseNewEpochArgs(args: readonly string[]): NewEpochCommand {
  let yes = false;
  for (const arg of args) {
    if (arg === '--yes') yes = true;
    else throw new ArgumentsError(`new-epoch: unknown argument ${JSON.stringify(arg)}`);
  }
  return { kind: 'new-epoch', yes };
}

/** Input partition count (of the created topic; the three are checked equal by stage 1). */
async function inputPartitions(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Runs `new-epoch`: prints the current epoch and, with `--yes`, writes the next one to the epoch
 * topic. Needs `KAFKA_BROKERS`; returns the exit code.
 */
export async function runNewEpoch(
  config: ServiceConfig,
  command: NewEpochCommand,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  if (config.mode !== 'production') {
    err.write('analytics-service: new-epoch needs KAFKA_BROKERS\n');
    return 2;
  }
  const logger = pino(
    { level: config.logLevel, base: { service: 'analytics-service', command: 'new-epoch' } },
    // The stream the command was given for errors (process.stderr when run as a program).
    err,
  );
  const kafka = createKafka(config, config.kafka.brokers, logger);
  const current: PipelineEpoch | undefined = await readPipelineEpoch({
    kafka,
    topic: config.epochTopic,
    groupIdPrefix: config.aggregateGroupId,
  });
  const partitions = await inputPartitions(kafka, config.topics.created);
  const currentEpoch = current?.epoch ?? 0;
  if (!command.yes) {
    out.write(
      `Current pipeline epoch: ${currentEpoch} (topic ${config.epochTopic}).\n` +
        `Plan: write epoch ${currentEpoch + 1} for ${partitions} input partitions; stage 1 then rewrites every ` +
        `metric row with header ${EPOCH_HEADER}: ${currentEpoch + 1}. Nothing was changed; run again with --yes.\n`,
    );
    return 0;
  }
  const next = await startNewEpoch({
    kafka,
    topic: config.epochTopic,
    groupIdPrefix: config.aggregateGroupId,
    partitions,
    reason: 'new-epoch',
  });
  out.write(`Pipeline epoch is now ${next.epoch} (was ${currentEpoch}).\n`);
  return 0;
}
