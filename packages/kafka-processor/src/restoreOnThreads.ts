import { Worker } from 'node:worker_threads';
import type { Logger } from '@marketplace/options';
import { RestoreError } from './errors.js';
import type { RestoredGroup } from './restoredGroup.js';
import { unpackStates } from './restoredStatesTransfer.js';
import type { RestoreTask, RestoreTaskResult } from './restoreTask.js';

/**
 * The restore thread entry next to the running module: `restoreWorker.js` from the ESM build,
 * `restoreWorker.cjs` from the CJS build, the tsx shim when running from the TypeScript sources
 * (tests).
 */
export function restoreWorkerFileFor(moduleUrl: string): URL {
  const path = new URL(moduleUrl).pathname;
  if (path.endsWith('.ts')) return new URL('./restoreWorker-shim.mjs', moduleUrl);
  if (path.endsWith('.cjs')) return new URL('./restoreWorker.cjs', moduleUrl);
  return new URL('./restoreWorker.js', moduleUrl);
}

/**
 * Splits partitions over at most `threads` sets of about equal size (records to read), largest
 * first onto the least loaded set: each set is one restore thread.
 */
export function splitPartitions(
  sizes: ReadonlyMap<number, bigint>,
  threads: number,
): Array<Array<[number, bigint]>> {
  const sets = Array.from({ length: Math.min(threads, sizes.size) }, () => ({
    load: 0n,
    partitions: [] as Array<[number, bigint]>,
  }));
  const largestFirst = [...sizes].sort(([ga, a], [gb, b]) => (a === b ? ga - gb : a > b ? -1 : 1));
  for (const [partition, size] of largestFirst) {
    const least = sets.reduce((min, set) => (set.load < min.load ? set : min));
    least.load += size;
    least.partitions.push([partition, size]);
  }
  return sets.map((set) => set.partitions);
}

/** Options of {@link restoreOnThreads}. */
export interface RestoreOnThreadsOptions {
  /** Tasks of the threads, one thread each. */
  tasks: readonly RestoreTask[];
  /** Time a thread gets beyond its own `timeoutMs` to clean up before it is terminated. */
  graceMs: number;
  logger: Logger;
  /** Test-only: another thread entry (a thread that crashes). */
  workerFile?: URL;
}

/**
 * Runs each task on its own worker thread (`worker_threads`, not the reduce pool: a restore
 * thread holds a kafkajs consumer for its whole task) and unpacks the groups they return on this
 * thread. Every thread is waited for, so none is left reading when this settles.
 * @throws {RestoreError} code `RESTORE_FAILED`: what a thread reported (retryable or not, as it
 *   said), or retryable when a thread crashed or outlived its timeout.
 */
export async function restoreOnThreads(
  options: RestoreOnThreadsOptions,
): Promise<Map<number, RestoredGroup>> {
  const file = options.workerFile ?? restoreWorkerFileFor(import.meta.url);
  const outcomes = await Promise.allSettled(options.tasks.map((task) => runThread(file, task, options)));
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  // A non-retryable failure (an undecodable record) wins over a retryable one of another thread.
  const fatal = outcomes.find(
    (o): o is PromiseRejectedResult =>
      o.status === 'rejected' && (o.reason as RestoreError).retryable === false,
  );
  if (failure) throw (fatal ?? failure).reason;
  const restored = new Map<number, RestoredGroup>();
  for (const outcome of outcomes) {
    for (const group of (outcome as PromiseFulfilledResult<RestoreTaskResult & { ok: true }>).value.groups) {
      restored.set(group.group, {
        states: unpackStates(group.states),
        records: group.records,
        epoch: group.epoch,
      });
    }
  }
  return restored;
}

function runThread(
  file: URL,
  task: RestoreTask,
  options: RestoreOnThreadsOptions,
): Promise<RestoreTaskResult & { ok: true }> {
  const groups = task.targets.map(([group]) => group);
  return new Promise((resolve, reject) => {
    let result: RestoreTaskResult | undefined;
    let crash: unknown;
    // execArgv: [] keeps the parent's loader hooks (`--import tsx` under the bench and tests) out
    // of the thread: its entry is plain JavaScript (or a shim that loads tsx itself), and a hook
    // resolving every module of kafkajs cost about a fifth of a thread's CPU in a profile.
    const worker = new Worker(file, { workerData: task, execArgv: [] });
    const guard = setTimeout(() => {
      crash = new Error(`the restore thread did not finish within ${task.timeoutMs + options.graceMs} ms`);
      void worker.terminate();
    }, task.timeoutMs + options.graceMs);
    worker.on('message', (message: RestoreTaskResult) => {
      result = message;
    });
    worker.on('error', (error) => {
      crash = error;
    });
    worker.on('exit', (code) => {
      clearTimeout(guard);
      for (const warning of result?.warnings ?? []) options.logger.warn(warning, { groups });
      if (result?.ok === true) return resolve(result);
      if (result?.ok === false) {
        const { failure } = result;
        return reject(
          new RestoreError(failure.groups, failure.message, {
            retryable: failure.retryable,
            ...(failure.cause === undefined ? {} : { cause: failure.cause }),
          }),
        );
      }
      reject(
        new RestoreError(groups, `the restore thread ended (exit code ${code}) without a result`, {
          cause: crash,
        }),
      );
    });
  });
}
