import { performance } from 'node:perf_hooks';
import type { MetricChangeRecord } from '@marketplace/analytics-aggregator';
import { KafkaProcessorOptionsError } from './errors.js';
import { check } from './validateOptions.js';

/**
 * A stage-2 destination: anything that stores a batch of metric changes and resolves when they
 * are stored (`DynamoDbMetricsSink`, `S3MetricsArchive`). Writes must be idempotent: a batch is
 * written again after a crash or a failure before its offsets were committed.
 */
export interface MetricChangeWriter {
  write(records: readonly MetricChangeRecord[]): Promise<unknown>;
}

/** One writer of {@link writeInOrder}, with the name its hooks report. */
export interface NamedWriter {
  /** Short name for hooks and logs, e.g. `dynamodb`. */
  name: string;
  writer: MetricChangeWriter;
}

/** Hooks of {@link writeInOrder}; each is optional and must not throw. */
export interface WriteInOrderHooks {
  /** A writer stored the batch. */
  onWritten?(info: { writer: string; records: number; result: unknown; durationMs: number }): void;
  /** A writer failed: the writers after it did not see the batch, which is handed back (redelivered). */
  onWriteFailed?(info: { writer: string; records: number; error: unknown }): void;
  /** The batch is done, written by every writer (`ok`) or not. */
  onBatch?(info: { records: number; durationMs: number; ok: boolean }): void;
}

/**
 * Stage 2's batch handler, for `MetricChangeConsumer`'s `handleBatch`: writes each batch to the
 * writers one after another, in the order given, and resolves when all have stored it; the
 * consumer commits the batch's offsets only then. The service passes DynamoDB first (current
 * values, what readers query), then the S3 archive. A failing writer stops the batch and its
 * error is rethrown, so the batch is redelivered and written again from the first writer.
 * @throws {KafkaProcessorOptionsError} `INVALID_OPTIONS` when `writers` is empty or a writer has no `write()`.
 * @example
 * const consumer = new MetricChangeConsumer({
 *   kafka,
 *   groupId: 'analytics-sink',
 *   handleBatch: writeInOrder([
 *     { name: 'dynamodb', writer: new DynamoDbMetricsSink({ client: dynamo }) },
 *     { name: 's3', writer: new S3MetricsArchive({ client: s3, bucket }) },
 *   ]),
 * });
 */
export function writeInOrder(
  writers: readonly NamedWriter[],
  hooks: WriteInOrderHooks = {},
): (records: MetricChangeRecord[]) => Promise<void> {
  if (!Array.isArray(writers) || writers.length === 0) {
    throw new KafkaProcessorOptionsError('writers', 'expected at least one writer');
  }
  for (const [i, { writer }] of writers.entries()) check.methods(writer, `writers[${i}].writer`, ['write']);
  const ordered = writers.map(({ name, writer }) => ({ name, writer }));
  return async (records) => {
    const started = performance.now();
    let ok = false;
    try {
      for (const { name, writer } of ordered) {
        const writeStarted = performance.now();
        let result: unknown;
        try {
          result = await writer.write(records);
        } catch (error) {
          hooks.onWriteFailed?.({ writer: name, records: records.length, error });
          throw error;
        }
        hooks.onWritten?.({
          writer: name,
          records: records.length,
          result,
          durationMs: performance.now() - writeStarted,
        });
      }
      ok = true;
    } finally {
      hooks.onBatch?.({ records: records.length, durationMs: performance.now() - started, ok });
    }
  };
}
