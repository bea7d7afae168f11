import { afterEach, describe, expect, it, vi } from 'vitest';
import reduceWireTask from './worker.js';
import { encodeTask, type WireTask } from './workerTaskCodec.js';

const emptyTask = (fault?: WireTask['fault']): WireTask => ({
  ...encodeTask({ topic: 't', partition: 0, messages: [], priorStates: new Map() }).wire,
  ...(fault === undefined ? {} : { fault }),
});

/** Thrown by the stubbed process.exit, so the test sees the exit code instead of losing its process. */
class ExitCalled extends Error {
  constructor(readonly exitCode: number | string | null | undefined) {
    super(`process.exit(${exitCode})`);
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

// The fault injection of ReducerPool runs inside worker threads in production; here the worker
// function runs on the main thread. Node's process.exit and setImmediate are stubbed (not our
// code) so that the crash a fault causes is observed instead of ending the test run.
describe('worker entry fault injection', () => {
  it("answers 'fail' with TASK_FAILED as plain data", async () => {
    const response = await reduceWireTask(emptyTask('fail'));

    expect(response).toEqual({
      ok: false,
      error: {
        code: 'TASK_FAILED',
        message: 'fault injected: reducing failed',
        name: 'Error',
        stack: expect.stringContaining('fault injected: reducing failed'),
      },
    });
  });

  it("never answers 'hang'", async () => {
    let settled = false;
    void reduceWireTask(emptyTask('hang')).finally(() => {
      settled = true;
    });

    // Several turns of the event loop: a reduction of an empty task would have answered by now.
    for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    const normal = await reduceWireTask(emptyTask());

    expect(normal.ok).toBe(true);
    expect(settled).toBe(false);
  });

  it("exits the thread with code 70 on 'exit'", async () => {
    vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new ExitCalled(code);
    });

    await expect(reduceWireTask(emptyTask('exit'))).rejects.toMatchObject({ exitCode: 70 });
  });

  it("throws an uncaught exception outside the task on 'throw', and never answers", async () => {
    let scheduled: (() => void) | undefined;
    vi.spyOn(globalThis, 'setImmediate').mockImplementation(((callback: () => void) => {
      scheduled = callback;
      return {} as NodeJS.Immediate;
    }) as typeof setImmediate);
    let settled = false;

    void reduceWireTask(emptyTask('throw')).finally(() => {
      settled = true;
    });
    await Promise.resolve();
    vi.restoreAllMocks();

    expect(scheduled).toBeTypeOf('function');
    expect(() => scheduled?.()).toThrow('fault injected: uncaught exception in worker');
    expect(settled).toBe(false);
  });

  it('answers an error without a stack without a stack field', async () => {
    const broken = { ...emptyTask() };
    Object.defineProperty(broken, 'table', {
      get() {
        const error = new RangeError('no stack here');
        error.stack = undefined;
        throw error;
      },
    });

    const response = await reduceWireTask(broken as WireTask);

    expect(response).toEqual({
      ok: false,
      error: { code: 'TASK_FAILED', message: 'no stack here', name: 'RangeError' },
    });
  });
});
