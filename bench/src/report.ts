/** One configuration of a swept reference (figures 7 and 8): its settings and what it measured. */
export interface ReferenceRun {
  /** The settings of this run, e.g. `{ parallelism: 2, checkpointIntervalMs: 1000 }`. */
  settings: Record<string, string | number>;
  /** Input events per second, start-up excluded (0 when the run failed). */
  rate: number;
  /** Seconds from process start until the reference reported it was running. */
  startupS: number;
  /** Seconds of work, start-up excluded. */
  runS: number;
  /** True when its final metrics equal stage 1's. */
  identical: boolean;
  /** The first differences, or the error that ended the run. */
  problems: string[];
}

/** One measured figure: a value, its reference measured in the same run, and the target. */
export interface Figure {
  /** Figure number (`1` … `8`, with letters for the parts of one figure). */
  id: string;
  name: string;
  value: number;
  unit: string;
  /** The reference measured side by side (same process or run). */
  reference?: { name: string; value: number; unit: string };
  /** value / reference.value (or as described in `ratioNote`). */
  ratio?: number;
  target: string;
  met: boolean | null;
  /** What limits the figure, or context for reading it. */
  note?: string;
  /** Set when the figure is invalid (e.g. a reference's final metrics differ from ours): why. */
  failed?: string;
  /** Every configuration a swept reference ran, the reported one included. */
  runs?: ReferenceRun[];
}

/** Writes progress to stderr so stdout stays the table. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** Formats a number with thousands separators and at most two decimals. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return fmt.format(value);
}

/** Renders the figures as a Markdown table. */
export function renderTable(figures: readonly Figure[]): string {
  const rows = [
    '| # | figure | value | reference | ratio | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const f of figures) {
    const ref = f.reference
      ? `${formatNumber(f.reference.value)} ${f.reference.unit} (${f.reference.name})`
      : '';
    const ratio = f.ratio === undefined ? '' : `${formatNumber(f.ratio * 100)}%`;
    const met = f.failed ? '**FAILED**' : f.met === null ? 'n/a' : f.met ? 'yes' : '**no**';
    rows.push(
      `| ${f.id} | ${f.name} | ${formatNumber(f.value)} ${f.unit} | ${ref} | ${ratio} | ${f.target} | ${met} |`,
    );
  }
  const notes = figures
    .filter((f) => f.note || f.failed)
    .map((f) => `- ${f.id} ${f.name}: ${f.failed ? `FAILED: ${f.failed}. ` : ''}${f.note ?? ''}`);
  return [...rows, '', ...notes].join('\n');
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
