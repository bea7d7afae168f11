import { describe, expect, it } from 'vitest';
import { stopInOrder } from './stopInOrder.js';

function recordingLogger() {
  const lines: Array<{ message: string; fields: unknown }> = [];
  const record = (message: string, fields?: unknown) => void lines.push({ message, fields });
  return { logger: { debug: record, info: record, warn: record, error: record }, lines };
}

describe('stopInOrder', () => {
  it('runs every step in order and resolves when none fails', async () => {
    const { logger, lines } = recordingLogger();
    const done: string[] = [];

    await stopInOrder(
      [
        { what: 'stop a', run: async () => void done.push('a') },
        { what: 'stop b', run: () => void done.push('b') },
        { what: 'stop c', run: () => undefined },
      ],
      logger,
    );

    expect(done).toEqual(['a', 'b']);
    expect(lines).toEqual([]);
  });

  it('still runs the steps after a failing one, logs each failure and then throws the first', async () => {
    const { logger, lines } = recordingLogger();
    const done: string[] = [];
    const first = new Error('the consumer did not leave its group');

    const failure = await stopInOrder(
      [
        {
          what: 'stop the sink stage',
          run: async () => {
            throw first;
          },
        },
        { what: 'destroy the worker pool', run: async () => void done.push('pool') },
        {
          what: 'disconnect the Kafka admin',
          run: () => {
            throw Object.assign(new Error('socket hang up'), { name: 'KafkaJSConnectionError' });
          },
        },
        { what: 'close the clients', run: async () => void done.push('clients') },
      ],
      logger,
    ).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBe(first);
    expect(done).toEqual(['pool', 'clients']);
    expect(lines).toEqual([
      {
        message: 'failed to stop the sink stage',
        fields: { error: 'Error: the consumer did not leave its group' },
      },
      {
        message: 'failed to disconnect the Kafka admin',
        fields: { error: 'KafkaJSConnectionError: socket hang up' },
      },
    ]);
  });

  it('runs the steps of an inner array together and waits for all of them before the next', async () => {
    const { logger } = recordingLogger();
    const events: string[] = [];
    let releaseA: () => void = () => {};
    const aStopped = new Promise<void>((resolve) => {
      releaseA = resolve;
    });

    await stopInOrder(
      [
        [
          {
            what: 'stop a',
            run: async () => {
              events.push('a started');
              await aStopped;
              events.push('a stopped');
            },
          },
          {
            what: 'stop b',
            run: async () => {
              // b starts while a still waits: the two run together.
              events.push('b started');
              releaseA();
            },
          },
        ],
        { what: 'stop c', run: () => void events.push('c') },
      ],
      logger,
    );

    expect(events).toEqual(['a started', 'b started', 'a stopped', 'c']);
  });
});
