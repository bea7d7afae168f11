/**
 * `pnpm capacity --rate <events/s> --products <N> [--from bench.json] [--json]` prints a capacity
 * and cost plan derived from the bench's measured figures; `pnpm capacity --doc` prints
 * `docs/capacity.md` (`--out <file>` writes it). Exit codes: 0 done, 1 the bench JSON is unreadable or lacks a figure,
 * 2 invalid flags.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AWS_PRICES } from './awsPrices.js';
import { DEFAULT_CAPACITY_ASSUMPTIONS } from './capacityAssumptions.js';
import { CapacityError } from './errors.js';
import { formatPlanText } from './formatPlanText.js';
import { CAPACITY_USAGE, parseCapacityArgs } from './parseCapacityArgs.js';
import { planCapacity } from './planCapacity.js';
import { readBenchFigures } from './readBenchFigures.js';
import { renderCapacityDoc } from './renderCapacityDoc.js';
import { workloadFromArgs } from './workloadFromArgs.js';

/** Where the committed bench results live, and how the plan names them. */
export const DEFAULT_BENCH_RESULTS: Readonly<{ path: string; label: string }> = Object.freeze({
  path: join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'results', 'latest.json'),
  label: 'bench/results/latest.json',
});

/** Where `runCapacity` writes and from where it resolves a relative `--from`. */
export interface CapacityIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Directory a relative `--from` is resolved from. */
  readonly cwd: string;
}

/**
 * Runs the command on `argv` (flags only) and returns the exit code: 0 done, 1 bench results
 * unreadable or incomplete, 2 invalid flags. Errors go to `io.stderr` as one message.
 */
export function runCapacity(argv: readonly string[], io: CapacityIo): number {
  try {
    const args = parseCapacityArgs(argv);
    if (args.help) {
      io.stdout(`${CAPACITY_USAGE}\n`);
      return 0;
    }
    const bench =
      args.from === undefined
        ? readBenchFigures(DEFAULT_BENCH_RESULTS.path, DEFAULT_BENCH_RESULTS.label)
        : readBenchFigures(resolve(io.cwd, args.from), args.from);
    if (args.doc) {
      const doc = renderCapacityDoc(bench, AWS_PRICES, DEFAULT_CAPACITY_ASSUMPTIONS);
      if (args.out === undefined) io.stdout(doc);
      else {
        writeFileSync(resolve(io.cwd, args.out), doc);
        io.stdout(`capacity: wrote ${args.out}\n`);
      }
      return 0;
    }
    const workload = workloadFromArgs({ ...args, rate: args.rate!, products: args.products! });
    const plan = planCapacity(bench, workload, AWS_PRICES, DEFAULT_CAPACITY_ASSUMPTIONS);
    io.stdout(
      args.json
        ? `${JSON.stringify(
            {
              bench: { source: bench.source, date: bench.date, machine: bench.machine },
              prices: { region: AWS_PRICES.region, readOn: AWS_PRICES.readOn, currency: AWS_PRICES.currency },
              plan,
            },
            null,
            2,
          )}\n`
        : formatPlanText(plan, bench, AWS_PRICES, DEFAULT_CAPACITY_ASSUMPTIONS),
    );
    return 0;
  } catch (error) {
    if (!(error instanceof CapacityError)) throw error;
    io.stderr(`capacity: ${error.message}\n`);
    return error.code === 'INVALID_ARGUMENT' ? 2 : 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = runCapacity(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.env['INIT_CWD'] ?? process.cwd(),
  });
}
