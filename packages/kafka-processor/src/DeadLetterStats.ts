import type { DeadLetter } from './decodeDeadLetter.js';

/** Counts of dead letters, as {@link DeadLetterStats.summary} returns them (keys sorted). */
export interface DeadLetterSummary {
  /** Dead letters counted. */
  total: number;
  /** By `dlq-error-code`. */
  byCode: Record<string, number>;
  /** By source topic (`''` when the header is missing). */
  byTopic: Record<string, number>;
  /** By the UTC hour the dead letter was written, as `YYYY-MM-DDTHH` (`unknown` without a timestamp). */
  byHour: Record<string, number>;
  /** By redrive count (`'0'` = never redriven). */
  byRedriveCount: Record<string, number>;
}

function sorted(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * Counts dead letters by error code, source topic, hour and redrive count.
 * @example
 * const stats = new DeadLetterStats();
 * await scanDeadLetters({ kafka, topic, onDeadLetter: (dl) => stats.add(dl) });
 * console.log(stats.summary().byCode);
 */
export class DeadLetterStats {
  #total = 0;
  readonly #byCode = new Map<string, number>();
  readonly #byTopic = new Map<string, number>();
  readonly #byHour = new Map<string, number>();
  readonly #byRedriveCount = new Map<string, number>();

  /** Counts one dead letter. */
  add(deadLetter: DeadLetter): void {
    this.#total += 1;
    bump(this.#byCode, deadLetter.code);
    bump(this.#byTopic, deadLetter.sourceTopic);
    const hour =
      Number.isFinite(deadLetter.timestamp) && deadLetter.timestamp >= 0
        ? new Date(deadLetter.timestamp).toISOString().slice(0, 13)
        : 'unknown';
    bump(this.#byHour, hour);
    bump(this.#byRedriveCount, String(deadLetter.redriveCount));
  }

  /** The counts so far. */
  summary(): DeadLetterSummary {
    return {
      total: this.#total,
      byCode: sorted(this.#byCode),
      byTopic: sorted(this.#byTopic),
      byHour: sorted(this.#byHour),
      byRedriveCount: sorted(this.#byRedriveCount),
    };
  }
}
