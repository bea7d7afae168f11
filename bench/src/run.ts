/**
 * `pnpm bench [--out results.json] [--quick] [--only 1,2,6,10] [--products n] [--conditions text]`: runs the benchmark suite, prints
 * a table of figures with their references measured side by side in the same run, and writes
 * the figures as JSON to `--out`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchAggregator, benchMemory, benchWorkerPool } from './pure.js';
import { type Figure, progress, renderTable } from './report.js';
import { benchRescale } from './rescale.js';
import { benchStack } from './stack.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    events: { type: 'string' },
    conditions: { type: 'string' },
    products: { type: 'string' },
  },
});

const quick = values.quick ?? false;
const only = new Set((values.only ?? '1,2,3,4,5,6,7,8').split(',').map((s) => s.trim()));
const stackEvents = values.events ? Number(values.events) : quick ? 100_000 : 1_000_000;

const figures: Figure[] = [];
const started = Date.now();
const loadAtStart = loadavg()[0] ?? 0;

if (only.has('1')) figures.push(benchAggregator({ events: quick ? 300_000 : 2_000_000, products: 100_000 }));
if (only.has('2'))
  figures.push(...(await benchWorkerPool({ events: quick ? 100_000 : 400_000, batchSize: 3000 })));
if (only.has('6')) figures.push(benchMemory({ products: quick ? 200_000 : 1_000_000 }));
if (['3', '4', '5', '7', '8', '9'].some((id) => only.has(id))) {
  figures.push(...(await benchStack({ events: stackEvents, partitions: 6, only })));
}
if (only.has('10')) {
  figures.push(
    await benchRescale({ products: values.products ? Number(values.products) : quick ? 100_000 : 1_000_000 }),
  );
}

figures.sort((a, b) => a.id.localeCompare(b.id));
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
};
const table = renderTable(figures);
process.stdout.write(
  `\nMachine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}\n\n${table}\n`,
);
if (values.out) {
  const out = resolve(process.env.INIT_CWD ?? process.cwd(), values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        // Other load on the machine: what the run shared its cores with (1-minute load averages).
        load: { atStart: loadAtStart, atEnd: loadavg()[0] ?? 0 },
        ...(values.conditions ? { conditions: values.conditions } : {}),
        durationS: (Date.now() - started) / 1000,
        figures,
      },
      null,
      2,
    )}\n`,
  );
  progress(`figures written to ${out}`);
}
