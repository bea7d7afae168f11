import { performance } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from '@marketplace/options';
import { ReducerPool } from '@marketplace/worker-pool';
import { Kafka, type KafkaConfig, type LogEntry, logLevel } from 'kafkajs';
import { AggregateProcessor } from './AggregateProcessor.js';
import type { AggregateProcessorOptions } from './aggregateProcessorOptions.js';
import { type KafkaCodecOptions, registerKafkaCodecs } from './codecs.js';
import { installInputRecordsDecoder } from './inputRecords.js';
import { installOutputBatchEncoder } from './outputRecords.js';
import type { ProcessorMetricsHooks } from './types.js';

/**
 * The options of the `AggregateProcessor` inside each stream thread: everything but what cannot
 * cross a thread boundary (the Kafka client, the pool, the logger, the hooks and `onFatal`, which
 * `AggregateStreamThreads` takes itself).
 */
export type StreamThreadProcessorOptions = Omit<
  AggregateProcessorOptions,
  'kafka' | 'pool' | 'logger' | 'metrics' | 'onFatal'
>;

/** What a stream thread is started with (`workerData`); structured-cloneable. */
export interface StreamThreadData {
  /** Index of the thread, 0-based (names it in logs: `thread`). */
  readonly index: number;
  /** kafkajs client configuration without functions (no `logCreator`, `socketFactory`, ...). */
  readonly kafka: KafkaConfig;
  readonly processor: StreamThreadProcessorOptions;
  /** Whether the parent has hooks (otherwise no metric message is posted). */
  readonly metrics: boolean;
  /** `registerKafkaCodecs` options of the thread's kafkajs (each thread has its own codec table). */
  readonly codecs: KafkaCodecOptions;
  /** `maxEventBytes` of the thread's inline `ReducerPool`, when set. */
  readonly maxEventBytes: number | undefined;
  /** How often the thread reports `ready` and its groups when they changed, in ms. */
  readonly statePollMs: number;
}

/** An error as it crosses the thread boundary: what the logs and hooks read of it. */
export interface ClonedError {
  readonly type: string;
  readonly message: string;
  readonly code?: string;
  readonly retryable?: boolean;
  readonly stack?: string;
  readonly cause?: unknown;
}

/** Messages a stream thread posts to its parent. */
export type StreamThreadMessage =
  | { readonly type: 'started' }
  | { readonly type: 'start-failed'; readonly error: ClonedError }
  | {
      readonly type: 'log';
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly message: string;
      readonly fields: Record<string, unknown>;
    }
  | { readonly type: 'metric'; readonly hook: keyof ProcessorMetricsHooks; readonly info: unknown }
  | {
      readonly type: 'state';
      readonly ready: boolean;
      readonly groups: number[];
      readonly groupCount: number;
    }
  | {
      readonly type: 'stats';
      /** Share of the last interval the thread's event loop was busy (0..1). */
      readonly utilization: number;
      /** The thread's V8 heap in use. */
      readonly heapUsedBytes: number;
    }
  | { readonly type: 'fatal'; readonly error: ClonedError }
  | { readonly type: 'stopped' };

/**
 * Messages the parent posts to a stream thread. `fault` is test-only fault injection
 * (`AggregateStreamThreads[injectThreadFault]`): `exit` ends the thread at once (as a crash
 * would), `ignore-stop` makes it ignore the next `stop` (as a hung thread would).
 */
export type StreamThreadCommand =
  | { readonly type: 'stop' }
  | { readonly type: 'fault'; readonly fault: 'exit' | 'ignore-stop' };

/** The hooks of {@link ProcessorMetricsHooks} a stream thread forwards. */
export const FORWARDED_HOOKS = [
  'onBatch',
  'onSkippedBatch',
  'onBatchFailed',
  'onTransactionRetry',
  'onRestore',
  'onFenced',
  'onRerouted',
  'onAssignment',
] as const satisfies readonly (keyof ProcessorMetricsHooks)[];

/**
 * A value made structured-cloneable for `postMessage`: errors become {@link ClonedError} (the
 * clone of an `Error` loses `code` and every other own property), functions and symbols are
 * dropped, plain objects and arrays are walked (to depth 8).
 */
export function toCloneable(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const { code, retryable, type } = value as Error & {
      code?: unknown;
      retryable?: unknown;
      type?: unknown;
    };
    return {
      type: typeof type === 'string' ? type : value.name,
      message: value.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof retryable === 'boolean' ? { retryable } : {}),
      ...(value.stack === undefined ? {} : { stack: value.stack }),
      ...(value.cause === undefined || depth >= 8 ? {} : { cause: toCloneable(value.cause, depth + 1) }),
    } satisfies ClonedError;
  }
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 8) return String(value);
  if (Array.isArray(value)) return value.map((item) => toCloneable(item, depth + 1));
  if (value instanceof Map || value instanceof Set || value instanceof Date || ArrayBuffer.isView(value))
    return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const cloned = toCloneable(item, depth + 1);
    if (cloned !== undefined) out[key] = cloned;
  }
  return out;
}

/**
 * Posts `message`; one that the structured clone refuses (a value `toCloneable` let through, such
 * as a `Map` holding a function) goes as its JSON form instead (bigints as strings): the message
 * is kept, the field that could not be cloned is not.
 */
export function postMessageSafely(
  port: Pick<MessagePort, 'postMessage'>,
  message: StreamThreadMessage,
): void {
  try {
    port.postMessage(message);
  } catch {
    port.postMessage(
      JSON.parse(JSON.stringify(message, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))),
    );
  }
}

const KAFKAJS_LEVELS: Record<number, 'debug' | 'info' | 'warn' | 'error'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * The level of a kafkajs log line: `Connection` lines go to debug (they report every error
 * response that kafkajs then retries itself, e.g. a coordinator still loading), and so do errors
 * logged from inside kafkajs's retry loop (they carry `retryCount`) to info. What still fails after
 * kafkajs's retries reaches the processor, which logs it.
 */
export function kafkajsLevel(
  namespace: string,
  level: number,
  fields: Record<string, unknown>,
): 'debug' | 'info' | 'warn' | 'error' {
  if (namespace === 'Connection') return 'debug';
  if (typeof fields.retryCount === 'number' && level <= logLevel.WARN) return 'info';
  return KAFKAJS_LEVELS[level] ?? 'info';
}

/**
 * The body of a stream thread: one `AggregateProcessor` with its own kafkajs client (a member of
 * the consumer group), its groups' producers and states, reducing on this thread. Logs (kafkajs' with `client: 'kafkajs'`), hooks,
 * state changes and a fatal failure are posted to `port`; `{ type: 'stop' }` stops it and posts
 * `stopped`. Runs in a worker thread (`streamThreadEntry.ts`); tests run it on a
 * `MessageChannel`.
 */
export async function runStreamThread(port: MessagePort, data: StreamThreadData): Promise<void> {
  const post = (message: StreamThreadMessage): void => postMessageSafely(port, message);
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void =>
      post({
        type: 'log',
        level,
        message,
        fields: { thread: data.index, ...((toCloneable(fields ?? {}) as Record<string, unknown>) ?? {}) },
      });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  registerKafkaCodecs(data.codecs);
  // This thread's kafkajs decodes fetched records and encodes produced batches with stage 1's own
  // codec (inputRecords.ts, outputRecords.ts): kafkajs' own objects and bytes at a fraction of
  // its CPU (docs/architecture.md, D22 and D24).
  // Each is false when the loaded kafkajs lacks the patch's hook (kafkajs' own codec then).
  logger.debug("stage 1's record codec in this thread's kafkajs", {
    recordsDecoder: installInputRecordsDecoder(),
    batchEncoder: installOutputBatchEncoder(),
  });
  const kafka = new Kafka({
    ...data.kafka,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
        logger[kafkajsLevel(namespace, level, fields)](String(message), {
          client: 'kafkajs',
          namespace,
          ...fields,
        });
      },
  });
  const metrics: ProcessorMetricsHooks = {};
  if (data.metrics) {
    for (const hook of FORWARDED_HOOKS) {
      metrics[hook] = ((info: unknown) => post({ type: 'metric', hook, info: toCloneable(info) })) as never;
    }
  }
  const pool = new ReducerPool({
    inline: true,
    ...(data.maxEventBytes === undefined ? {} : { maxEventBytes: data.maxEventBytes }),
  });
  const processor = new AggregateProcessor({
    ...data.processor,
    kafka,
    pool,
    logger,
    metrics,
    onFatal: (error) => post({ type: 'fatal', error: toCloneable(error) as ClonedError }),
  });
  let last = '';
  const reportState = (): void => {
    const state = {
      ready: processor.ready,
      groups: processor.assignedGroups,
      groupCount: processor.groupCount,
    };
    const key = JSON.stringify(state);
    if (key === last) return;
    last = key;
    post({ type: 'state', ...state });
  };
  // Every tenth poll, how busy the thread was since the last report and its heap: what an
  // operator watches instead of the worker pool's utilisation (the thread reduces inline).
  let polls = 0;
  let elu = performance.eventLoopUtilization();
  const reportStats = (): void => {
    const now = performance.eventLoopUtilization();
    post({
      type: 'stats',
      utilization: performance.eventLoopUtilization(now, elu).utilization,
      heapUsedBytes: process.memoryUsage().heapUsed,
    });
    elu = now;
  };
  const timer = setInterval(() => {
    reportState();
    polls += 1;
    if (polls % 10 === 0) reportStats();
  }, data.statePollMs);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(timer);
      await processor.stop().catch((error: unknown) => logger.warn('stream thread: stop failed', { error }));
      await pool.destroy();
      post({ type: 'stopped' });
      port.close();
    })();
    return stopping;
  };
  let ignoreStop = false;
  port.on('message', (command: StreamThreadCommand) => {
    if (command.type === 'fault') {
      if (command.fault === 'exit') process.exit(3);
      ignoreStop = true;
      return;
    }
    if (ignoreStop) {
      ignoreStop = false;
      return;
    }
    void stop();
  });
  try {
    await processor.start();
  } catch (error) {
    post({ type: 'start-failed', error: toCloneable(error) as ClonedError });
    await stop();
    return;
  }
  reportState();
  post({ type: 'started' });
}
