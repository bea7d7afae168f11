import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaOptions } from './defaults.js';
import { javaCommand } from './maven.js';
import { choosePorts, LOOPBACK } from './ports.js';
import { type ManagedProcess, runToCompletion, spawnServer } from './processes.js';
import { startFailed, waitUntilReady } from './readiness.js';

/** A running Kafka broker. */
export interface StartedKafka {
  brokers: string[];
  process: ManagedProcess;
  dir: string;
}

/** Renders `server.properties` for a single-node KRaft broker+controller. */
export function kafkaServerProperties(input: {
  brokerPort: number;
  controllerPort: number;
  logDir: string;
  options: Required<KafkaOptions>;
}): string {
  const { brokerPort, controllerPort, logDir, options } = input;
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${LOOPBACK}:${controllerPort}`,
    listeners: `PLAINTEXT://${LOOPBACK}:${brokerPort},CONTROLLER://${LOOPBACK}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${LOOPBACK}:${brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': logDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': options.internalTopicPartitions,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': options.internalTopicPartitions,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': options.autoCreateTopics,
    'delete.topic.enable': true,
    ...options.brokerConfig,
  };
  return `${Object.entries(props)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')}\n`;
}

function log4jConfig(logFile: string): string {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = file',
    `appender.file.fileName = ${logFile}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = file',
    // Per-request and state-change chatter is not useful for a test broker.
    'logger.stateChange.name = state.change.logger',
    'logger.stateChange.level = WARN',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    '',
  ].join('\n');
}

/**
 * A Kafka cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid`
 * prints). Like Kafka's own `Uuid.randomUuid()` it never starts with `-`: the storage tool's
 * argument parser would take such an id for an option and refuse to format (1 start in 64).
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Formats a temporary log dir and starts the broker; resolves once a metadata request succeeds. */
export async function startKafka(input: {
  classpath: string;
  dir: string;
  options: Required<KafkaOptions>;
  detached: boolean;
  progress: (message: string) => void;
}): Promise<StartedKafka> {
  const { classpath, dir, options } = input;
  const [brokerPort, controllerPort] = (await choosePorts([options.port, 0])) as [number, number];
  const logFile = join(dir, 'kafka.log');
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const propsFile = join(dir, 'server.properties');
  writeFileSync(propsFile, kafkaServerProperties({ brokerPort, controllerPort, logDir: dataDir, options }));
  const log4jFile = join(dir, 'log4j2.properties');
  writeFileSync(log4jFile, log4jConfig(logFile));
  const common = [`-Dlog4j2.configurationFile=${log4jFile}`, '-Djava.awt.headless=true', '-cp', classpath];

  input.progress(`kafka: formatting KRaft storage in ${dataDir}`);
  const format = await runToCompletion(
    {
      component: 'kafka',
      command: javaCommand(),
      args: [
        '-Xmx128m',
        '-XX:TieredStopAtLevel=1',
        ...common,
        'kafka.tools.StorageTool',
        'format',
        '--cluster-id',
        newClusterId(),
        '--config',
        propsFile,
        '--ignore-formatted',
      ],
      cwd: dir,
      logFile,
    },
    60_000,
  );
  if (format.code !== 0) {
    throw startFailed(
      'kafka',
      logFile,
      `storage format exited with code ${format.code} (signal ${format.signal})`,
    );
  }

  input.progress(`kafka: starting broker on ${LOOPBACK}:${brokerPort} (log ${logFile})`);
  const proc = spawnServer({
    component: 'kafka',
    command: javaCommand(),
    args: [
      `-Xmx${options.heapMb}m`,
      '-Xms64m',
      '-XX:+UseSerialGC',
      // C1 only: halves start-up on a busy 2-core machine (measured 10-12 s vs 18-19 s);
      // pass jvmOptions ['-XX:TieredStopAtLevel=4'] for full JIT in long benchmarks.
      '-XX:TieredStopAtLevel=1',
      '-XX:+ExitOnOutOfMemoryError',
      ...options.jvmOptions,
      ...common,
      'kafka.Kafka',
      propsFile,
    ],
    cwd: dir,
    logFile,
    detached: input.detached,
  });
  const brokers = [`${LOOPBACK}:${brokerPort}`];
  const kafka = new Kafka({
    clientId: 'local-stack-readiness',
    brokers,
    logLevel: logLevel.NOTHING,
    // A no-op sink: KAFKAJS_LOG_LEVEL in the environment must not make the probe noisy.
    logCreator: () => () => {},
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  const deadline = Date.now() + options.startTimeoutMs;
  try {
    await waitUntilReady(
      proc,
      async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0 && cluster.controller !== null;
      },
      options.startTimeoutMs,
      200,
    );
    // Create and load __consumer_offsets and __transaction_state now: otherwise the first
    // consumer group or transactional producer of a test meets "coordinator is loading" and
    // kafkajs restarts the consumer, which re-delivers messages.
    input.progress('kafka: warming up the group and transaction coordinators');
    await waitUntilReady(
      proc,
      async () => {
        await admin.describeGroups(['local-stack-warm-up']);
        return true;
      },
      Math.max(1_000, deadline - Date.now()),
      100,
    );
    await waitUntilReady(
      proc,
      async () => {
        const producer = kafka.producer({ transactionalId: 'local-stack-warm-up', maxInFlightRequests: 1 });
        try {
          await producer.connect();
        } finally {
          await producer.disconnect().catch(() => {});
        }
        return true;
      },
      Math.max(1_000, deadline - Date.now()),
      100,
    );
  } catch (error) {
    await proc.stop();
    throw error;
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return { brokers, process: proc, dir };
}
