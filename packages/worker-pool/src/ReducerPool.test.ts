import type { ProductState } from '@marketplace/analytics-aggregator';
import { generateMarketplaceStream } from '@marketplace/product-events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { messageOf, productEvent, productState } from '../test/fixtures.js';
import { defaultThreadCount } from './defaults.js';
import { WorkerPoolError } from './errors.js';
import { injectFault, ReducerPool, type ReducerPoolOptions, workerFileOverride } from './ReducerPool.js';
import { reduceBatch } from './reduceBatch.js';
import type { RawMessage, ReduceResult, ReduceTask } from './types.js';

const pools: ReducerPool[] = [];
function newPool(options: ReducerPoolOptions = {}): ReducerPool {
  const pool = new ReducerPool(options);
  pools.push(pool);
  return pool;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.destroy()));
});

function taskOf(
  messages: RawMessage[],
  priorStates: ReadonlyMap<string, ProductState> = new Map(),
): ReduceTask {
  return { topic: 'product.updated', partition: 0, messages, priorStates };
}

const smallTask = (): ReduceTask => taskOf([messageOf(productEvent('product.created', 'p-1', 1), 1)]);

interface GeneratedBatches {
  batches: RawMessage[][];
  /** Offsets of the messages the generator made malformed. */
  malformedOffsets: string[];
}

/**
 * Kafka-shaped batches of a generated stream with duplicates, cross-topic reordering and
 * malformed messages (keys and header values as Buffers, as kafkajs delivers them).
 */
function generatedBatches(batchSize: number): GeneratedBatches {
  const batches: RawMessage[][] = [];
  const malformedOffsets: string[] = [];
  let current: RawMessage[] = [];
  let offset = 0;
  for (const generated of generateMarketplaceStream({
    seed: 7,
    products: 300,
    events: 3000,
    duplicateRate: 0.1,
    malformedRate: 0.05,
    reorder: { window: 20 },
  })) {
    const headers: Record<string, Buffer> = {};
    for (const [name, value] of Object.entries(generated.headers)) headers[name] = Buffer.from(value);
    const message = {
      key: Buffer.from(generated.key),
      value: generated.value,
      headers,
      offset: String(offset),
    };
    if (generated.event === undefined) malformedOffsets.push(message.offset);
    offset += 1;
    current.push(message);
    if (current.length === batchSize) {
      batches.push(current);
      current = [];
    }
  }
  if (current.length > 0) batches.push(current);
  return { batches, malformedOffsets };
}

/** Reduces the batches one after the other, carrying the states forward, with `reduce`. */
async function reduceAll(
  batches: RawMessage[][],
  reduce: (task: ReduceTask) => Promise<ReduceResult> | ReduceResult,
): Promise<{ states: Map<string, ProductState>; results: ReduceResult[] }> {
  const states = new Map<string, ProductState>();
  const results: ReduceResult[] = [];
  for (const messages of batches) {
    const result = await reduce(taskOf(messages, states));
    for (const state of result.states) states.set(state.productId, state);
    results.push(result);
  }
  return { states, results };
}

// Starting a thread under vitest loads the TypeScript sources with tsx: allow for a busy machine.
describe('ReducerPool', { timeout: 30_000 }, () => {
  // Threads that survive the test: started once (a thread takes a while to load the TypeScript
  // sources under vitest) and shared by the tests that do not crash or destroy them.
  let shared: ReducerPool;
  beforeAll(() => {
    shared = new ReducerPool({ threads: 2, inlineBelow: 0 });
  });
  afterAll(async () => {
    await shared.destroy();
  });

  it('produces exactly what inline reduction produces on a generated stream with malformed messages', async () => {
    const { batches, malformedOffsets } = generatedBatches(250);
    const completedBefore = shared.utilization().completed;

    const threaded = await reduceAll(batches, (task) => shared.reduce(task));
    const inline = await reduceAll(batches, reduceBatch);

    expect(threaded.results).toEqual(inline.results);
    expect(threaded.states).toEqual(inline.states);
    const invalidOffsets = threaded.results.flatMap((result) => result.invalid.map((entry) => entry.offset));
    expect(invalidOffsets).toEqual(malformedOffsets);
    expect(malformedOffsets.length).toBeGreaterThan(50);
    const ignored = threaded.results.reduce((sum, r) => sum + r.counts.duplicate + r.counts.stale, 0);
    expect(ignored).toBeGreaterThan(0);
    expect(shared.utilization().completed - completedBefore).toBe(batches.length);
  });

  it('reduces batches concurrently on several threads with the same results', async () => {
    const { batches } = generatedBatches(200);

    const results = await Promise.all(batches.map((messages) => shared.reduce(taskOf(messages))));

    expect(results).toEqual(batches.map((messages) => reduceBatch(taskOf(messages))));
  });

  it('reads Buffers that are views into a larger pooled buffer, and leaves them intact', async () => {
    const events = Array.from({ length: 100 }, (_, i) => productEvent('product.created', `p-${i}`, 1));
    const encoded = events.map((event, i) => messageOf(event, i));
    // Lay every key and value into one big "pool", like a Kafka client decoding a fetch response.
    const pooled = Buffer.alloc(256 * 1024, 0x7b);
    let position = 1000;
    const views: RawMessage[] = encoded.map((message) => {
      const key = pooled.subarray(position, position + (message.key as Buffer).length);
      (message.key as Buffer).copy(key);
      position += key.length + 17;
      const value = pooled.subarray(position, position + (message.value as Buffer).length);
      (message.value as Buffer).copy(value);
      position += value.length + 31;
      return { ...message, key, value };
    });
    const snapshot = Buffer.from(pooled);

    const result = await shared.reduce(taskOf(views));

    expect(result).toEqual(reduceBatch(taskOf(encoded)));
    expect(result.counts.applied).toBe(100);
    expect(pooled.byteLength).toBe(256 * 1024);
    expect(pooled.equals(snapshot)).toBe(true);
    expect(views[99]?.value?.toString()).toBe(encoded[99]?.value?.toString());
  });

  it('sends only the prior states of the batch keys when given a whole group state', async () => {
    const groupState = new Map(Array.from({ length: 5000 }, (_, i) => [`p-${i}`, productState(`p-${i}`, 3)]));
    const messages = [
      messageOf(productEvent('product.updated', 'p-10', 3), 1),
      messageOf(productEvent('product.updated', 'p-11', 4), 2),
    ];

    const result = await shared.reduce(taskOf(messages, groupState));

    expect(result.counts).toMatchObject({ duplicate: 1, applied: 1 });
    expect(result.states).toEqual([expect.objectContaining({ productId: 'p-11', version: 4 })]);
  });

  describe('crashes', () => {
    it('rejects the batch of a thread that calls process.exit with a retryable WORKER_CRASHED, then carries on', async () => {
      const pool = newPool({ threads: 1, inlineBelow: 0 });
      await pool.reduce(smallTask()); // a warm thread, to show it is replaced
      pool[injectFault]('exit');

      const error = await pool.reduce(smallTask()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(WorkerPoolError);
      expect(error).toMatchObject({ code: 'WORKER_CRASHED', retryable: true });
      expect(await pool.reduce(smallTask())).toEqual(reduceBatch(smallTask()));
    });

    it('rejects the batch of a thread that dies of an uncaught exception, then carries on', async () => {
      const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
      const pool = newPool({ threads: 1, inlineBelow: 0, logger });
      pool[injectFault]('throw');

      const error = await pool.reduce(smallTask()).catch((e: unknown) => e);

      expect(error).toMatchObject({ code: 'WORKER_CRASHED', retryable: true });
      expect((error as Error).message).toContain('fault injected');
      expect(logger.warn).toHaveBeenCalledWith(
        'reducer thread crashed',
        expect.objectContaining({ batch: expect.any(String) }),
      );
      expect(await pool.reduce(smallTask())).toEqual(reduceBatch(smallTask()));
    });

    it('rejects the waiting batch with WORKER_CRASHED when a thread fails while loading the worker module', async () => {
      const pool = newPool({
        threads: 1,
        inlineBelow: 0,
        [workerFileOverride]: new URL('../test/worker-throws-on-load.mjs', import.meta.url),
      } as ReducerPoolOptions);

      const first = await pool.reduce(smallTask()).catch((e: unknown) => e);
      const second = await pool.reduce(smallTask()).catch((e: unknown) => e);

      expect(first).toMatchObject({ code: 'WORKER_CRASHED', retryable: true });
      expect((first as Error).message).toContain('worker module failed to load');
      expect(second).toMatchObject({ code: 'WORKER_CRASHED' });
    });

    it('keeps the other batches of a crash going', async () => {
      const pool = newPool({ threads: 2, inlineBelow: 0 });
      pool[injectFault]('exit');

      const outcomes = await Promise.allSettled([
        pool.reduce(smallTask()),
        pool.reduce(smallTask()),
        pool.reduce(smallTask()),
      ]);

      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    });
  });

  it('reports an error thrown while reducing in a thread as TASK_FAILED with the worker error as data', async () => {
    shared[injectFault]('fail');

    const error = (await shared.reduce(smallTask()).catch((e: unknown) => e)) as WorkerPoolError;

    expect(error.code).toBe('TASK_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.workerError).toMatchObject({
      code: 'TASK_FAILED',
      message: 'fault injected: reducing failed',
    });
  });

  it('reports a batch that cannot be sent to a thread as TASK_FAILED', async () => {
    const unclonable = productState('p-1', 1, { category: (() => 'x') as unknown as string });

    const error = (await shared
      .reduce(
        taskOf([messageOf(productEvent('product.updated', 'p-1', 2), 1)], new Map([['p-1', unclonable]])),
      )
      .catch((e: unknown) => e)) as WorkerPoolError;

    expect(error.code).toBe('TASK_FAILED');
    expect(error.message).toContain('cannot send product.updated[0]');
  });

  it('reports a batch too large to encode as TASK_FAILED', async () => {
    const huge = { byteLength: 2 ** 31 } as Uint8Array;

    const error = (await shared
      .reduce(taskOf([{ key: null, value: huge, offset: '1' }]))
      .catch((e: unknown) => e)) as WorkerPoolError;

    expect(error.code).toBe('TASK_FAILED');
    expect(error.message).toContain('cannot encode batch');
  });

  it('rejects with QUEUE_FULL when more batches wait than maxQueue allows', async () => {
    const pool = newPool({ threads: 1, inlineBelow: 0, maxQueue: 1 });

    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => pool.reduce(smallTask())));

    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const { reason } of rejected) expect(reason).toMatchObject({ code: 'QUEUE_FULL', retryable: true });
    expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBeGreaterThan(0);
  });

  describe('inline reduction', () => {
    it('reduces on the calling thread and starts no thread with inline: true', async () => {
      const pool = newPool({ inline: true });

      const result = await pool.reduce(taskOf(generatedBatches(500).batches[0] ?? []));

      expect(result.counts.applied).toBeGreaterThan(0);
      expect(pool.utilization()).toEqual({ threads: 0, busy: 0, queued: 0, completed: 1 });
    });

    it('reduces batches smaller than inlineBelow without a thread', async () => {
      const pool = newPool({ threads: 2, inlineBelow: 5 });

      await pool.reduce(smallTask());

      expect(pool.utilization()).toEqual({ threads: 0, busy: 0, queued: 0, completed: 1 });
    });

    it('rejects with TASK_FAILED when inline reduction throws', async () => {
      const pool = newPool({ inline: true });
      const failingStates = {
        get: () => {
          throw new Error('state store unavailable');
        },
        size: 1,
      } as unknown as ReadonlyMap<string, ProductState>;

      const error = (await pool
        .reduce(taskOf(smallTask().messages as RawMessage[], failingStates))
        .catch((e: unknown) => e)) as WorkerPoolError;

      expect(error.code).toBe('TASK_FAILED');
      expect((error.cause as Error).message).toBe('state store unavailable');
    });
  });

  it('reuses an idle thread for the next batch and lets it exit after idleTimeoutMs', async () => {
    const pool = newPool({ threads: 2, inlineBelow: 0, idleTimeoutMs: 200 });

    for (let i = 0; i < 5; i += 1) await pool.reduce(smallTask());
    const afterSequentialBatches = pool.utilization().threads;

    expect(afterSequentialBatches).toBe(1);
    await vi.waitFor(() => expect(pool.utilization().threads).toBe(0), { timeout: 10_000, interval: 50 });
  });

  it('reports busy and queued batches while they run', async () => {
    const pool = newPool({ threads: 1, inlineBelow: 0, idleTimeoutMs: 1000 });

    const running = [pool.reduce(smallTask()), pool.reduce(smallTask()), pool.reduce(smallTask())];
    const during = pool.utilization();
    await Promise.all(running);

    expect(during).toEqual({ threads: 1, busy: 1, queued: 2, completed: 0 });
    expect(pool.utilization()).toEqual({ threads: 1, busy: 0, queued: 0, completed: 3 });
  });

  describe('destroy', () => {
    it('rejects later batches with POOL_DESTROYED, and is idempotent', async () => {
      const pool = newPool({ threads: 1 });
      await pool.destroy();
      await pool.destroy();

      await expect(pool.reduce(smallTask())).rejects.toMatchObject({
        code: 'POOL_DESTROYED',
        retryable: false,
      });
    });

    it('rejects batches in flight with POOL_DESTROYED', async () => {
      const pool = newPool({ threads: 1, inlineBelow: 0 });

      const inFlight = [pool.reduce(smallTask()), pool.reduce(smallTask())].map((p) =>
        p.catch((e: unknown) => e),
      );
      await pool.destroy();

      for (const error of await Promise.all(inFlight))
        expect(error).toMatchObject({ code: 'POOL_DESTROYED' });
    });

    it('destroys an inline pool too', async () => {
      const pool = newPool({ inline: true });
      await pool.destroy();

      await expect(pool.reduce(smallTask())).rejects.toMatchObject({ code: 'POOL_DESTROYED' });
    });
  });

  describe('maxEventBytes', () => {
    const big = () => messageOf(productEvent('product.created', 'p-big', 1), 7);
    const limit = (message: RawMessage) => (message.value as Uint8Array).byteLength - 1;

    it.each([
      ['on a thread', { inlineBelow: 0 }],
      ['inline', { inline: true }],
    ])('dead-letters values over the pool limit as PAYLOAD_TOO_LARGE %s', async (_, options) => {
      const message = big();
      const pool = newPool({ ...options, threads: 1, maxEventBytes: limit(message) });

      const result = await pool.reduce(taskOf([message]));

      expect(result.invalid).toEqual([expect.objectContaining({ offset: '7', code: 'PAYLOAD_TOO_LARGE' })]);
      expect(result.states).toEqual([]);
    });

    it('lets a batch set its own limit over the pool limit', async () => {
      const message = big();
      const pool = newPool({ inlineBelow: 0, threads: 1, maxEventBytes: limit(message) });

      const result = await pool.reduce({ ...taskOf([message]), maxEventBytes: limit(message) + 1 });

      expect(result.invalid).toEqual([]);
      expect(result.states.map((s) => s.productId)).toEqual(['p-big']);
    });
  });

  describe('options', () => {
    it.each([
      [{ threads: 0 }, 'threads'],
      [{ threads: 1.5 }, 'threads'],
      [{ idleTimeoutMs: -1 }, 'idleTimeoutMs'],
      [{ inlineBelow: Number.NaN }, 'inlineBelow'],
      [{ maxQueue: -2 }, 'maxQueue'],
      [{ inline: 'yes' as unknown as boolean }, 'inline'],
      [{ maxEventBytes: 0 }, 'maxEventBytes'],
      [{ maxEventBytes: 2.5 }, 'maxEventBytes'],
    ])('rejects %o naming %s', (options, option) => {
      expect(() => new ReducerPool(options)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS', field: option }),
      );
    });

    it('defaults to one thread per CPU but one, and at least one', () => {
      expect(defaultThreadCount()).toBeGreaterThanOrEqual(1);
    });
  });
});
