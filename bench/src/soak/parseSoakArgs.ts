/** Options of `pnpm soak`. */
export interface SoakArgs {
  /** Length of the run. @default 10 */
  minutes: number;
  /** Input events per second (what a busy shared 2-core machine sustains with two members). @default 100 */
  rate: number;
  /** Kafka nodes of the local stack. @default 1 */
  brokers: number;
  /** Seconds between samples. @default 5 */
  sampleSeconds: number;
  /** Folder the JSON and SVG are written to, relative to the repository root. @default 'docs/soak' */
  out: string;
  /** Seed of the generated stream. @default 7 */
  seed: number;
}

/** Defaults of {@link SoakArgs}. */
export const DEFAULT_SOAK_ARGS: Readonly<SoakArgs> = Object.freeze({
  minutes: 10,
  rate: 100,
  brokers: 1,
  sampleSeconds: 5,
  out: 'docs/soak',
  seed: 7,
});

/** Usage text of `pnpm soak`. */
export const SOAK_USAGE = `Usage: pnpm soak [--minutes N] [--rate EVENTS_PER_S] [--brokers 1|3] [--sample-seconds S] [--out DIR] [--seed N]

Runs the built service (two members of one group) on a local stack at a steady input rate,
restarts one member halfway, samples heap after GC, RSS, open fds, event-loop delay, lag,
throughput and batch latency, writes DIR/latest.json and DIR/latest.svg and prints the pass
criteria (exit code 1 when one fails).`;

const NUMERIC: Record<string, [keyof SoakArgs, number, number]> = {
  '--minutes': ['minutes', 1, 24 * 60],
  '--rate': ['rate', 1, 100_000],
  '--brokers': ['brokers', 1, 5],
  '--sample-seconds': ['sampleSeconds', 1, 600],
  '--seed': ['seed', 0, 2 ** 31],
};

/** Parses the flags of `pnpm soak`; throws an Error naming the flag when one is invalid. */
export function parseSoakArgs(argv: readonly string[]): SoakArgs {
  const args: SoakArgs = { ...DEFAULT_SOAK_ARGS };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (flag === '--out') {
      if (!value) throw new Error('--out: expected a folder');
      args.out = value;
      continue;
    }
    const spec = NUMERIC[flag];
    if (spec === undefined) throw new Error(`unknown flag ${flag}`);
    const [field, min, max] = spec;
    const parsed = value !== undefined && /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
    if (!(parsed >= min && parsed <= max)) {
      throw new Error(`${flag}: expected a number from ${min} to ${max}, got ${JSON.stringify(value ?? '')}`);
    }
    (args as unknown as Record<string, number | string>)[field] = parsed;
  }
  return args;
}
