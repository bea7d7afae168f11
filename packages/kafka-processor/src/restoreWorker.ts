/**
 * Entry of a restore thread (built as its own file, `dist/restoreWorker.js` / `.cjs`): runs the
 * task in `workerData` and posts the result, moving the packed states instead of copying them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type RestoreTask, runRestoreTask } from './restoreTask.js';

// No top-level await: the CJS build cannot have it. runRestoreTask never rejects.
void runRestoreTask(workerData as RestoreTask).then((result) => {
  parentPort!.postMessage(result, result.ok ? result.groups.map((g) => g.states) : []);
});
