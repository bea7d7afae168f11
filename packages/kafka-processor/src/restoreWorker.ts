/**
 * Entry of a restore thread (built as its own file, `dist/restoreWorker.js` / `.cjs`): runs the
 * task in `workerData` and posts the result, moving the packed states instead of copying them.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type RestoreTask, runRestoreTask } from './restoreTask.js';

/** Where a restore thread posts its result: its `parentPort`. */
export interface RestoreResultPort {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
}

/**
 * Runs one restore task and posts its result to `port`, transferring each group's packed states
 * (the buffers move to the receiving thread; nothing is copied). Never rejects.
 */
export async function serveRestoreTask(port: RestoreResultPort, task: RestoreTask): Promise<void> {
  const result = await runRestoreTask(task);
  port.postMessage(result, result.ok ? result.groups.map((g) => g.states) : []);
}

const task = workerData as Partial<RestoreTask> | null;
// No top-level await: the CJS build cannot have it.
/* v8 ignore next 3 -- runs only as a restore thread's entry, which coverage cannot see; serveRestoreTask is tested directly */
if (!isMainThread && parentPort !== null && typeof task?.topic === 'string' && Array.isArray(task.targets)) {
  void serveRestoreTask(parentPort, task as RestoreTask);
}
