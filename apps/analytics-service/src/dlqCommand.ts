import { isUtf8 } from 'node:buffer';
import {
  type DeadLetter,
  DeadLetterStats,
  type DeadLetterSummary,
  type RedriveProgress,
  type RedriveResult,
  redriveDeadLetters,
  scanDeadLetters,
} from '@marketplace/kafka-processor';
import type { Kafka } from 'kafkajs';
import type { ServiceConfig } from './config.js';
import type { DlqCommand } from './dlqArgs.js';
import { libraryLogger } from './logger.js';

/** Where the command writes: results on `out`, progress and errors on `err`. */
export interface DlqOutput {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

/** What `runDlqCommand` needs besides the command. */
export interface DlqDeps extends DlqOutput {
  config: ServiceConfig;
  kafka: Kafka;
  /** The pino logger of the command (libraries log through it). */
  logger: Parameters<typeof libraryLogger>[0];
  /** Clock of the progress throttle (ms). @default performance.now */
  now?: () => number;
}

/** A dead letter as `dlq show --json` prints it (one JSON object per line). */
export interface DeadLetterJson {
  partition: number;
  offset: string;
  /** When it was dead-lettered (ISO-8601 UTC). */
  time: string | null;
  code: string;
  message: string;
  path: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  redriveCount: number;
  key: string | null;
  /** The value as UTF-8 text, or base64 when it is not valid UTF-8 (`valueEncoding`). */
  value: string | null;
  valueEncoding: 'utf8' | 'base64';
  valueBytes: number;
  headers: Record<string, string>;
}

function text(bytes: Buffer | null): { value: string | null; encoding: 'utf8' | 'base64' } {
  if (bytes === null) return { value: null, encoding: 'utf8' };
  return isUtf8(bytes)
    ? { value: bytes.toString('utf8'), encoding: 'utf8' }
    : { value: bytes.toString('base64'), encoding: 'base64' };
}

/** The JSON form of a dead letter (`dlq show --json`). */
export function deadLetterJson(dl: DeadLetter): DeadLetterJson {
  const value = text(dl.value);
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(dl.headers)) {
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first !== undefined) headers[name] = first.toString();
  }
  return {
    partition: dl.partition,
    offset: dl.offset,
    time: Number.isFinite(dl.timestamp) && dl.timestamp >= 0 ? new Date(dl.timestamp).toISOString() : null,
    code: dl.code,
    message: dl.message,
    path: dl.path,
    sourceTopic: dl.sourceTopic,
    sourcePartition: dl.sourcePartition,
    sourceOffset: dl.sourceOffset,
    redriveCount: dl.redriveCount,
    key: text(dl.key).value,
    value: value.value,
    valueEncoding: value.encoding,
    valueBytes: dl.value?.length ?? 0,
    headers,
  };
}

const PREVIEW = 200;

/** The human-readable form of a dead letter (`dlq show`): three lines. */
export function formatDeadLetter(dl: DeadLetter): string {
  const json = deadLetterJson(dl);
  const value =
    json.value === null
      ? '(null)'
      : json.valueEncoding === 'base64'
        ? `(not UTF-8, ${json.valueBytes} bytes)`
        : json.value.length > PREVIEW
          ? `${json.value.slice(0, PREVIEW)}... (${json.valueBytes} bytes)`
          : json.value;
  return (
    `#${json.partition}@${json.offset} ${json.time ?? '-'} ${json.code} from ${json.sourceTopic || '?'} ` +
    `${json.sourcePartition}@${json.sourceOffset || '?'} (redriven ${json.redriveCount}x)\n` +
    `  ${json.message}${json.path === '' ? '' : ` at ${json.path}`}; key ${JSON.stringify(json.key)}\n` +
    `  ${value}\n`
  );
}

function table(title: string, counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return `${title}: none\n`;
  const width = Math.max(...entries.map(([key]) => (key === '' ? 3 : key.length)));
  return `${title}:\n${entries.map(([key, n]) => `  ${(key === '' ? '(?)' : key).padEnd(width)}  ${n}\n`).join('')}`;
}

/** The human-readable form of `dlq stats`. */
export function formatStats(topic: string, summary: DeadLetterSummary): string {
  return (
    `Dead letters in ${topic}: ${summary.total}\n` +
    table('By error code', summary.byCode) +
    table('By source topic', summary.byTopic) +
    table('By hour (UTC)', summary.byHour) +
    table('By redrive count', summary.byRedriveCount)
  );
}

/** The human-readable result of `dlq redrive`. */
export function formatRedrive(result: RedriveResult): string {
  const verb = result.dryRun ? 'would redrive' : 'redriven';
  const topics = Object.entries(result.byTopic)
    .map(([topic, n]) => `${topic} ${n}`)
    .join(', ');
  return (
    `${result.dryRun ? 'Dry run: nothing sent. ' : ''}Read ${result.scanned} dead letters (${result.matched} matching): ` +
    `${verb} ${result.redriven}${topics === '' ? '' : ` (${topics})`}, refused ${result.refused} (at the redrive limit), ` +
    `skipped ${result.unknownSource} (source topic not an input topic). Group ${result.groupId}.\n`
  );
}

/** One progress line on stderr at most every `intervalMs`, and always the last one. */
export function progressPrinter(
  err: DlqOutput['err'],
  name: string,
  now: () => number,
  intervalMs = 1000,
): { update(progress: RedriveProgress): void; done(): void } {
  let last = Number.NEGATIVE_INFINITY;
  let pending: RedriveProgress | undefined;
  const print = (p: RedriveProgress): void => {
    // `total` counts offsets, transaction markers included: an upper bound of the records.
    err.write(
      `redrive ${name}: read ${p.scanned} of at most ${p.total}, sent ${p.redriven}, refused ${p.refused}\n`,
    );
    pending = undefined;
  };
  return {
    update(progress) {
      pending = progress;
      if (now() - last >= intervalMs) {
        last = now();
        print(progress);
      }
    },
    done() {
      if (pending !== undefined) print(pending);
    },
  };
}

/**
 * `dlq stats | show | redrive`: reads (and for `redrive`, sends back) the dead letters of
 * `config.internalTopics.deadLetter`. Returns the exit code (0 done, 1 failed).
 */
export async function runDlqCommand(command: DlqCommand, deps: DlqDeps): Promise<number> {
  const { config, kafka, out, err } = deps;
  const topic = config.internalTopics.deadLetter;
  const logger = libraryLogger(deps.logger, 'dlq');
  try {
    if (command.action === 'stats') {
      const stats = new DeadLetterStats();
      const read = await scanDeadLetters({
        kafka,
        topic,
        groupIdPrefix: config.applicationId,
        filter: command.filter,
        onDeadLetter: (dl) => stats.add(dl),
      });
      const summary = stats.summary();
      out.write(
        command.json
          ? `${JSON.stringify({ topic, scanned: read.scanned, ...summary })}\n`
          : formatStats(topic, summary),
      );
      return 0;
    }
    if (command.action === 'show') {
      const read = await scanDeadLetters({
        kafka,
        topic,
        groupIdPrefix: config.applicationId,
        filter: command.filter,
        limit: command.limit,
        onDeadLetter: (dl) =>
          out.write(command.json ? `${JSON.stringify(deadLetterJson(dl))}\n` : formatDeadLetter(dl)),
      });
      if (!command.json)
        out.write(`${read.matched} shown (limit ${command.limit}), ${read.scanned} read from ${topic}\n`);
      return 0;
    }
    const progress = progressPrinter(err, command.name, deps.now ?? (() => performance.now()));
    const result = await redriveDeadLetters({
      kafka,
      topic,
      name: command.name,
      groupIdPrefix: config.applicationId,
      sourceTopics: [config.topics.created, config.topics.updated, config.topics.deleted],
      filter: command.filter,
      maxRedrives: command.maxRedrives,
      dryRun: command.dryRun,
      onProgress: (p) => progress.update(p),
      logger,
    });
    progress.done();
    out.write(command.json ? `${JSON.stringify(result)}\n` : formatRedrive(result));
    return 0;
  } catch (error) {
    err.write(
      `analytics-service: dlq ${command.action} failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}
