import type { PipelineStats } from './Telemetry.js';

/** One progress sample: the pipeline counters plus the current consumer lag. */
export interface ProgressSample {
  stats: Readonly<PipelineStats>;
  /** Total lag of both consumer groups; `undefined` while unknown. */
  lag: number | undefined;
  /** Demo: events the generator will produce in total. */
  target: number;
  /** Milliseconds since the stream started. */
  elapsedMs: number;
}

const number = new Intl.NumberFormat('en-US');

function count(value: number): string {
  return number.format(value);
}

/** Formats a duration as `12.3s` or `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/**
 * The one-line progress text, e.g.
 * `produced 12,000/30,000 (40%) | processed 11,500 | dead-lettered 120 | lag 500 | rows 3,210 | objects 48 | 4.1s`.
 */
export function formatProgress(sample: ProgressSample): string {
  const { stats, lag, target } = sample;
  const percent = target > 0 ? Math.floor((stats.produced / target) * 100) : 100;
  return [
    `produced ${count(stats.produced)}/${count(target)} (${percent}%)`,
    `processed ${count(stats.processed)}`,
    `dead-lettered ${count(stats.deadLettered)}`,
    `lag ${lag === undefined ? '?' : count(lag)}`,
    `rows ${count(stats.rowsWritten)}`,
    `objects ${count(stats.objectsArchived)}`,
    formatDuration(sample.elapsedMs),
  ].join(' | ');
}

/** Where progress goes: a stream and whether it is a terminal. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * Shows progress: on a terminal one line rewritten in place (`\r`, cleared to the end), at most
 * every `ttyIntervalMs`; otherwise a plain line every `plainIntervalMs`, so logs in CI stay short.
 */
export class ProgressReporter {
  private lastPlain = Number.NEGATIVE_INFINITY;
  private lineOpen = false;

  constructor(
    private readonly output: ProgressOutput,
    private readonly options: { plainIntervalMs?: number } = {},
  ) {}

  /** Shows `sample` (on a non-terminal only when the plain interval has passed or `force`). */
  update(sample: ProgressSample, force = false): void {
    const line = formatProgress(sample);
    if (this.output.isTTY === true) {
      this.output.write(`\r${line}\x1b[K`);
      this.lineOpen = true;
      return;
    }
    const interval = this.options.plainIntervalMs ?? 5000;
    if (force || sample.elapsedMs - this.lastPlain >= interval) {
      this.lastPlain = sample.elapsedMs;
      this.output.write(`${line}\n`);
    }
  }

  /**
   * Erases the in-place line (terminal only) so that a log line written now (to stderr, same
   * terminal) starts at column 0; the next `update` draws the progress again below it.
   */
  clear(): void {
    if (!this.lineOpen) return;
    this.output.write('\r\x1b[K');
    this.lineOpen = false;
  }

  /** Ends the in-place line (if any) so that what follows starts on a new line. */
  finish(): void {
    if (this.lineOpen) this.output.write('\n');
    this.lineOpen = false;
  }
}
