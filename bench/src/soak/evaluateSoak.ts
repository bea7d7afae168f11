/** One sample of a soak run (every few seconds). */
export interface SoakSample {
  /** Seconds since the run started. */
  t: number;
  /** Heap in use after the last major GC of the member that runs throughout (MiB; 0 before one). */
  heapAfterGcMb: number;
  /** Heap in use now (MiB). */
  heapUsedMb: number;
  /**
   * Heap in use of the member's stage-1 stream threads together (MiB; their product states live
   * there); absent or 0 when stage 1 runs on the main thread.
   */
  threadHeapMb?: number;
  /** Resident set size (MiB). */
  rssMb: number;
  /** Open file descriptors. */
  openFds: number;
  /** Event-loop delay p99 (ms). */
  eventLoopP99Ms: number;
  /** Input lag of the aggregate group (messages). */
  lag: number;
  /** Events processed per second since the previous sample (both members). */
  throughput: number;
  /** Events produced per second since the previous sample. */
  producedRate: number;
  /** Aggregate batch duration quantiles since the previous sample (ms; `null` when no batch). */
  batchP50Ms: number | null;
  batchP99Ms: number | null;
}

/** A log line at error level or above from one of the members. */
export interface SoakErrorLog {
  /** Seconds since the run started. */
  t: number;
  member: string;
  msg: string;
}

/** One pass criterion and its numbers. */
export interface SoakCriterion {
  name: string;
  pass: boolean;
  detail: string;
}

/** Inputs of {@link evaluateSoak}. */
export interface SoakRun {
  samples: readonly SoakSample[];
  /** Seconds since start when the member was restarted. */
  restartAt: number;
  errors: readonly SoakErrorLog[];
  /** Input rate (events/s): lag up to one second of input counts as near zero. */
  rate: number;
}

/** Seconds after the restart in which error logs count as part of it. */
export const RESTART_WINDOW_S = 60;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The soak's pass criteria: heap after GC grows less than 10% from minute 2 (median of minute 2 to
 * 3) to the end (median of the last minute); the input lag comes back to near zero (at most one
 * second of input) after the highest lag within {@link RESTART_WINDOW_S} s of the restart; the
 * median lag of the last minute is near zero too (the service keeps up at the end, a separate
 * criterion so that a slow end is not taken for a slow recovery);
 * no error-level log except within {@link RESTART_WINDOW_S} s after the restart. With stage 1 on
 * stream threads, their heap (the lowest sample of each window, since threads report heap in use)
 * grows less than 10% too.
 */
export function evaluateSoak(run: SoakRun): SoakCriterion[] {
  const { samples, restartAt, rate } = run;
  const end = samples.at(-1)?.t ?? 0;
  // Minute 2, or the second fifth of a short run.
  const from = Math.min(120, end / 5);
  const baselineWindow = samples.filter((s) => s.t >= from && s.t < from + Math.min(60, end / 5));
  const lastWindow = samples.filter((s) => s.t >= end - Math.min(60, end / 5));
  const heap = (s: SoakSample) => (s.heapAfterGcMb > 0 ? s.heapAfterGcMb : s.heapUsedMb);
  const baseline = median(baselineWindow.map(heap));
  const last = median(lastWindow.map(heap));
  const growth = last / baseline - 1;
  const nearZero = Math.max(50, rate);
  // Recovery counts from the highest lag the restart caused (the rebalance comes a little later).
  const after = samples.filter((s) => s.t > restartAt);
  const peak = after
    .filter((s) => s.t <= restartAt + RESTART_WINDOW_S)
    .reduce<SoakSample | undefined>((max, s) => (max === undefined || s.lag > max.lag ? s : max), undefined);
  const recoveredAt = after.find((s) => s.t >= (peak?.t ?? 0) && s.lag <= nearZero)?.t;
  const endLag = median(lastWindow.map((s) => s.lag));
  const unexpected = run.errors.filter((e) => e.t < restartAt || e.t > restartAt + RESTART_WINDOW_S);
  // The threads report heap in use, not after GC: the lowest value of a window is its floor.
  const threadHeap = (window: SoakSample[]) => Math.min(...window.map((s) => s.threadHeapMb ?? 0));
  const threaded = samples.some((s) => (s.threadHeapMb ?? 0) > 0);
  const threadGrowth = threadHeap(lastWindow) / threadHeap(baselineWindow) - 1;
  const threadCriteria: SoakCriterion[] = threaded
    ? [
        {
          name: 'stream-thread heap (lowest of a window) grows < 10% from minute 2 to the end',
          pass: Number.isFinite(threadGrowth) && threadGrowth < 0.1,
          detail: `${threadHeap(baselineWindow).toFixed(1)} MiB -> ${threadHeap(lastWindow).toFixed(1)} MiB (${(threadGrowth * 100).toFixed(1)}%)`,
        },
      ]
    : [];
  return [
    {
      name: 'heap after GC grows < 10% from minute 2 to the end',
      pass: Number.isFinite(growth) && growth < 0.1,
      detail: `${baseline.toFixed(1)} MiB -> ${last.toFixed(1)} MiB (${(growth * 100).toFixed(1)}%)`,
    },
    ...threadCriteria,
    {
      name: 'lag returns near zero after the restart',
      pass: recoveredAt !== undefined,
      detail:
        recoveredAt === undefined
          ? `never at or below ${nearZero} after the restart (peak ${peak?.lag ?? 0})`
          : `peak ${peak?.lag ?? 0}; at or below ${nearZero} ${(recoveredAt - restartAt).toFixed(0)} s after the restart`,
    },
    {
      name: 'lag near zero in the last minute (median)',
      pass: endLag <= nearZero,
      detail: `median ${endLag}, at most ${nearZero}`,
    },
    {
      name: 'no error-level logs except the expected restart',
      pass: unexpected.length === 0,
      detail: `${run.errors.length - unexpected.length} within ${RESTART_WINDOW_S} s of the restart, ${unexpected.length} elsewhere${
        unexpected[0]
          ? ` (first: ${unexpected[0].member} at ${unexpected[0].t.toFixed(0)} s: ${unexpected[0].msg})`
          : ''
      }`,
    },
  ];
}
