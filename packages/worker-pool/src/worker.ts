/**
 * Worker-thread entry of `ReducerPool` (built by tsup as `dist/worker.js` and `dist/worker.cjs`).
 * Decodes the task, runs the reduction of `reduceBatch`, and answers compactly. Never throws: an error goes
 * back as plain data (`{ code, message }`), since an `Error` loses its class when cloned.
 */
import { reduceMessages } from './reduceBatch.js';
import { decodeTask, encodeResult, type WireResponse, type WireTask } from './workerTaskCodec.js';

/** The wire format between `ReducerPool` and this entry (internal; it changes with the package). */
export type { WireResponse, WireTask };

/** Makes this thread die the way a real crash would (test-only fault injection). */
function crash(fault: 'exit' | 'throw'): Promise<never> {
  if (fault === 'exit') process.exit(70);
  // An uncaught exception outside the task's promise chain kills the thread.
  setImmediate(() => {
    throw new Error('fault injected: uncaught exception in worker');
  });
  return new Promise<never>(() => {});
}

/** Reduces one wire task. */
export default async function reduceWireTask(wire: WireTask): Promise<WireResponse> {
  if (wire.fault === 'exit' || wire.fault === 'throw') return crash(wire.fault);
  // A reduction that never finishes (a stuck thread), for shutdown-bound tests.
  if (wire.fault === 'hang') return new Promise<never>(() => {});
  try {
    if (wire.fault === 'fail') throw new Error('fault injected: reducing failed');
    const { messages, priorStates, options } = decodeTask(wire);
    return { ok: true, result: encodeResult(reduceMessages(messages, priorStates, options)) };
  } catch (error) {
    const base = error instanceof Error ? error : new Error(String(error));
    return {
      ok: false,
      error: {
        code: 'TASK_FAILED',
        message: base.message,
        name: base.name,
        ...(base.stack === undefined ? {} : { stack: base.stack }),
      },
    };
  }
}
