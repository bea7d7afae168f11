import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { toRawMessage } from './toRawMessage.js';

const kafkaMessage = (headers: KafkaMessage['headers']): KafkaMessage =>
  ({
    key: Buffer.from('p-1'),
    value: Buffer.from('{"broken"'),
    offset: '41',
    timestamp: '0',
    attributes: 0,
    headers,
  }) as KafkaMessage;

describe('toRawMessage', () => {
  it('keeps key, value and offset, and takes the first value of a repeated header', () => {
    const raw = toRawMessage(
      kafkaMessage({ 'event-type': [Buffer.from('product.created'), Buffer.from('x')], a: 'b' }),
    );
    expect(raw.key?.toString()).toBe('p-1');
    expect(raw.offset).toBe('41');
    expect(raw.headers?.['event-type']?.toString()).toBe('product.created');
    expect(raw.headers?.a).toBe('b');
  });

  it('accepts a message without headers', () => {
    expect(
      toRawMessage({ ...kafkaMessage({}), headers: undefined } as unknown as KafkaMessage).headers,
    ).toEqual({});
  });
});
