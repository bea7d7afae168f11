/** One measured figure: a value, its reference measured in the same run, and the target. */
export interface Figure {
  /** Figure number of issue 7 (1-7). */
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
    const met = f.met === null ? 'n/a' : f.met ? 'yes' : '**no**';
    rows.push(
      `| ${f.id} | ${f.name} | ${formatNumber(f.value)} ${f.unit} | ${ref} | ${ratio} | ${f.target} | ${met} |`,
    );
  }
  const notes = figures.filter((f) => f.note).map((f) => `- ${f.id} ${f.name}: ${f.note}`);
  return [...rows, '', ...notes].join('\n');
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
