import { createHash } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { approximateSize } from './chunkBySize.js';
import {
  invalidRecordDeadLetter,
  referenceDeadLetter,
  undecodableBatchCode,
  undecodableBatchDeadLetter,
  undecodableBatchOf,
} from './deadLetters.js';
import { DEAD_LETTER_HEADERS as H } from './defaults.js';
import { CodecError } from './errors.js';

const kafkaMessage = (fields: Partial<KafkaMessage>): KafkaMessage =>
  ({
    key: Buffer.from('p-1'),
    value: Buffer.from('{"broken"'),
    offset: '41',
    timestamp: '0',
    attributes: 0,
    headers: {},
    ...fields,
  }) as KafkaMessage;

const sha256 = (value: Buffer): string => createHash('sha256').update(value).digest('hex');
const source = { topic: 'product.created', partition: 4 };
const MAX = 262_144;

describe('invalidRecordDeadLetter', () => {
  it('keeps the original bytes and headers and adds the source position and error', () => {
    const message = kafkaMessage({ headers: { 'event-type': 'product.created' } });
    const invalid = { code: 'INVALID_JSON', path: '', message: 'Unexpected end of JSON input' } as const;

    const dead = invalidRecordDeadLetter(source, message, invalid, 4, MAX);

    expect(dead).toEqual({
      key: message.key,
      value: message.value,
      partition: 4,
      headers: {
        'event-type': 'product.created',
        [H.sourceTopic]: 'product.created',
        [H.sourcePartition]: '4',
        [H.sourceOffset]: '41',
        [H.errorCode]: 'INVALID_JSON',
        [H.errorMessage]: 'Unexpected end of JSON input',
        [H.errorPath]: '',
        [H.redriveCount]: '0',
        [H.form]: 'full',
      },
    });
  });

  it('carries the redrive count of a redriven record into dlq-redrive-count, in full and truncated form', () => {
    const message = kafkaMessage({
      value: Buffer.alloc(2_000, 'x'),
      headers: { 'x-redrive-count': Buffer.from('2') },
    });
    const invalid = { code: 'INVALID_JSON', path: '', message: 'bad' } as const;

    expect(invalidRecordDeadLetter(source, message, invalid, 1, MAX).headers?.[H.redriveCount]).toBe('2');
    expect(invalidRecordDeadLetter(source, message, invalid, 1, 300).headers).toMatchObject({
      [H.redriveCount]: '2',
      [H.form]: 'truncated',
    });
  });

  it('carries only dlq headers for a record without headers', () => {
    const message = { ...kafkaMessage({}), headers: undefined } as unknown as KafkaMessage;
    const dead = invalidRecordDeadLetter(
      source,
      message,
      { code: 'MISSING_KEY', path: '', message: 'no key' },
      0,
      MAX,
    );
    expect(Object.keys(dead.headers ?? {}).every((name) => name.startsWith('dlq-'))).toBe(true);
  });

  it('keeps a 900 KB payload with a 200 KB key under maxBytes, with sizes and SHA-256 of the originals', () => {
    const key = Buffer.alloc(200_000, 0x6b);
    const value = Buffer.alloc(900_000, 0x76);
    const headers: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) headers[`h${i}`] = 'x'.repeat(100);
    const message = kafkaMessage({ key, value, headers });

    const dead = invalidRecordDeadLetter(
      source,
      message,
      { code: 'KEY_MISMATCH', path: '/productId', message: 'm'.repeat(5000) },
      4,
      MAX,
    );

    expect(approximateSize(dead)).toBeLessThanOrEqual(MAX);
    expect((dead.key as Buffer).equals(key.subarray(0, 256))).toBe(true);
    expect((dead.value as Buffer).equals(value.subarray(0, (dead.value as Buffer).length))).toBe(true);
    expect((dead.value as Buffer).length).toBeGreaterThan(MAX / 2);
    expect(dead.headers).toMatchObject({
      [H.form]: 'truncated',
      [H.errorCode]: 'KEY_MISMATCH',
      [H.sourceOffset]: '41',
      [H.keyBytes]: '200000',
      [H.keySha256]: sha256(key),
      [H.valueBytes]: '900000',
      [H.valueSha256]: sha256(value),
      [H.originalHeaderCount]: '1000',
    });
    expect(dead.headers?.[H.errorMessage]).toBe(`${'m'.repeat(512)}…`);
    expect(dead.headers).not.toHaveProperty('h0');
  });

  it('truncates string keys and values and leaves absent ones out', () => {
    const message = kafkaMessage({ key: null, value: 'v'.repeat(10_000) as unknown as Buffer });
    const dead = invalidRecordDeadLetter(
      source,
      message,
      { code: 'MISSING_KEY', path: '', message: 'x' },
      0,
      4096,
    );
    expect(dead.key).toBeNull();
    expect((dead.value as Buffer).length).toBe(4096 - 2048);
    expect(dead.headers).not.toHaveProperty(H.keyBytes);
    expect(dead.headers?.[H.valueBytes]).toBe('10000');
    const noValue = invalidRecordDeadLetter(
      source,
      kafkaMessage({ key: Buffer.alloc(10_000), value: null }),
      { code: 'NOT_AN_OBJECT', path: '', message: 'x' },
      0,
      4096,
    );
    expect(noValue.value).toBeNull();
    expect(noValue.headers).not.toHaveProperty(H.valueBytes);
  });
});

describe('undecodable batches', () => {
  const batch = {
    firstOffset: '100',
    lastOffset: '149',
    recordCount: 50,
    compressedBytes: 4096,
    error: new CodecError('DECOMPRESSED_TOO_LARGE', 'gzip', {
      compressedBytes: 4096,
      maxDecompressedBytes: 1024,
      message: 'too large',
    }),
  };

  it('finds the batch a record stands for', () => {
    expect(undecodableBatchOf(kafkaMessage({}))).toBeUndefined();
    expect(
      undecodableBatchOf({ ...kafkaMessage({}), undecodableBatch: batch } as unknown as KafkaMessage),
    ).toBe(batch);
  });

  it('codes a batch over the bound DECOMPRESSED_TOO_LARGE and anything else DECOMPRESSION_FAILED', () => {
    expect(undecodableBatchCode(batch)).toBe('DECOMPRESSED_TOO_LARGE');
    expect(undecodableBatchCode({ ...batch, error: new Error('bad') })).toBe('DECOMPRESSION_FAILED');
    expect(undecodableBatchCode({ ...batch, error: null })).toBe('DECOMPRESSION_FAILED');
  });

  it('dead-letters a batch by reference: topic, partition, offset range, sizes and code', () => {
    expect(undecodableBatchDeadLetter(source, batch, 4)).toEqual({
      key: null,
      value: null,
      partition: 4,
      headers: {
        [H.sourceTopic]: 'product.created',
        [H.sourcePartition]: '4',
        [H.sourceOffset]: '100',
        [H.sourceLastOffset]: '149',
        [H.recordCount]: '50',
        [H.compressedBytes]: '4096',
        [H.errorCode]: 'DECOMPRESSED_TOO_LARGE',
        [H.errorMessage]: 'too large',
        [H.errorPath]: '',
        [H.form]: 'reference',
      },
    });
    const failed = undecodableBatchDeadLetter(source, { ...batch, error: 'not an error' }, 4);
    expect(failed.headers?.[H.errorMessage]).toBe('not an error');
  });
});

describe('referenceDeadLetter', () => {
  it('drops key, value and original headers and keeps digests of a full dead letter', () => {
    const message = kafkaMessage({ headers: { 'event-type': 'x', 'dlq-not-ours': 'y' } });
    const full = invalidRecordDeadLetter(
      source,
      message,
      { code: 'INVALID_JSON', path: '', message: 'bad' },
      4,
      MAX,
    );

    const reference = referenceDeadLetter(full);

    expect(reference).toEqual({
      key: null,
      value: null,
      partition: 4,
      headers: {
        [H.sourceTopic]: 'product.created',
        [H.sourcePartition]: '4',
        [H.sourceOffset]: '41',
        [H.errorCode]: 'INVALID_JSON',
        [H.errorMessage]: 'bad',
        [H.errorPath]: '',
        [H.redriveCount]: '0',
        [H.form]: 'reference',
        [H.keyBytes]: '3',
        [H.keySha256]: sha256(Buffer.from('p-1')),
        [H.valueBytes]: '9',
        [H.valueSha256]: sha256(Buffer.from('{"broken"')),
      },
    });
  });

  it('keeps the digests a truncated dead letter already carries', () => {
    const big = kafkaMessage({ value: Buffer.alloc(10_000, 1) });
    const truncated = invalidRecordDeadLetter(
      source,
      big,
      { code: 'INVALID_JSON', path: '', message: 'x' },
      0,
      4096,
    );
    const reference = referenceDeadLetter(truncated);
    expect(reference.headers?.[H.valueSha256]).toBe(sha256(Buffer.alloc(10_000, 1)));
    expect(reference.headers?.[H.form]).toBe('reference');
    expect(referenceDeadLetter({ value: null }).headers).toEqual({ [H.form]: 'reference' });
  });
});
