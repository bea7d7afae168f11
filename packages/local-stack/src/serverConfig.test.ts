import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_OPTIONS } from './defaults.js';
import { clusterReplication, kafkaServerProperties, newClusterId } from './kafkaServer.js';
import { s3ProxyProperties } from './s3Server.js';

function parse(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)];
      }),
  );
}

describe('kafkaServerProperties', () => {
  const props = parse(
    kafkaServerProperties({
      brokerPort: 19092,
      controllerPort: 19093,
      logDir: '/tmp/k/data',
      options: { ...DEFAULT_KAFKA_OPTIONS },
    }),
  );

  it('runs one KRaft node as broker and controller on loopback only', () => {
    expect(props['process.roles']).toBe('broker,controller');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:19093');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(props['log.dirs']).toBe('/tmp/k/data');
  });

  it('uses single-node replication for offsets and transactions and no rebalance delay', () => {
    expect(props).toMatchObject({
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
      'auto.create.topics.enable': 'false',
    });
  });

  it('applies brokerConfig last so callers can override any entry', () => {
    const text = kafkaServerProperties({
      brokerPort: 1,
      controllerPort: 2,
      logDir: '/d',
      options: {
        ...DEFAULT_KAFKA_OPTIONS,
        brokerConfig: { 'num.partitions': 6, 'auto.create.topics.enable': true },
      },
    });

    expect(parse(text)).toMatchObject({ 'num.partitions': '6', 'auto.create.topics.enable': 'true' });
  });
});

describe('newClusterId', () => {
  it('makes a 22-character base64url id (16 random bytes), different each time', () => {
    const a = newClusterId();

    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(16);
    expect(newClusterId()).not.toBe(a);
  });

  it('never starts with "-", which the storage tool would parse as an option', () => {
    // 0xf8 encodes to "-" as the first base64url character.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)];

    const id = newClusterId(() => draws.shift()!);

    expect(id.startsWith('-')).toBe(false);
    expect(draws).toHaveLength(0);
  });
});

describe('s3ProxyProperties', () => {
  it('serves an in-memory store on loopback with AWS signatures checked against the dummy keys', () => {
    const props = parse(
      s3ProxyProperties({ port: 4568, credentials: { accessKeyId: 'id', secretAccessKey: 'key' } }),
    );

    expect(props).toEqual({
      's3proxy.endpoint': 'http://127.0.0.1:4568',
      's3proxy.authorization': 'aws-v2-or-v4',
      's3proxy.identity': 'id',
      's3proxy.credential': 'key',
      'jclouds.provider': 'transient',
      'jclouds.identity': 'id',
      'jclouds.credential': 'key',
    });
  });
});

describe('kafkaServerProperties for a cluster', () => {
  const props = parse(
    kafkaServerProperties({
      brokerPort: 19094,
      controllerPort: 19095,
      logDir: '/tmp/k/node-2/data',
      options: { ...DEFAULT_KAFKA_OPTIONS, brokers: 3 },
      nodeId: 2,
      controllerPorts: [19091, 19095, 19099],
    }),
  );

  it('makes every node a voter of one quorum, with its own node id and listeners', () => {
    expect(props['node.id']).toBe('2');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:19091,2@127.0.0.1:19095,3@127.0.0.1:19099');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:19094,CONTROLLER://127.0.0.1:19095');
  });

  it('replicates offsets, transaction state and created topics three times with min ISR 2', () => {
    expect(props).toMatchObject({
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
    });
  });
});

describe('clusterReplication', () => {
  it.each([
    [1, 1, 1],
    [2, 2, 1],
    [3, 3, 2],
    [5, 3, 2],
  ])(
    'gives %i nodes replication factor %i and min ISR %i',
    (brokers, replicationFactor, minInSyncReplicas) => {
      expect(clusterReplication(brokers)).toEqual({ replicationFactor, minInSyncReplicas });
    },
  );
});
