/** One sample line of a Prometheus text exposition: metric name, labels and value. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the sample lines of a Prometheus text exposition (comments and blank lines skipped). */
export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, '$1');
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `where` (0 when none). */
export function sumOf(
  samples: readonly PromSample[],
  name: string,
  where: Record<string, string> = {},
): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** Cumulative bucket counts (`le` → count) of histogram `name` with labels `where`, sorted by `le`. */
export function histogramBuckets(
  samples: readonly PromSample[],
  name: string,
  where: Record<string, string> = {},
): Array<[number, number]> {
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    if (!Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  return [...buckets].sort((a, b) => a[0] - b[0]);
}

/**
 * The `q` quantile (0..1) of the observations between two scrapes of one histogram (cumulative
 * buckets `before` and `after`, same bounds), interpolated linearly inside the bucket as
 * Prometheus's `histogram_quantile` does; `undefined` when nothing was observed. A reset counter
 * (a restarted process) counts from zero.
 */
export function quantileBetween(
  before: ReadonlyArray<[number, number]>,
  after: ReadonlyArray<[number, number]>,
  q: number,
): number | undefined {
  const reset = after.some(([le, count]) => count < (before.find(([b]) => b === le)?.[1] ?? 0));
  const delta = after.map(([le, count]) => [
    le,
    count - (reset ? 0 : (before.find(([b]) => b === le)?.[1] ?? 0)),
  ]);
  const total = delta.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of delta as Array<[number, number]>) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lower;
      const inBucket = count - below;
      return inBucket === 0 ? le : lower + ((le - lower) * (rank - below)) / inBucket;
    }
    lower = le;
    below = count;
  }
  return lower;
}
