import { pino } from 'pino';
import { createKafka } from './clients.js';
import type { ServiceConfig } from './config.js';
import type { DlqCommand } from './dlqArgs.js';
import { runDlqCommand } from './dlqCommand.js';

/**
 * Entry of `analytics-service dlq ...` from `main`: needs a real cluster (`KAFKA_BROKERS`); logs
 * go to stderr as JSON lines (no pino-pretty: the production image runs this too), so that stdout
 * holds only the result. Returns the exit code (2 without brokers). `io` defaults to the process's
 * stdout and stderr.
 */
export async function runDlq(
  config: ServiceConfig,
  command: DlqCommand,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): Promise<number> {
  if (config.mode !== 'production') {
    io.stderr.write('analytics-service: dlq needs KAFKA_BROKERS (the cluster whose dead letters to read)\n');
    return 2;
  }
  const logger = pino(
    { level: config.logLevel, base: { service: 'analytics-service', command: 'dlq' } },
    // The stream the command was given for errors (process.stderr when run as a program).
    io.stderr,
  );
  const kafka = createKafka(config, config.kafka.brokers, logger);
  return runDlqCommand(command, { config, kafka, logger, out: io.stdout, err: io.stderr });
}
