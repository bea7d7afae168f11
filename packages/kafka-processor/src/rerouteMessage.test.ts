import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { REROUTE_HEADERS, readRerouteSource, rerouteMessage } from './rerouteMessage.js';

const original = {
  key: Buffer.from('p-1'),
  value: Buffer.from('{"x":1}'),
  offset: '41',
  timestamp: '1764259200000',
  attributes: 0,
  headers: { 'event-type': Buffer.from('product.updated'), 'content-type': 'application/json' },
} as unknown as KafkaMessage;

describe('rerouteMessage', () => {
  it('keeps key, value, timestamp and headers, adds the source position, and targets the owner', () => {
    const forwarded = rerouteMessage({ topic: 'product.updated', partition: 2 }, original, 3);
    expect(forwarded).toEqual({
      key: original.key,
      value: original.value,
      timestamp: '1764259200000',
      partition: 3,
      headers: {
        ...original.headers,
        [REROUTE_HEADERS.sourceTopic]: 'product.updated',
        [REROUTE_HEADERS.sourcePartition]: '2',
        [REROUTE_HEADERS.sourceOffset]: '41',
      },
    });
  });
});

describe('readRerouteSource', () => {
  it('gives back the original position and record', () => {
    const forwarded = rerouteMessage({ topic: 'product.updated', partition: 2 }, original, 3);
    // As consumed from the reroute topic: another offset, header values as Buffers.
    const consumed = {
      ...original,
      offset: '7',
      headers: Object.fromEntries(
        Object.entries(forwarded.headers!).map(([k, v]) => [k, Buffer.from(String(v))]),
      ),
    } as unknown as KafkaMessage;
    const source = readRerouteSource(consumed)!;
    expect(source.topic).toBe('product.updated');
    expect(source.partition).toBe(2);
    expect(source.message.offset).toBe('41');
    expect(Object.keys(source.message.headers ?? {}).sort()).toEqual(['content-type', 'event-type']);
    expect(source.message.value).toBe(original.value);
  });

  it.each([
    ['no headers', undefined],
    ['no source topic', { [REROUTE_HEADERS.sourcePartition]: '1', [REROUTE_HEADERS.sourceOffset]: '2' }],
    [
      'a partition that is not a number',
      {
        [REROUTE_HEADERS.sourceTopic]: 't',
        [REROUTE_HEADERS.sourcePartition]: 'x',
        [REROUTE_HEADERS.sourceOffset]: '2',
      },
    ],
    [
      'an offset that is not a number',
      {
        [REROUTE_HEADERS.sourceTopic]: 't',
        [REROUTE_HEADERS.sourcePartition]: ['1'],
        [REROUTE_HEADERS.sourceOffset]: '-2',
      },
    ],
  ])('is undefined for a record with %s', (_name, headers) => {
    expect(readRerouteSource({ ...original, headers } as unknown as KafkaMessage)).toBeUndefined();
  });
});
