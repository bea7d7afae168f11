import { createKafka } from './clients.js';
import type { ServiceConfig } from './config.js';
import type { DlqCommand } from './dlqArgs.js';
import { runDlqCommand } from './dlqCommand.js';
import { createLogger } from './logger.js';

/**
 * Entry of `analytics-service dlq ...` from `main`: needs a real cluster (`KAFKA_BROKERS`); logs
 * go to stderr so that stdout holds only the result. Returns the exit code (2 without brokers).
 */
export async function runDlq(config: ServiceConfig, command: DlqCommand): Promise<number> {
  if (config.mode !== 'production') {
    process.stderr.write(
      'analytics-service: dlq needs KAFKA_BROKERS (the cluster whose dead letters to read)\n',
    );
    return 2;
  }
  const logger = createLogger({ level: config.logLevel, pretty: true, prettyStream: process.stderr });
  const kafka = createKafka(config, config.kafka.brokers, logger);
  return runDlqCommand(command, { config, kafka, logger, out: process.stdout, err: process.stderr });
}
