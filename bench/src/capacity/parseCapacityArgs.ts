import { parseArgs } from 'node:util';
import { CapacityError } from './errors.js';

/** What the command line asks for. */
export interface CapacityArgs {
  /** Events per second (`--rate`); undefined with `--doc`. */
  readonly rate: number | undefined;
  /** Products (`--products`); undefined with `--doc`. */
  readonly products: number | undefined;
  /** Sellers (`--sellers`); default: products / 100. */
  readonly sellers: number | undefined;
  /** Categories (`--categories`); default: 1000, at most the products. */
  readonly categories: number | undefined;
  /** `MetricsReader` queries per second (`--reads`). */
  readonly reads: number;
  /** Event-rate growth the input partitions allow (`--growth`). */
  readonly growth: number;
  /** Bench JSON (`--from`), or undefined for the committed `bench/results/latest.json`. */
  readonly from: string | undefined;
  /** Print the plan as JSON (`--json`). */
  readonly json: boolean;
  /** Print `docs/capacity.md` (`--doc`) instead of one plan. */
  readonly doc: boolean;
  /** With `--doc`: write the document to this file instead of stdout (`--out`). */
  readonly out: string | undefined;
  /** Print the usage (`--help`). */
  readonly help: boolean;
}

/** Defaults of the optional flags. */
export const DEFAULT_CAPACITY_ARGS: Readonly<{
  reads: 100;
  growth: 4;
  categories: 1000;
  productsPerSeller: 100;
}> = Object.freeze({ reads: 100, growth: 4, categories: 1000, productsPerSeller: 100 });

/** The usage text of `pnpm capacity`. */
export const CAPACITY_USAGE = `Usage: pnpm capacity --rate <events/s> --products <N> [options]
       pnpm capacity --doc [--from <bench.json>] [--out docs/capacity.md]

Prints a capacity and cost plan derived from the bench's measured figures.

  --rate <n>         product events per second, all input topics together (required)
  --products <n>     products known to the system (required)
  --sellers <n>      sellers (default: products / ${DEFAULT_CAPACITY_ARGS.productsPerSeller})
  --categories <n>   categories (default: ${DEFAULT_CAPACITY_ARGS.categories}, at most the products)
  --reads <n>        MetricsReader queries per second (default: ${DEFAULT_CAPACITY_ARGS.reads})
  --growth <x>       rate growth the input partitions must allow (default: ${DEFAULT_CAPACITY_ARGS.growth})
  --from <file>      bench JSON (default: bench/results/latest.json)
  --json             print the plan as JSON
  --doc              print the capacity document for 1k/10k/100k events/s x 1M/10M/100M products
  --out <file>       with --doc: write the document to <file> (written only when complete)
  --help             this text

Numbers may use _ or , as separators and the suffixes k, M, G (10k = 10000).`;

const SUFFIX: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9 };

function number(
  flag: string,
  raw: string | undefined,
  rule: { integer: boolean; min: number; minText: string },
): number | undefined {
  if (raw === undefined) return undefined;
  const match = /^\s*([0-9][0-9_,]*(?:\.[0-9]+)?)([kKMG]?)\s*$/.exec(raw);
  const value = match ? Number(match[1]!.replace(/[_,]/g, '')) * (SUFFIX[match[2]!] ?? 1) : Number.NaN;
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.min) {
    throw new CapacityError(
      'INVALID_ARGUMENT',
      `--${flag} must be ${rule.integer ? 'an integer' : 'a number'} ${rule.minText}, got "${raw}"`,
    );
  }
  return value;
}

/**
 * Parses the flags of `pnpm capacity`.
 * @throws {CapacityError} `INVALID_ARGUMENT` naming the flag: unknown flag, missing value, a value
 *   that is not a positive number, `--rate`/`--products` missing without `--doc`, or `--doc` with
 *   workload flags.
 */
export function parseCapacityArgs(argv: readonly string[]): CapacityArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        rate: { type: 'string' },
        products: { type: 'string' },
        sellers: { type: 'string' },
        categories: { type: 'string' },
        reads: { type: 'string' },
        growth: { type: 'string' },
        from: { type: 'string' },
        json: { type: 'boolean' },
        doc: { type: 'boolean' },
        out: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new CapacityError('INVALID_ARGUMENT', `${(error as Error).message}\n\n${CAPACITY_USAGE}`, {
      cause: error,
    });
  }
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const positive = { integer: false, min: Number.MIN_VALUE, minText: '> 0' };
  const count = { integer: true, min: 1, minText: '>= 1' };
  const args: CapacityArgs = {
    rate: number('rate', str('rate'), positive),
    products: number('products', str('products'), count),
    sellers: number('sellers', str('sellers'), count),
    categories: number('categories', str('categories'), count),
    reads:
      number('reads', str('reads'), { integer: false, min: 0, minText: '>= 0' }) ??
      DEFAULT_CAPACITY_ARGS.reads,
    growth:
      number('growth', str('growth'), { integer: false, min: 1, minText: '>= 1' }) ??
      DEFAULT_CAPACITY_ARGS.growth,
    from: str('from'),
    json: values['json'] === true,
    doc: values['doc'] === true,
    out: str('out'),
    help: values['help'] === true,
  };
  if (args.help) return args;
  if (args.out !== undefined && !args.doc)
    throw new CapacityError('INVALID_ARGUMENT', '--out goes with --doc');
  if (args.doc) {
    const workload = ['rate', 'products', 'sellers', 'categories', 'reads', 'growth', 'json'].filter(
      (f) => values[f] !== undefined,
    );
    if (workload.length > 0) {
      throw new CapacityError(
        'INVALID_ARGUMENT',
        `--doc prints the standard scenarios and takes only --from and --out, not --${workload.join(', --')}`,
      );
    }
    return args;
  }
  const missing = (['rate', 'products'] as const).filter((f) => args[f] === undefined);
  if (missing.length > 0) {
    throw new CapacityError('INVALID_ARGUMENT', `missing --${missing.join(' and --')}\n\n${CAPACITY_USAGE}`);
  }
  if (args.sellers !== undefined && args.sellers > args.products!) {
    throw new CapacityError(
      'INVALID_ARGUMENT',
      `--sellers (${args.sellers}) cannot exceed --products (${args.products})`,
    );
  }
  if (args.categories !== undefined && args.categories > args.products!) {
    throw new CapacityError(
      'INVALID_ARGUMENT',
      `--categories (${args.categories}) cannot exceed --products (${args.products})`,
    );
  }
  return args;
}
