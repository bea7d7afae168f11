/**
 * Reading and redriving dead letters against the real broker: a dead-letter topic filled with
 * records as stage 1 writes them (`invalidRecordDeadLetter`), scanned with filters, and redriven to
 * their source topics exactly once per redrive name, also across a failed run.
 */
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kafkaClient, uniqueName } from '../../../local-stack/test/clients.js';
import { DeadLetterStats } from '../../src/DeadLetterStats.js';
import { invalidRecordDeadLetter } from '../../src/deadLetters.js';
import type { DeadLetter } from '../../src/decodeDeadLetter.js';
import { DEFAULT_PROCESSOR_OPTIONS, REDRIVE_COUNT_HEADER } from '../../src/defaults.js';
import { KafkaProcessorOptionsError } from '../../src/errors.js';
import { createTopicsAndWait } from '../../src/prepareTopics.js';

/** A dead letter as stage 1 writes it (full form unless it is over the default size bound). */
const deadLetterMessage = (
  source: Parameters<typeof invalidRecordDeadLetter>[0],
  message: Parameters<typeof invalidRecordDeadLetter>[1],
  invalid: Parameters<typeof invalidRecordDeadLetter>[2],
  partition: number,
) =>
  invalidRecordDeadLetter(source, message, invalid, partition, DEFAULT_PROCESSOR_OPTIONS.maxDeadLetterBytes);

import { type RedriveProgress, redriveDeadLetters } from '../../src/redriveDeadLetters.js';
import { scanDeadLetters } from '../../src/scanDeadLetters.js';
import { deleteTopics, headerString, readToEnd } from './helpers.js';

const PARTITIONS = 2;

describe('dead letters: scan and redrive', () => {
  let kafka: Kafka;
  let admin: Admin;
  const base = uniqueName('dlq');
  const dlq = `${base}.dead-letter`;
  const created = `${base}.created`;
  const updated = `${base}.updated`;
  const prefix = `${base}-app`;

  beforeAll(async () => {
    kafka = kafkaClient(undefined, { retry: { retries: 2, initialRetryTime: 100 } });
    admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(
      admin,
      [dlq, created, updated].map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
    );
  });

  afterAll(async () => {
    await deleteTopics(admin, [dlq, created, updated]);
    await admin.disconnect();
  });

  /** Writes dead letters as stage 1 would: source `topic`, partition `p`, offset `offset`. */
  async function writeDeadLetters(
    letters: { topic: string; p: number; offset: number; code: string; redrives?: number; value?: string }[],
  ): Promise<void> {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({
        topic: dlq,
        messages: letters.map((l) =>
          deadLetterMessage(
            { topic: l.topic, partition: l.p },
            {
              key: Buffer.from(`p-${l.offset}`),
              value: Buffer.from(l.value ?? `{"n":${l.offset}}`),
              offset: String(l.offset),
              timestamp: String(Date.now()),
              attributes: 0,
              headers: {
                'event-type': Buffer.from('product.created'),
                ...(l.redrives === undefined
                  ? {}
                  : { [REDRIVE_COUNT_HEADER]: Buffer.from(String(l.redrives)) }),
              },
            } as KafkaMessage,
            {
              offset: String(l.offset),
              code: l.code as 'INVALID_JSON',
              path: '',
              message: `rejected ${l.code}`,
            },
            l.p,
          ),
        ),
      });
    } finally {
      await producer.disconnect();
    }
  }

  const ends = async (topic: string): Promise<string[]> =>
    (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((o) => o.high);

  it('scans with filters and a limit, and counts by code, topic, hour and redrive count', async () => {
    await writeDeadLetters([
      { topic: created, p: 0, offset: 10, code: 'PAYLOAD_TOO_LARGE' },
      { topic: created, p: 1, offset: 11, code: 'PAYLOAD_TOO_LARGE' },
      { topic: updated, p: 1, offset: 12, code: 'HEADER_MISMATCH', redrives: 1 },
      { topic: updated, p: 0, offset: 13, code: 'PAYLOAD_TOO_LARGE', redrives: 3 },
      { topic: 'elsewhere', p: 0, offset: 14, code: 'INVALID_JSON' },
    ]);
    const stats = new DeadLetterStats();
    const all = await scanDeadLetters({
      kafka,
      topic: dlq,
      groupIdPrefix: prefix,
      onDeadLetter: (dl) => stats.add(dl),
    });
    const seen: DeadLetter[] = [];
    const filtered = await scanDeadLetters({
      kafka,
      topic: dlq,
      groupIdPrefix: prefix,
      filter: { codes: ['PAYLOAD_TOO_LARGE'], topics: [created], fromOffset: 11n, toOffset: 20n },
      onDeadLetter: (dl) => seen.push(dl),
    });
    const limited = await scanDeadLetters({
      kafka,
      topic: dlq,
      groupIdPrefix: prefix,
      limit: 2,
      onDeadLetter: () => {},
    });

    expect(all).toEqual({ scanned: 5, matched: 5 });
    expect(stats.summary()).toMatchObject({
      total: 5,
      byCode: { HEADER_MISMATCH: 1, INVALID_JSON: 1, PAYLOAD_TOO_LARGE: 3 },
      byTopic: { [created]: 2, [updated]: 2, elsewhere: 1 },
      byRedriveCount: { '0': 3, '1': 1, '3': 1 },
    });
    expect(Object.values(stats.summary().byHour).reduce((a, b) => a + b, 0)).toBe(5);
    expect(filtered.matched).toBe(1);
    expect(seen.map((dl) => [dl.sourceTopic, dl.sourcePartition, dl.sourceOffset])).toEqual([
      [created, 1, '11'],
    ]);
    expect(limited.matched).toBe(2);
    // Throwaway groups are deleted: nothing of the scans is left on the broker.
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    expect(groups.filter((g) => g.startsWith(`${prefix}-dlq-scan-`))).toEqual([]);
  });

  it('dry-runs without sending or committing, then redrives once per name, refusing records at the limit', async () => {
    const sourceTopics = [created, updated];
    const before = { created: await ends(created), updated: await ends(updated) };
    const progress: RedriveProgress[] = [];

    const dry = await redriveDeadLetters({
      kafka,
      topic: dlq,
      name: 'first',
      groupIdPrefix: prefix,
      sourceTopics,
      dryRun: true,
    });
    expect(dry).toMatchObject({
      dryRun: true,
      scanned: 5,
      matched: 5,
      redriven: 3,
      refused: 1,
      unknownSource: 1,
    });
    expect({ created: await ends(created), updated: await ends(updated) }).toEqual(before);

    const real = await redriveDeadLetters({
      kafka,
      topic: dlq,
      name: 'first',
      groupIdPrefix: prefix,
      sourceTopics,
      onProgress: (p) => progress.push(p),
    });
    expect(real).toMatchObject({
      dryRun: false,
      scanned: 5,
      matched: 5,
      redriven: 3,
      refused: 1,
      unknownSource: 1,
    });
    expect(real.byTopic).toEqual({ [created]: 2, [updated]: 1 });
    expect(progress.at(-1)).toEqual({ scanned: 5, total: expect.any(Number), redriven: 3, refused: 1 });

    const sent = await eventually(async () => {
      const read = [...(await readToEnd(kafka, admin, created)), ...(await readToEnd(kafka, admin, updated))];
      return read.length >= 3 ? read : undefined;
    });
    expect(
      sent.map((r) => [r.key?.toString(), r.partition, headerString(r.headers, REDRIVE_COUNT_HEADER)]).sort(),
    ).toEqual([
      ['p-10', 0, '1'],
      ['p-11', 1, '1'],
      ['p-12', 1, '2'],
    ]);
    expect(headerString(sent[0]?.headers, 'event-type')).toBe('product.created');
    expect(Object.keys(sent[0]?.headers ?? {}).filter((h) => h.startsWith('dlq-'))).toEqual([]);

    // The same name again: everything is behind it.
    const again = await redriveDeadLetters({
      kafka,
      topic: dlq,
      name: 'first',
      groupIdPrefix: prefix,
      sourceTopics,
    });
    expect(again).toMatchObject({ scanned: 0, redriven: 0 });

    // New dead letters: the same name takes only those.
    await writeDeadLetters([{ topic: updated, p: 1, offset: 20, code: 'PAYLOAD_TOO_LARGE' }]);
    const next = await redriveDeadLetters({
      kafka,
      topic: dlq,
      name: 'first',
      groupIdPrefix: prefix,
      sourceTopics,
      maxRedrives: 1,
    });
    expect(next).toMatchObject({ scanned: 1, redriven: 1, refused: 0 });
    // The broker writes the commit markers after commit() returns: poll until they are visible.
    const keys = await eventually(async () => {
      const read = (await readToEnd(kafka, admin, updated)).map((r) => r.key?.toString()).sort();
      return read.length >= 2 ? read : undefined;
    });
    expect(keys).toEqual(['p-12', 'p-20']);
  });

  it('neither loses nor duplicates records when a run fails mid-way and the same name runs again', async () => {
    const dlq2 = `${base}.dead-letter-2`;
    const small = `${base}.small`;
    await createTopicsAndWait(admin, [
      { topic: dlq2, numPartitions: 1, replicationFactor: 1 },
      // Rejects the large record below, so the redrive transaction fails after other sends.
      {
        topic: small,
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: [{ name: 'max.message.bytes', value: '2048' }],
      },
    ]);
    try {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const letter = (offset: number, value: string) =>
        deadLetterMessage(
          { topic: small, partition: 0 },
          {
            key: Buffer.from(`k-${offset}`),
            value: Buffer.from(value),
            offset: String(offset),
            timestamp: '0',
            attributes: 0,
            headers: {},
          } as KafkaMessage,
          { offset: String(offset), code: 'PAYLOAD_TOO_LARGE', path: '', message: 'too large' },
          0,
        );
      await producer.send({
        topic: dlq2,
        messages: [letter(1, 'a'), letter(2, 'x'.repeat(4096)), letter(3, 'c')],
      });
      await producer.disconnect();

      await expect(
        redriveDeadLetters({
          kafka,
          topic: dlq2,
          name: 'retry',
          groupIdPrefix: prefix,
          sourceTopics: [small],
        }),
      ).rejects.toThrow();
      expect(await readToEnd(kafka, admin, small)).toEqual([]);

      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: 2, name: small, configEntries: [{ name: 'max.message.bytes', value: '1048576' }] },
        ],
      });
      // A dynamic topic config reaches the broker asynchronously (seen late on a loaded machine).
      await eventually(async () => {
        const { resources } = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: 2, name: small, configNames: ['max.message.bytes'] }],
        });
        return resources[0]?.configEntries[0]?.configValue === '1048576' ? true : undefined;
      });
      const rerun = await redriveDeadLetters({
        kafka,
        topic: dlq2,
        name: 'retry',
        groupIdPrefix: prefix,
        sourceTopics: [small],
      });

      expect(rerun.redriven).toBe(3);
      const keys = await eventually(async () => {
        const read = (await readToEnd(kafka, admin, small)).map((r) => r.key?.toString());
        return read.length >= 3 ? read : undefined;
      });
      expect(keys).toEqual(['k-1', 'k-2', 'k-3']);
    } finally {
      await deleteTopics(admin, [dlq2, small]);
    }
  });

  it('says at once that the dead-letter topic does not exist', async () => {
    await expect(
      scanDeadLetters({ kafka, topic: `${base}.missing`, groupIdPrefix: prefix, onDeadLetter: () => {} }),
    ).rejects.toMatchObject({
      code: 'INTERNAL_TOPIC_INVALID',
      message: expect.stringContaining('does not exist'),
    });
  });

  it('refuses invalid options, naming them', async () => {
    const base = { kafka, topic: dlq, name: 'x', groupIdPrefix: prefix, sourceTopics: [created] };
    await expect(redriveDeadLetters({ ...base, sourceTopics: [] })).rejects.toBeInstanceOf(
      KafkaProcessorOptionsError,
    );
    await expect(redriveDeadLetters({ ...base, sourceTopics: [dlq] })).rejects.toMatchObject({
      field: 'sourceTopics',
    });
    await expect(redriveDeadLetters({ ...base, maxRedrives: 0 })).rejects.toMatchObject({
      field: 'maxRedrives',
    });
    await expect(redriveDeadLetters({ ...base, name: 'a b' })).rejects.toMatchObject({ field: 'name' });
    await expect(scanDeadLetters({ ...base, limit: 0, onDeadLetter: () => {} })).rejects.toMatchObject({
      field: 'limit',
    });
  });
});
