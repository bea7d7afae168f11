import {
  decodeProductState,
  encodeProductState,
  PRODUCT_STATE_FORMAT,
} from '@marketplace/analytics-aggregator';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { registerKafkaCodecs } from './codecs.js';
import type { RestoreError } from './errors.js';
import { type GroupStates, groupStatesSink, readChangelogPartitions } from './readChangelogPartitions.js';
import { packStates } from './restoredStatesTransfer.js';

/** What one restore thread reads: structured-clonable data only. */
export interface RestoreTask {
  /** kafkajs client config of the thread's own client (no functions). */
  readonly kafkaConfig: KafkaConfig;
  readonly topic: string;
  /** [partition, high watermark as a decimal string]. */
  readonly targets: ReadonlyArray<readonly [number, string]>;
  /** [partition, first offset to read (its low watermark) as a decimal string]. */
  readonly from: ReadonlyArray<readonly [number, string]>;
  readonly timeoutMs: number;
  /** `maxDecompressedBytes` of the codecs registered on the main thread. */
  readonly maxDecompressedBytes: number;
}

/** One group as a restore thread hands it back. */
export interface RestoreTaskGroup {
  readonly group: number;
  /** Changelog records read (epoch markers excluded). */
  readonly records: number;
  /** The group's epoch marker, 0 when none. */
  readonly epoch: number;
  /** The latest value per product, packed by `packStates` (transferred). */
  readonly states: ArrayBuffer;
}

/** A failure as plain data (an Error would lose its class crossing the thread boundary). */
export interface RestoreTaskFailure {
  readonly groups: readonly number[];
  readonly message: string;
  readonly retryable: boolean;
  readonly cause?: { readonly name: string; readonly message: string; readonly code?: unknown };
}

/** What a restore thread posts back: its groups, or its failure; warnings to log either way. */
export type RestoreTaskResult =
  | { readonly ok: true; readonly groups: readonly RestoreTaskGroup[]; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly failure: RestoreTaskFailure; readonly warnings: readonly string[] };

/**
 * The work of one restore thread (`restoreWorker.ts` runs it; tests call it directly): reads its
 * changelog partitions to their targets with its own kafkajs client, validates every product
 * state (`decodeProductState`), keeps the latest value per product (a JSON value re-encoded in
 * the binary format) and packs each group's values into one transferable buffer. Never throws.
 */
export async function runRestoreTask(task: RestoreTask): Promise<RestoreTaskResult> {
  const warnings: string[] = [];
  registerKafkaCodecs({ maxDecompressedBytes: task.maxDecompressedBytes });
  const kafka = new Kafka({ logLevel: logLevel.NOTHING, ...task.kafkaConfig });
  const groups = new Map<number, GroupStates<Buffer>>(
    task.targets.map(([group]) => [group, { records: 0, epoch: 0, states: new Map() }]),
  );
  try {
    await readChangelogPartitions(
      {
        kafka,
        topic: task.topic,
        targets: new Map(task.targets.map(([group, high]) => [group, BigInt(high)])),
        from: new Map(task.from.map(([group, low]) => [group, BigInt(low)])),
        timeoutMs: task.timeoutMs,
        logger: {
          debug() {},
          info() {},
          warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
          error() {},
        },
      },
      // Validates every value (an invalid one stops the restore); binary values are kept as they
      // are (copied out of the fetch response), JSON ones re-encoded.
      groupStatesSink(groups, (value) => {
        const state = decodeProductState(value);
        return value[0] === PRODUCT_STATE_FORMAT ? Buffer.from(value) : encodeProductState(state);
      }),
    );
    return {
      ok: true,
      warnings,
      groups: [...groups].map(([group, r]) => ({
        group,
        records: r.records,
        epoch: r.epoch,
        states: packStates(r.states),
      })),
    };
  } catch (error) {
    // readChangelogPartitions throws only RestoreErrors (a lost connection is a retryable one).
    const e = error as RestoreError;
    const cause = e.cause instanceof Error ? (e.cause as Error & { code?: unknown }) : undefined;
    return {
      ok: false,
      warnings,
      failure: {
        groups: e.groups,
        // The main thread wraps it in a RestoreError again: keep only the reason.
        message: String(e.message).replace(/^Restoring group\(s\) [\d, ]* failed: /, ''),
        retryable: e.retryable,
        ...(cause === undefined
          ? {}
          : {
              cause: { name: cause.name, message: cause.message, code: cause.code },
            }),
      },
    };
  }
}
