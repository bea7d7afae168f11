/**
 * A three-node KRaft cluster of the local stack (its own, not the shared one of the run): topics
 * are replicated three times with min ISR 2, and produce/consume goes on across a kill -9 of the
 * leader and its restart; stop, pause and resume of a node.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionLeaders, transactionCoordinator } from '../../src/coordinators.js';
import { type LocalStack, startLocalStack } from '../../src/localStack.js';
import { isAlive } from '../../src/processes.js';
import { eventually, uniqueName } from '../clients.js';

const CONFIG_RESOURCE_TOPIC = 2; // kafkajs ConfigResourceTypes.TOPIC

describe('local Kafka cluster of three nodes', () => {
  let stack: LocalStack;
  let kafka: Kafka;

  beforeAll(async () => {
    stack = await startLocalStack({
      kafka: { brokers: 3, heapMb: 384, startTimeoutMs: 180_000 },
      dynamodb: false,
      s3: false,
    });
    kafka = new Kafka({
      clientId: 'cluster-test',
      brokers: stack.kafka!.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 300 },
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs three nodes with their own PIDs, all in the cluster metadata', async () => {
    const nodes = stack.kafka!.nodes;
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();

      expect(nodes.map((n) => n.nodeId)).toEqual([1, 2, 3]);
      expect(new Set(nodes.map((n) => n.pid)).size).toBe(3);
      expect(cluster.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      expect(stack.processes.map((p) => p.nodeId)).toEqual([1, 2, 3]);
    } finally {
      await admin.disconnect();
    }
  });

  it('creates topics with replication factor 3 and min.insync.replicas 2, and replicates the internal topics', async () => {
    const topic = uniqueName('rf3');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
      const metadata = await admin.fetchTopicMetadata({ topics: [topic, '__transaction_state'] });
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: CONFIG_RESOURCE_TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
      });

      for (const t of metadata.topics) {
        for (const p of t.partitions) expect(p.replicas, `${t.name}/${p.partitionId}`).toHaveLength(3);
      }
      expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('2');
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });

  it('keeps producing and consuming across a kill -9 of the leader and its restart', async () => {
    const topic = uniqueName('bounce');
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: uniqueName('bounce-group'), maxWaitTimeInMs: 100 });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
    const seen = new Set<string>();
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.add(String(message.value));
        },
      });
      // While the killed leader is not yet fenced (broker.session.timeout.ms), a send can fail
      // after kafkajs's retries: send again until it is acknowledged (idempotent producer).
      const send = (from: number) =>
        eventually(async () => {
          await producer.send({
            topic,
            acks: -1,
            messages: Array.from({ length: 50 }, (_, i) => ({ value: `m${from + i}` })),
          });
          return true;
        }, 90_000);
      await send(0);
      const leader = (await partitionLeaders(admin, topic)).get(0);
      const node = stack.kafka!.nodes.find((n) => n.nodeId === leader)!;
      const pid = node.pid!;

      await node.kill();
      expect(isAlive(pid)).toBe(false);
      expect(node.running).toBe(false);
      await send(50);
      const newLeader = await eventually(async () => {
        const now = (await partitionLeaders(admin, topic)).get(0);
        return now !== undefined && now !== leader && now !== -1 ? now : undefined;
      }, 60_000);
      await node.start();
      await send(100);

      expect(newLeader).not.toBe(leader);
      expect(node.pid).not.toBe(pid);
      await eventually(() => (seen.size === 150 ? true : undefined), 60_000);
      // Back in sync: all three replicas in the ISR again.
      await eventually(async () => {
        const [p] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions;
        return p!.isr.length === 3 ? true : undefined;
      }, 60_000);
    } finally {
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });

  it('finds the transaction coordinator, and pauses, resumes, stops and restarts a node', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const coordinator = await transactionCoordinator(admin, 'local-stack-warm-up');
      const node = stack.kafka!.nodes.find((n) => n.nodeId === coordinator)!;

      const pid = node.pid;
      node.spawn();
      await node.start();
      expect(node.pid).toBe(pid); // both are no-ops while the node runs

      node.pause();
      expect(node.paused).toBe(true);
      node.resume();
      expect(node.paused).toBe(false);
      node.pause();
      await node.stop(60_000); // thaws the frozen node first, or SIGTERM would wait for SIGKILL
      expect(node.running).toBe(false);
      expect(node.paused).toBe(false);
      expect(node.pid).toBeUndefined();
      await node.stop();
      await node.kill(); // both are no-ops while the node is down
      expect(() => node.pause()).toThrow(expect.objectContaining({ code: 'NOT_RUNNING' }));
      await node.start();

      expect([1, 2, 3]).toContain(coordinator);
      expect(node.running).toBe(true);
      expect((await admin.describeCluster()).brokers).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  });
});
