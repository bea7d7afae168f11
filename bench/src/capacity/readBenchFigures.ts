import { readFileSync } from 'node:fs';
import { CapacityError } from './errors.js';

/** The bench measurements the plan is built from, each named after what it is. */
export interface BenchFigures {
  /** Where they were read from (path or label). */
  readonly source: string;
  /** When the bench ran (ISO 8601). */
  readonly date: string;
  /** The machine the bench ran on. */
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly node: string;
  };
  /** Free text about the conditions of the run (e.g. other load on the machine), when recorded. */
  readonly conditions: string | undefined;
  /** 1-minute load averages at the start and the end of the run, when recorded. */
  readonly load: { readonly atStart: number; readonly atEnd: number } | undefined;
  /** Figure 3: stage-1 events/s of one process on the whole machine. */
  readonly stage1EventsPerSecond: number;
  /** Figure 4c: metric changes/s one stage-2 consumer wrote to DynamoDB and S3. */
  readonly sinkChangesPerSecond: number;
  /** Figure 4a reference: metric-change records per 1000 input events. */
  readonly metricChangesPer1000Events: number;
  /** Figure 4a: DynamoDB write requests per 1000 input events. */
  readonly dynamoWritesPer1000Events: number;
  /** Figure 4d: mean DynamoDB item size, bytes. */
  readonly dynamoItemBytes: number;
  /** Figure 4d reference: largest DynamoDB item, bytes. */
  readonly dynamoMaxItemBytes: number;
  /** Figure 4b: S3 objects per 1000 input events (full batches). */
  readonly s3ObjectsPer1000Events: number;
  /** Figure 4b reference: S3 bytes (gzip JSON Lines) per 1000 input events. */
  readonly s3BytesPer1000Events: number;
  /** Figure 5: products restored per second by one member. */
  readonly restoreProductsPerSecond: number;
  /** Figure 8d: changelog records read per second during that restore. */
  readonly restoreRecordsPerSecond: number;
  /** Figure 6: heap bytes per product held in stage-1 state. */
  readonly heapBytesPerProduct: number;
  /** Figure 8a: bytes per product-state changelog record on the broker's disk. */
  readonly changelogBytesPerRecord: number;
  /** Figure 8b: product-state changelog records per 1000 input events. */
  readonly changelogRecordsPer1000Events: number;
  /** Figure 8c: bytes per metric-change record on the broker's disk. */
  readonly metricChangeBytesPerRecord: number;
}

/** Which figure (and which part of it) feeds each field: the map `docs/capacity.md` prints. */
export const FIGURE_SOURCES: Readonly<
  Record<
    Exclude<keyof BenchFigures, 'source' | 'date' | 'machine' | 'conditions' | 'load'>,
    { id: string; part: 'value' | 'reference' }
  >
> = Object.freeze({
  stage1EventsPerSecond: { id: '3', part: 'value' },
  sinkChangesPerSecond: { id: '4c', part: 'value' },
  metricChangesPer1000Events: { id: '4a', part: 'reference' },
  dynamoWritesPer1000Events: { id: '4a', part: 'value' },
  dynamoItemBytes: { id: '4d', part: 'value' },
  dynamoMaxItemBytes: { id: '4d', part: 'reference' },
  s3ObjectsPer1000Events: { id: '4b', part: 'value' },
  s3BytesPer1000Events: { id: '4b', part: 'reference' },
  restoreProductsPerSecond: { id: '5', part: 'value' },
  restoreRecordsPerSecond: { id: '8d', part: 'value' },
  heapBytesPerProduct: { id: '6', part: 'value' },
  changelogBytesPerRecord: { id: '8a', part: 'value' },
  changelogRecordsPer1000Events: { id: '8b', part: 'value' },
  metricChangeBytesPerRecord: { id: '8c', part: 'value' },
});

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Picks the figures the plan needs out of a parsed bench JSON (`pnpm bench --out`): `figures[]`
 * of `{ id, value, reference?: { value } }` plus `date` and `machine`.
 * @throws {CapacityError} `BENCH_RESULTS_UNREADABLE` when the shape is wrong; `FIGURE_MISSING`
 *   naming the figure when one is absent or not a positive number.
 */
export function benchFiguresFromJson(json: unknown, source: string): BenchFigures {
  if (!isObject(json) || !Array.isArray(json['figures']) || !isObject(json['machine'])) {
    throw new CapacityError(
      'BENCH_RESULTS_UNREADABLE',
      `${source} is not a bench result: expected an object with "figures" and "machine" (written by pnpm bench --out)`,
    );
  }
  const byId = new Map<string, Json>();
  for (const figure of json['figures']) if (isObject(figure)) byId.set(String(figure['id']), figure);
  const pick = (field: string, id: string, part: 'value' | 'reference'): number => {
    const figure = byId.get(id);
    const holder = part === 'value' ? figure : figure?.['reference'];
    const value = isObject(holder) ? holder['value'] : undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new CapacityError(
        'FIGURE_MISSING',
        `${source} has no usable figure ${id}${part === 'reference' ? ' reference' : ''} (${field}); rerun pnpm bench --out ${source} (a bench older than the figure does not write it)`,
      );
    }
    return value;
  };
  const machine = json['machine'];
  const cores = machine['cores'];
  if (typeof cores !== 'number' || !Number.isInteger(cores) || cores < 1) {
    throw new CapacityError('BENCH_RESULTS_UNREADABLE', `${source}: machine.cores must be an integer >= 1`);
  }
  const figures = Object.fromEntries(
    Object.entries(FIGURE_SOURCES).map(([field, { id, part }]) => [field, pick(field, id, part)]),
  ) as Record<keyof typeof FIGURE_SOURCES, number>;
  return {
    source,
    date: typeof json['date'] === 'string' ? json['date'] : 'unknown date',
    machine: {
      cpu: String(machine['cpu'] ?? 'unknown CPU'),
      cores,
      memoryGiB: Number(machine['memoryGiB'] ?? 0),
      node: String(machine['node'] ?? 'unknown Node.js'),
    },
    conditions: typeof json['conditions'] === 'string' ? json['conditions'] : undefined,
    load:
      isObject(json['load']) &&
      typeof json['load']['atStart'] === 'number' &&
      typeof json['load']['atEnd'] === 'number'
        ? { atStart: json['load']['atStart'], atEnd: json['load']['atEnd'] }
        : undefined,
    ...figures,
  };
}

/**
 * Reads a bench JSON file (see {@link benchFiguresFromJson}).
 * @param label how to name the file in messages and in the plan (default: the path).
 * @throws {CapacityError} `BENCH_RESULTS_UNREADABLE` when the file cannot be read or is not JSON;
 *   `FIGURE_MISSING` as {@link benchFiguresFromJson}.
 */
export function readBenchFigures(path: string, label = path): BenchFigures {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CapacityError(
      'BENCH_RESULTS_UNREADABLE',
      `cannot read ${label}: ${(error as Error).message}; run pnpm bench --out ${label} first`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CapacityError('BENCH_RESULTS_UNREADABLE', `${label} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return benchFiguresFromJson(json, label);
}
