import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TransactionError } from './errors.js';
import { kafkajsLevel, postMessageSafely, type StreamThreadMessage, toCloneable } from './streamThread.js';

function receive(port: MessagePort): Promise<unknown> {
  return new Promise((resolve) => port.once('message', resolve));
}

describe('toCloneable', () => {
  it('keeps what logs and hooks read of an error: type, message, code, retryable, stack and its cause', () => {
    const cause = Object.assign(new Error('Closed connection'), { type: 'KAFKA_CONNECTION_CLOSED' });
    const error = new TransactionError(2, 'in', '41', cause);
    expect(toCloneable(error)).toMatchObject({
      type: 'TransactionError',
      message: error.message,
      code: 'TRANSACTION_FAILED',
      retryable: true,
      stack: error.stack,
      cause: { type: 'KAFKA_CONNECTION_CLOSED', message: 'Closed connection' },
    });
  });

  it('drops functions and symbols, walks objects and arrays, and passes Maps, Dates and bytes through', () => {
    const when = new Date(0);
    const bytes = Buffer.from('ab');
    const map = new Map([['k', 1]]);
    expect(
      toCloneable({
        a: 1,
        f: () => 1,
        s: Symbol('x'),
        list: [1, { e: new Error('x') }],
        when,
        bytes,
        map,
        n: null,
      }),
    ).toEqual({
      a: 1,
      list: [1, { e: expect.objectContaining({ type: 'Error', message: 'x' }) }],
      when,
      bytes,
      map,
      n: null,
    });
  });

  it('stops at depth 8 (a cyclic object cannot loop)', () => {
    const cyclic: Record<string, unknown> = { name: 'root' };
    cyclic.self = cyclic;
    let level = toCloneable(cyclic) as Record<string, unknown>;
    for (let depth = 1; depth < 8; depth++) level = level.self as Record<string, unknown>;
    expect(level.self).toBe('[object Object]');
  });
});

describe('postMessageSafely', () => {
  it('posts a message the clone takes as it is', async () => {
    const { port1, port2 } = new MessageChannel();
    const received = receive(port2);
    const message: StreamThreadMessage = { type: 'state', ready: true, groups: [0, 2], groupCount: 3 };
    postMessageSafely(port1, message);
    expect(await received).toEqual(message);
    port1.close();
  });

  it('keeps a message whose field the clone refuses, as JSON (bigints as strings)', async () => {
    const { port1, port2 } = new MessageChannel();
    const received = receive(port2);
    postMessageSafely(port1, {
      type: 'log',
      level: 'info',
      message: 'batch committed',
      fields: { offsets: new Map([['f', () => 1]]), lag: 5n, group: 1 },
    });
    expect(await received).toEqual({
      type: 'log',
      level: 'info',
      message: 'batch committed',
      fields: { offsets: {}, lag: '5', group: 1 },
    });
    port1.close();
  });
});

describe('kafkajsLevel', () => {
  it('sends Connection lines to debug and errors kafkajs retries itself to info, others by their level', () => {
    expect(kafkajsLevel('Connection', logLevel.ERROR, {})).toBe('debug');
    expect(kafkajsLevel('Producer', logLevel.ERROR, { retryCount: 1 })).toBe('info');
    expect(kafkajsLevel('Producer', logLevel.WARN, { retryCount: 0 })).toBe('info');
    expect(kafkajsLevel('Consumer', logLevel.ERROR, {})).toBe('error');
    expect(kafkajsLevel('Consumer', logLevel.WARN, {})).toBe('warn');
    expect(kafkajsLevel('Consumer', logLevel.INFO, { retryCount: 2 })).toBe('info');
    expect(kafkajsLevel('Consumer', logLevel.DEBUG, {})).toBe('debug');
    expect(kafkajsLevel('Consumer', 42, {})).toBe('info');
  });
});
