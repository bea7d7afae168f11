import { describe, expect, it } from 'vitest';
import { RestoreError } from './errors.js';
import { restoreOnThreads, restoreWorkerFileFor, splitPartitions } from './restoreOnThreads.js';
import type { RestoreTask } from './restoreTask.js';

const task = (partitions: number[], timeoutMs = 60_000): RestoreTask => ({
  kafkaConfig: { brokers: ['127.0.0.1:1'] },
  topic: 'changelog',
  targets: partitions.map((p) => [p, '10'] as const),
  from: partitions.map((p) => [p, '0'] as const),
  timeoutMs,
  maxDecompressedBytes: 1024 * 1024,
});

const fixture = (name: string) => new URL(`../test/fixtures/${name}`, import.meta.url);

function recordingLogger() {
  const warnings: Array<[string, unknown]> = [];
  const logger = {
    debug() {},
    info() {},
    warn: (message: string, fields?: unknown) => warnings.push([message, fields]),
    error() {},
  };
  return { logger, warnings };
}

describe('splitPartitions', () => {
  it('puts the largest partitions first onto the least loaded thread', () => {
    const sets = splitPartitions(
      new Map([
        [0, 100n],
        [1, 60n],
        [2, 50n],
        [3, 10n],
      ]),
      2,
    );

    expect(sets).toEqual([
      [
        [0, 100n],
        [3, 10n],
      ],
      [
        [1, 60n],
        [2, 50n],
      ],
    ]);
  });

  it('uses no more threads than partitions, and orders equal sizes by partition', () => {
    expect(
      splitPartitions(
        new Map([
          [4, 5n],
          [2, 5n],
        ]),
        8,
      ),
    ).toEqual([[[2, 5n]], [[4, 5n]]]);
  });
});

describe('restoreWorkerFileFor', () => {
  it.each([
    ['file:///pkg/src/restoreOnThreads.ts', '/pkg/src/restoreWorker-shim.mjs'],
    ['file:///pkg/dist/index.cjs', '/pkg/dist/restoreWorker.cjs'],
    ['file:///pkg/dist/index.js', '/pkg/dist/restoreWorker.js'],
  ])('picks the entry next to %s', (moduleUrl, expected) => {
    expect(restoreWorkerFileFor(moduleUrl).pathname).toBe(expected);
  });
});

describe('restoreOnThreads', () => {
  it('fails retryably when a thread ends without a result', async () => {
    const { logger } = recordingLogger();

    const failure = await restoreOnThreads({
      tasks: [task([0, 2])],
      graceMs: 1_000,
      logger,
      workerFile: fixture('restore-thread-refuses.mjs'),
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RestoreError);
    expect(failure).toMatchObject({ code: 'RESTORE_FAILED', retryable: true, groups: [0, 2] });
    expect((failure as Error).message).toMatch(/exit code 3/);
  });

  it('terminates a thread that outlives its timeout and fails retryably', async () => {
    const { logger } = recordingLogger();

    const failure = await restoreOnThreads({
      tasks: [task([1], 10)],
      graceMs: 10,
      logger,
      workerFile: fixture('restore-thread-hangs.mjs'),
    }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'RESTORE_FAILED', retryable: true, groups: [1] });
    expect(((failure as Error).cause as Error).message).toMatch(/did not finish within 20 ms/);
  });

  it('rethrows what a thread reported as a RestoreError, keeping retryable, cause and warnings', async () => {
    const { logger, warnings } = recordingLogger();

    const failure = await restoreOnThreads({
      tasks: [task([3])],
      graceMs: 1_000,
      logger,
      workerFile: fixture('restore-thread-refuses.mjs'),
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RestoreError);
    expect(failure).toMatchObject({
      retryable: false,
      groups: [3],
      message: 'Restoring group(s) 3 failed: record at offset 4 is not a product state',
      cause: { code: 'INVALID_PRODUCT_STATE' },
    });
    expect(warnings).toEqual([['a warning from the thread', { groups: [3] }]]);
  });

  it('prefers a non-retryable failure of one thread over a retryable one of another', async () => {
    const { logger } = recordingLogger();

    const failure = await restoreOnThreads({
      tasks: [task([0]), task([5])],
      graceMs: 1_000,
      logger,
      workerFile: fixture('restore-thread-refuses.mjs'),
    }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ retryable: false, groups: [5] });
  });
});
