import { Kafka, logLevel } from 'kafkajs';

/** A kafkajs client for readiness probes: silent, short connection timeout, no retries of its own. */
export function probeClient(brokers: string[]): Kafka {
  return new Kafka({
    clientId: 'local-stack-readiness',
    brokers,
    logLevel: logLevel.NOTHING,
    // A no-op sink: KAFKAJS_LOG_LEVEL in the environment must not make the probe noisy.
    logCreator: () => () => {},
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  });
}
