/**
 * read_committed with interleaved aborted transactions of two producers in one partition: the
 * shape stage 2's input (`analytics.metric-changes`, written by every stage-1 member) takes when
 * transactions abort, e.g. while a broker is killed. kafkajs 2.2.4 assumed the fetch response
 * lists aborted transactions in first-offset order and activated one per record; the broker lists
 * them in the order they were aborted, so records of the transaction aborted second leaked to
 * consumers. The workspace's kafkajs patch fixes that; kcat (librdkafka), an independent client,
 * must agree with kafkajs on every case, and so must the changelog restore's own Fetch reader.
 */
import { spawn } from 'node:child_process';
import { SILENT_LOGGER } from '@marketplace/options';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient, testStack, uniqueName } from '../../../local-stack/test/clients.js';
import { createTopicsAndWait } from '../../src/prepareTopics.js';
import { readChangelogPartitions } from '../../src/readChangelogPartitions.js';
import { deleteTopics } from './helpers.js';

let kafka: Kafka;
let admin: Admin;
const producers: Producer[] = [];
const created: string[] = [];

async function transactionalProducer(): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId: uniqueName('rc-txn'),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  producers.push(producer);
  return producer;
}

beforeAll(async () => {
  kafka = kafkaClient();
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(producers.map((p) => p.disconnect()));
  await deleteTopics(admin, created);
  await admin.disconnect();
});

/** Keys kafkajs (read_committed, its default) delivers from `fromOffset` until it sees `last`. */
async function keysSeenByKafkajs(topic: string, fromOffset: string, last: string): Promise<string[]> {
  const groupId = uniqueName('rc-kafkajs');
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: fromOffset }] });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  const keys: string[] = [];
  try {
    await consumer.subscribe({ topic });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const key = message.key?.toString() ?? '';
            keys.push(key);
            if (key === last) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return keys;
}

/** Keys the changelog restore's reader (its own Fetch decoding) hands over from `fromOffset` on. */
async function keysSeenByRestoreReader(topic: string, fromOffset: bigint): Promise<string[]> {
  const high = (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)!.high;
  const keys: string[] = [];
  await readChangelogPartitions(
    {
      kafka,
      topic,
      targets: new Map([[0, BigInt(high)]]),
      from: new Map([[0, fromOffset]]),
      timeoutMs: 30_000,
      logger: SILENT_LOGGER,
    },
    { put: (_, key) => keys.push(key), remove: (_, key) => keys.push(key), epoch() {}, superseded() {} },
  );
  return keys;
}

/** Keys kcat (librdkafka, `isolation.level=read_committed`) delivers from `fromOffset` to the end. */
function keysSeenByKcat(topic: string, fromOffset: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'kcat',
      [
        '-C',
        '-b',
        testStack().kafkaBrokers.join(','),
        '-t',
        topic,
        '-p',
        '0',
        '-o',
        fromOffset,
        '-e',
        '-q',
        '-f',
        '%k\\n',
        '-X',
        'isolation.level=read_committed',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) =>
      reject(new Error(`kcat could not start (apt-get install kcat): ${error.message}`)),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(stdout.split('\n').filter((line) => line !== ''));
      else reject(new Error(`kcat exited with ${code}: ${stderr}`));
    });
  });
}

describe('read_committed with interleaved aborted transactions (kafkajs patch)', () => {
  it('delivers none of the records of two producers whose overlapping transactions aborted in the other order', async () => {
    const topic = uniqueName('rc-interleaved');
    created.push(topic);
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]);
    const a = await transactionalProducer();
    const b = await transactionalProducer();

    // B opens first (offset 0), A opens inside it (1), A aborts first (marker 2), B writes again
    // (3) and aborts (marker 4); then committed records follow. The broker lists the aborted
    // transactions as [A (first offset 1), B (first offset 0)]: the order of the abort markers.
    const txB = await b.transaction();
    await txB.send({ topic, messages: [{ key: 'b-aborted-1', value: 'x' }] });
    const txA = await a.transaction();
    await txA.send({ topic, messages: [{ key: 'a-aborted', value: 'x' }] });
    await txA.abort();
    await txB.send({ topic, messages: [{ key: 'b-aborted-2', value: 'x' }] });
    await txB.abort();
    // A second round that a fetch enters in the middle: both transactions are open at offset 7.
    const txB2 = await b.transaction();
    await txB2.send({ topic, messages: [{ key: 'b-aborted-3', value: 'x' }] }); // 5
    const txA2 = await a.transaction();
    await txA2.send({ topic, messages: [{ key: 'a-aborted-2', value: 'x' }] }); // 6
    await txB2.send({ topic, messages: [{ key: 'b-aborted-4', value: 'x' }] }); // 7
    await txA2.send({ topic, messages: [{ key: 'a-aborted-3', value: 'x' }] }); // 8
    await txA2.abort(); // 9
    await txB2.abort(); // 10
    const committed = await a.transaction();
    await committed.send({ topic, messages: [{ key: 'committed-1', value: 'x' }] });
    await committed.commit();
    const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await plain.connect();
    producers.push(plain);
    await plain.send({ topic, messages: [{ key: 'last', value: 'x' }] });

    // The independent client first: librdkafka keeps aborted transactions ordered by first offset.
    expect(await keysSeenByKcat(topic, 'beginning')).toEqual(['committed-1', 'last']);
    expect(await keysSeenByKcat(topic, '7')).toEqual(['committed-1', 'last']);

    expect(await keysSeenByKafkajs(topic, '0', 'last')).toEqual(['committed-1', 'last']);
    // A fetch that starts while both aborted transactions are open (offset 7 belongs to B).
    expect(await keysSeenByKafkajs(topic, '7', 'last')).toEqual(['committed-1', 'last']);

    // The restore reads the changelog with its own decoder of Fetch responses: the same rule.
    expect(await keysSeenByRestoreReader(topic, 0n)).toEqual(['committed-1', 'last']);
    expect(await keysSeenByRestoreReader(topic, 7n)).toEqual(['committed-1', 'last']);
  });
});
