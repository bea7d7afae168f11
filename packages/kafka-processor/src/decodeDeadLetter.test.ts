import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DeadLetterStats } from './DeadLetterStats.js';
import { invalidRecordDeadLetter } from './deadLetters.js';
import {
  type DeadLetter,
  decodeDeadLetter,
  matchesDeadLetterFilter,
  redriveCountOf,
  redriveMessage,
} from './decodeDeadLetter.js';
import { DEAD_LETTER_HEADERS, DEFAULT_PROCESSOR_OPTIONS, REDRIVE_COUNT_HEADER } from './defaults.js';

/** A dead letter as stage 1 writes it (full form unless it is over the default size bound). */
const deadLetterMessage = (
  source: Parameters<typeof invalidRecordDeadLetter>[0],
  message: Parameters<typeof invalidRecordDeadLetter>[1],
  invalid: Parameters<typeof invalidRecordDeadLetter>[2],
  partition: number,
) =>
  invalidRecordDeadLetter(source, message, invalid, partition, DEFAULT_PROCESSOR_OPTIONS.maxDeadLetterBytes);

const input = (headers: KafkaMessage['headers'], offset = '41'): KafkaMessage =>
  ({
    key: Buffer.from('p-1'),
    value: Buffer.from('{"type":"product.created"}'),
    offset,
    timestamp: String(Date.UTC(2026, 10, 27, 14, 59, 59)),
    attributes: 0,
    headers,
  }) as KafkaMessage;

/** The dead letter stage 1 writes for `message`, as the dead-letter consumer reads it back. */
function asRead(message: KafkaMessage, code = 'SCHEMA_VIOLATION', dlqOffset = '7'): KafkaMessage {
  const built = deadLetterMessage(
    { topic: 'product.created', partition: 2 },
    message,
    {
      offset: message.offset,
      code: code as 'SCHEMA_VIOLATION',
      path: '/data/priceCents',
      message: 'bad price',
    },
    2,
  );
  const headers: KafkaMessage['headers'] = {};
  for (const [name, value] of Object.entries(built.headers ?? {})) {
    headers[name] = typeof value === 'string' ? Buffer.from(value) : (value as Buffer);
  }
  return { ...message, offset: dlqOffset, headers } as KafkaMessage;
}

describe('decodeDeadLetter', () => {
  it('reads the reason, the source position and the original headers of a dead letter stage 1 wrote', () => {
    const dl = decodeDeadLetter(2, asRead(input({ 'event-type': Buffer.from('product.created') })));

    expect(dl).toMatchObject({
      partition: 2,
      offset: '7',
      code: 'SCHEMA_VIOLATION',
      message: 'bad price',
      path: '/data/priceCents',
      sourceTopic: 'product.created',
      sourcePartition: 2,
      sourceOffset: '41',
      redriveCount: 0,
    });
    expect(dl.key?.toString()).toBe('p-1');
    expect(Object.keys(dl.headers)).toEqual(['event-type']);
  });

  it('reads the redrive count of a record that failed again after a redrive', () => {
    const dl = decodeDeadLetter(0, asRead(input({ [REDRIVE_COUNT_HEADER]: Buffer.from('2') })));

    expect(dl.redriveCount).toBe(2);
    expect(dl.headers).toEqual({});
  });

  it('falls back to x-redrive-count when dlq-redrive-count is missing (dead letters of older versions)', () => {
    const dl = decodeDeadLetter(
      0,
      input({ [REDRIVE_COUNT_HEADER]: '1', [DEAD_LETTER_HEADERS.errorCode]: ['INVALID_JSON'] }),
    );

    expect(dl.redriveCount).toBe(1);
    expect(dl.code).toBe('INVALID_JSON');
  });

  it('gives neutral values to a record without dlq headers', () => {
    const dl = decodeDeadLetter(1, { ...input(undefined), headers: undefined } as unknown as KafkaMessage);

    expect(dl).toMatchObject({
      code: 'UNKNOWN',
      sourceTopic: '',
      sourcePartition: -1,
      sourceOffset: '',
      redriveCount: 0,
    });
  });
});

describe('redriveCountOf', () => {
  it.each([
    [undefined, 0],
    [{}, 0],
    [{ [REDRIVE_COUNT_HEADER]: '3' }, 3],
    [{ [REDRIVE_COUNT_HEADER]: [Buffer.from('4'), Buffer.from('9')] }, 4],
    [{ [REDRIVE_COUNT_HEADER]: '-1' }, 0],
    [{ [REDRIVE_COUNT_HEADER]: 'many' }, 0],
    [{ [REDRIVE_COUNT_HEADER]: [] }, 0],
  ])('reads %o as %d', (headers, expected) => {
    expect(redriveCountOf(headers as KafkaMessage['headers'])).toBe(expected);
  });
});

describe('matchesDeadLetterFilter', () => {
  const dl: DeadLetter = decodeDeadLetter(2, asRead(input({}), 'KEY_MISMATCH'));

  it.each([
    [{}, true],
    [{ codes: [] }, true],
    [{ codes: ['KEY_MISMATCH', 'INVALID_JSON'] }, true],
    [{ codes: ['INVALID_JSON'] }, false],
    [{ topics: ['product.created'] }, true],
    [{ topics: ['product.deleted'] }, false],
    [{ partition: 2 }, true],
    [{ partition: 0 }, false],
    [{ fromOffset: 41n, toOffset: 41n }, true],
    [{ fromOffset: 42n }, false],
    [{ toOffset: 40n }, false],
  ])('%o selects it: %s', (filter, expected) => {
    expect(matchesDeadLetterFilter(dl, filter)).toBe(expected);
  });

  it('never selects a dead letter without a source offset by offset range', () => {
    expect(matchesDeadLetterFilter({ ...dl, sourceOffset: '' }, { fromOffset: 0n })).toBe(false);
  });
});

describe('redriveMessage', () => {
  it('sends key, value and original headers to the source partition with the redrive count one higher', () => {
    const dl = decodeDeadLetter(
      2,
      asRead(
        input({ 'event-type': Buffer.from('product.created'), [REDRIVE_COUNT_HEADER]: Buffer.from('1') }),
      ),
    );

    const message = redriveMessage(dl);

    expect(message.partition).toBe(2);
    expect(message.key?.toString()).toBe('p-1');
    expect(message.value?.toString()).toBe('{"type":"product.created"}');
    expect(Object.keys(message.headers ?? {}).sort()).toEqual(['event-type', REDRIVE_COUNT_HEADER]);
    expect(message.headers?.[REDRIVE_COUNT_HEADER]).toBe('2');
  });
});

describe('DeadLetterStats', () => {
  it('counts by code, source topic, UTC hour and redrive count, keys sorted', () => {
    const stats = new DeadLetterStats();
    stats.add(decodeDeadLetter(0, asRead(input({}), 'SCHEMA_VIOLATION')));
    stats.add(decodeDeadLetter(0, asRead(input({}), 'INVALID_JSON')));
    stats.add(decodeDeadLetter(0, asRead(input({ [REDRIVE_COUNT_HEADER]: '1' }), 'INVALID_JSON')));
    stats.add({ ...decodeDeadLetter(0, input({})), timestamp: Number.NaN });

    expect(stats.summary()).toEqual({
      total: 4,
      byCode: { INVALID_JSON: 2, SCHEMA_VIOLATION: 1, UNKNOWN: 1 },
      byTopic: { '': 1, 'product.created': 3 },
      byHour: { '2026-11-27T14': 3, unknown: 1 },
      byRedriveCount: { '0': 3, '1': 1 },
    });
  });
});
