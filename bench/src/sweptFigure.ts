import type { Figure, ReferenceRun } from './report.js';

/** Options of {@link sweptFigure}. */
export interface SweptFigureOptions {
  id: string;
  name: string;
  /** Stage 1's rate (events/s), the figure's value. */
  oursRate: number;
  /** Every configuration the reference ran, in order. */
  runs: ReferenceRun[];
  /** The target: stage 1 at least this many times the best configuration. */
  minRatio: number;
  /** Names the reference after its best configuration. */
  referenceName: (best: ReferenceRun) => string;
  /** Short label of a configuration for the note (e.g. `p2/1000 ms`). */
  describe: (run: ReferenceRun) => string;
  /** Appended to the note (how start-up was measured, the JVM). */
  context: string;
}

/**
 * The figure of a reference run in several configurations (figures 7 and 8): the fastest
 * configuration whose final metrics equal ours is the reference. The figure fails when any
 * configuration's metrics differ or it failed to run, since a peer must compute the same thing in
 * every configuration for its rate to mean anything. Every run is kept in `runs`.
 */
export function sweptFigure(options: SweptFigureOptions): Figure {
  const { runs, oursRate, minRatio, describe } = options;
  const identical = runs.filter((r) => r.identical);
  const failedRuns = runs.filter((r) => !r.identical);
  const candidates = identical.length > 0 ? identical : runs;
  const best = [...candidates].sort((a, b) => b.rate - a.rate)[0];
  const bestRate = best?.rate ?? 0;
  const ratio = oursRate / bestRate;
  return {
    id: options.id,
    name: options.name,
    value: oursRate,
    unit: 'events/s',
    reference: { name: best ? options.referenceName(best) : 'no run', value: bestRate, unit: 'events/s' },
    ...(bestRate > 0 ? { ratio } : {}),
    target: `>= ${minRatio.toFixed(1)}x, same final metrics`,
    met: runs.length > 0 && failedRuns.length === 0 && ratio >= minRatio,
    ...(runs.length === 0
      ? { failed: 'no configuration ran' }
      : failedRuns.length > 0
        ? {
            failed: `${failedRuns.length} of ${runs.length} configurations did not end with our final metrics: ${failedRuns
              .map((r) => `${describe(r)}: ${r.problems.slice(0, 3).join('; ')}`)
              .join(' | ')}`,
          }
        : {}),
    runs,
    note: `${identical.length}/${runs.length} configurations with identical final metrics; rates ${runs
      .map((r) => `${describe(r)} ${Math.round(r.rate)}/s`)
      .join(
        ', ',
      )}${best ? `; start-up of the best ${best.startupS.toFixed(1)} s, excluded from its rate` : ''}; ${options.context}`,
  };
}
