import { describe, expect, it } from 'vitest';
import { messageOf, productEvent } from '../test/fixtures.js';
import { reduceBatch } from './reduceBatch.js';
import reduceWireTask from './worker.js';
import { decodeResult, encodeTask, type WireTask } from './workerTaskCodec.js';

// The worker function runs in worker threads in production, where coverage cannot see it: it is
// tested here directly, on the main thread.
describe('worker entry', () => {
  it('answers with the encoded result of reduceBatch', async () => {
    const task = {
      topic: 'product.created',
      partition: 1,
      messages: [messageOf(productEvent('product.created', 'p-1', 1), 1)],
      priorStates: new Map(),
    };
    const expected = reduceBatch(task);

    const response = await reduceWireTask(encodeTask(task).wire);

    expect(response.ok).toBe(true);
    expect(response.ok && decodeResult(response.result, (index) => String(index + 1))).toEqual(expected);
  });

  it('answers a failure as plain data with code TASK_FAILED', async () => {
    const broken = { ...encodeTask({ topic: 't', partition: 0, messages: [], priorStates: new Map() }).wire };
    Object.defineProperty(broken, 'table', {
      get() {
        throw new TypeError('table unreadable');
      },
    });

    const response = await reduceWireTask(broken as WireTask);

    expect(response).toEqual({
      ok: false,
      error: {
        code: 'TASK_FAILED',
        message: 'table unreadable',
        name: 'TypeError',
        stack: expect.any(String),
      },
    });
  });

  it('answers a thrown non-Error as plain data too', async () => {
    const broken = { ...encodeTask({ topic: 't', partition: 0, messages: [], priorStates: new Map() }).wire };
    Object.defineProperty(broken, 'table', {
      get() {
        throw 'just a string';
      },
    });

    const response = await reduceWireTask(broken as WireTask);

    expect(response).toEqual({
      ok: false,
      error: { code: 'TASK_FAILED', message: 'just a string', name: 'Error', stack: expect.any(String) },
    });
  });
});
