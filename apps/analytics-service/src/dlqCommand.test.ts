import { decodeDeadLetter } from '@marketplace/kafka-processor';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  deadLetterJson,
  formatDeadLetter,
  formatRedrive,
  formatStats,
  progressPrinter,
} from './dlqCommand.js';

const deadLetter = (value: Buffer | null, headers: Record<string, string> = {}) =>
  decodeDeadLetter(3, {
    key: Buffer.from('p-1'),
    value,
    offset: '17',
    timestamp: String(Date.UTC(2026, 10, 27, 9, 30)),
    attributes: 0,
    headers: {
      'dlq-error-code': 'PAYLOAD_TOO_LARGE',
      'dlq-error-message': 'payload is 2000 bytes',
      'dlq-error-path': '',
      'dlq-source-topic': 'product.created',
      'dlq-source-partition': '1',
      'dlq-source-offset': '99',
      'dlq-redrive-count': '1',
      'event-type': 'product.created',
      ...headers,
    },
  } as unknown as KafkaMessage);

describe('dlq output', () => {
  it('prints a dead letter as JSON with its reason, source position and original headers', () => {
    expect(deadLetterJson(deadLetter(Buffer.from('{"a":1}')))).toEqual({
      partition: 3,
      offset: '17',
      time: '2026-11-27T09:30:00.000Z',
      code: 'PAYLOAD_TOO_LARGE',
      message: 'payload is 2000 bytes',
      path: '',
      sourceTopic: 'product.created',
      sourcePartition: 1,
      sourceOffset: '99',
      redriveCount: 1,
      key: 'p-1',
      value: '{"a":1}',
      valueEncoding: 'utf8',
      valueBytes: 7,
      headers: { 'event-type': 'product.created' },
    });
  });

  it('prints values that are not UTF-8 as base64, and null values and timestamps as null', () => {
    const json = deadLetterJson({ ...deadLetter(Buffer.from([0xff, 0xfe])), timestamp: Number.NaN });
    expect(json).toMatchObject({ value: '//4=', valueEncoding: 'base64', valueBytes: 2, time: null });
    expect(deadLetterJson(deadLetter(null))).toMatchObject({ value: null, valueBytes: 0 });
  });

  it('prints a dead letter for people in three lines, long values cut', () => {
    const long = formatDeadLetter(
      deadLetter(Buffer.from(`{"name":"${'x'.repeat(300)}"}`), { 'dlq-error-path': '/data' }),
    );
    expect(long.split('\n')).toEqual([
      '#3@17 2026-11-27T09:30:00.000Z PAYLOAD_TOO_LARGE from product.created 1@99 (redriven 1x)',
      '  payload is 2000 bytes at /data; key "p-1"',
      expect.stringMatching(/^ {2}\{"name":"x+\.\.\. \(311 bytes\)$/),
      '',
    ]);
    expect(formatDeadLetter(deadLetter(null))).toContain('  (null)');
    expect(formatDeadLetter(deadLetter(Buffer.from([0xff])))).toContain('(not UTF-8, 1 bytes)');
    expect(
      formatDeadLetter({ ...deadLetter(null), sourceTopic: '', sourceOffset: '', timestamp: -1 }),
    ).toContain('#3@17 - PAYLOAD_TOO_LARGE from ? 1@? ');
  });

  it('prints the stats as tables', () => {
    const text = formatStats('analytics.dead-letter', {
      total: 3,
      byCode: { INVALID_JSON: 1, PAYLOAD_TOO_LARGE: 2 },
      byTopic: { '': 1, 'product.created': 2 },
      byHour: { '2026-11-27T09': 3 },
      byRedriveCount: {},
    });
    expect(text).toBe(
      [
        'Dead letters in analytics.dead-letter: 3',
        'By error code:',
        '  INVALID_JSON       1',
        '  PAYLOAD_TOO_LARGE  2',
        'By source topic:',
        '  (?)              1',
        '  product.created  2',
        'By hour (UTC):',
        '  2026-11-27T09  3',
        'By redrive count: none',
        '',
      ].join('\n'),
    );
  });

  it('prints the outcome of a redrive and of a dry run', () => {
    const result = {
      scanned: 10,
      total: 10,
      matched: 8,
      redriven: 5,
      refused: 2,
      unknownSource: 1,
      byTopic: { 'product.created': 5 },
      dryRun: false,
      groupId: 'app-dlq-redrive-n',
    };
    expect(formatRedrive(result)).toBe(
      'Read 10 dead letters (8 matching): redriven 5 (product.created 5), refused 2 (at the redrive limit), skipped 1 (source topic not an input topic). Group app-dlq-redrive-n.\n',
    );
    expect(formatRedrive({ ...result, dryRun: true, redriven: 0, byTopic: {} })).toMatch(
      /^Dry run: nothing sent\. Read 10 dead letters \(8 matching\): would redrive 0, refused 2/,
    );
  });

  it('prints progress at most once per interval, and always the last state', () => {
    const lines: string[] = [];
    let now = 0;
    const progress = progressPrinter({ write: (t: string) => lines.push(t) }, 'n', () => now, 1000);
    const at = (scanned: number) => ({ scanned, total: 30, redriven: scanned, refused: 0 });

    progress.update(at(10));
    now = 500;
    progress.update(at(20));
    now = 1000;
    progress.update(at(25));
    now = 1200;
    progress.update(at(30));
    progress.done();

    expect(lines).toEqual([
      'redrive n: read 10 of at most 30, sent 10, refused 0\n',
      'redrive n: read 25 of at most 30, sent 25, refused 0\n',
      'redrive n: read 30 of at most 30, sent 30, refused 0\n',
    ]);
  });
});
