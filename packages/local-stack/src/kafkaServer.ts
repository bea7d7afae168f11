import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaOptions } from './defaults.js';
import { KafkaNode } from './KafkaNode.js';
import { javaCommand } from './maven.js';
import { choosePorts, LOOPBACK } from './ports.js';
import { probeClient } from './probeClient.js';
import { type ManagedProcess, runToCompletion } from './processes.js';
import { startFailed, waitUntilReady } from './readiness.js';

/** A running Kafka broker or cluster. */
export interface StartedKafka {
  /** Bootstrap addresses, one per node. */
  brokers: string[];
  /** The nodes, in node id order (one for a single broker). */
  nodes: KafkaNode[];
  dir: string;
}

/** Replication of internal and created topics for a cluster of `brokers` nodes. */
export function clusterReplication(brokers: number): {
  replicationFactor: number;
  minInSyncReplicas: number;
} {
  const replicationFactor = Math.min(3, brokers);
  return { replicationFactor, minInSyncReplicas: Math.max(1, replicationFactor - 1) };
}

/**
 * Renders `server.properties` for one KRaft node that is broker and controller. With
 * `options.brokers` > 1 every node is a voter of the quorum (`controllerPorts`, by node id), and
 * replication follows {@link clusterReplication}.
 */
export function kafkaServerProperties(input: {
  brokerPort: number;
  controllerPort: number;
  logDir: string;
  options: Required<KafkaOptions>;
  /** This node's id, from 1. @default 1 */
  nodeId?: number;
  /** Controller ports of nodes 1..n. @default [controllerPort] */
  controllerPorts?: readonly number[];
}): string {
  const { brokerPort, controllerPort, logDir, options } = input;
  const nodeId = input.nodeId ?? 1;
  const voters = (input.controllerPorts ?? [controllerPort])
    .map((port, index) => `${index + 1}@${LOOPBACK}:${port}`)
    .join(',');
  const { replicationFactor: rf, minInSyncReplicas: minIsr } = clusterReplication(options.brokers);
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': nodeId,
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://${LOOPBACK}:${brokerPort},CONTROLLER://${LOOPBACK}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${LOOPBACK}:${brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': logDir,
    'num.partitions': 1,
    'default.replication.factor': rf,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': rf,
    'offsets.topic.num.partitions': options.internalTopicPartitions,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': options.internalTopicPartitions,
    'share.coordinator.state.topic.replication.factor': rf,
    'share.coordinator.state.topic.min.isr': minIsr,
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

/**
 * Formats a temporary log dir per node and starts the broker (or the `options.brokers` nodes of a
 * cluster); resolves once every node is in the cluster metadata and the group and transaction
 * coordinators are loaded.
 */
export async function startKafka(input: {
  classpath: string;
  dir: string;
  options: Required<KafkaOptions>;
  detached: boolean;
  progress: (message: string) => void;
}): Promise<StartedKafka> {
  const { classpath, dir, options } = input;
  const count = options.brokers;
  const requested = [options.port, ...Array.from({ length: count * 2 - 1 }, () => 0)];
  const ports = await choosePorts(requested);
  const brokerPorts = ports.slice(0, count);
  const controllerPorts = ports.slice(count);
  const clusterId = newClusterId();
  const nodes: KafkaNode[] = [];
  // One folder per node of a cluster; a single broker keeps the flat layout.
  const nodeDir = (nodeId: number): string => (count === 1 ? dir : join(dir, `node-${nodeId}`));

  await Promise.all(
    brokerPorts.map(async (brokerPort, index) => {
      const nodeId = index + 1;
      const folder = nodeDir(nodeId);
      const logFile = join(folder, 'kafka.log');
      const dataDir = join(folder, 'data');
      mkdirSync(dataDir, { recursive: true });
      const propsFile = join(folder, 'server.properties');
      writeFileSync(
        propsFile,
        kafkaServerProperties({
          brokerPort,
          controllerPort: controllerPorts[index] as number,
          logDir: dataDir,
          options,
          nodeId,
          controllerPorts,
        }),
      );
      const log4jFile = join(folder, 'log4j2.properties');
      writeFileSync(log4jFile, log4jConfig(logFile));
      const common = [
        `-Dlog4j2.configurationFile=${log4jFile}`,
        '-Djava.awt.headless=true',
        '-cp',
        classpath,
      ];

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
            clusterId,
            '--config',
            propsFile,
            '--ignore-formatted',
          ],
          cwd: folder,
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
      nodes[index] = new KafkaNode({
        nodeId,
        broker: `${LOOPBACK}:${brokerPort}`,
        logFile,
        cwd: folder,
        detached: input.detached,
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
      });
    }),
  );

  const brokers = nodes.map((node) => node.broker);
  for (const node of nodes) {
    input.progress(`kafka: starting node ${node.nodeId} on ${node.broker} (log ${node.logFile})`);
    node.spawn();
  }
  const processes = nodes.map((node) => node.process as ManagedProcess);
  const kafka = probeClient(brokers);
  const admin = kafka.admin();
  const deadline = Date.now() + options.startTimeoutMs;
  try {
    await waitUntilReady(
      processes,
      async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length === count && cluster.controller !== null;
      },
      options.startTimeoutMs,
      200,
    );
    // Create and load __consumer_offsets and __transaction_state now: otherwise the first
    // consumer group or transactional producer of a test meets "coordinator is loading" and
    // kafkajs restarts the consumer, which re-delivers messages.
    input.progress('kafka: warming up the group and transaction coordinators');
    await waitUntilReady(
      processes,
      async () => {
        await admin.describeGroups(['local-stack-warm-up']);
        return true;
      },
      Math.max(1_000, deadline - Date.now()),
      100,
    );
    await waitUntilReady(
      processes,
      async () => {
        const producer = kafka.producer({ transactionalId: 'local-stack-warm-up', maxInFlightRequests: 1 });
        try {
          await producer.connect();
          // kafkajs sends InitProducerId (which makes the broker create __transaction_state) only
          // when the first transaction begins, not on connect.
          const transaction = await producer.transaction();
          await transaction.abort();
        } finally {
          await producer.disconnect().catch(() => {});
        }
        return true;
      },
      Math.max(1_000, deadline - Date.now()),
      100,
    );
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return { brokers, nodes, dir };
}
