#!/usr/bin/env node
// Mutation testing of the pure packages with StrykerJS and its vitest runner.
//   pnpm mutation                         all of product-events, aggregator and retry
//   pnpm mutation --package aggregator    one package (repeat --package for more)
//   pnpm mutation --package aggregator --break 85
//   pnpm mutation --package aggregator --incremental
//   pnpm mutation --package product-events --with-static
//       also tests the static mutants of a package in IGNORE_STATIC (see there)
//       reuses the results in scripts/mutation/incremental/<package>.json for mutants whose code
//       and covering tests did not change (Stryker's incremental mode), and updates that file;
//       .ci/run uses it to keep the run short. Commit the file after a full run.
// Writes reports/mutation/<package>.html and .json, prints the score per package and exits
// non-zero when a score is below --break (default: the package's floor in FLOORS).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Stryker } from '@stryker-mutator/core';

const root = new URL('../..', import.meta.url).pathname;

/**
 * The packages under mutation test and the score below which a run fails: a few points under the
 * last measured score (README.md, Testing), so that a drop fails; 85 where none was measured yet.
 */
const FLOORS = { 'product-events': 85, aggregator: 90, retry: 95 };

/**
 * Packages whose static mutants (code that runs once, when a module loads: its constant tables)
 * Stryker reports as ignored instead of testing (its `ignoreStatic`). Each static mutant needs a
 * fresh module graph and all of the package's tests, so in product-events (a catalogue of
 * category names, nouns and price ranges, the schema and error-code tables) they took most of
 * the run time: a full run did not finish in hours. Ignored mutants do not count in the score;
 * the run prints how many there were. `--with-static` tests them anyway.
 */
const IGNORE_STATIC = new Set(['product-events']);

const { values } = parseArgs({
  options: {
    package: { type: 'string', multiple: true },
    break: { type: 'string' },
    concurrency: { type: 'string' },
    incremental: { type: 'boolean', default: false },
    'with-static': { type: 'boolean', default: false },
  },
});
const packages = values.package ?? Object.keys(FLOORS);
for (const name of packages) {
  if (!(name in FLOORS)) {
    console.error(`mutation: unknown package '${name}'; choose from ${Object.keys(FLOORS).join(', ')}`);
    process.exit(2);
  }
}

const results = [];
for (const name of packages) {
  const floor = values.break === undefined ? FLOORS[name] : Number(values.break);
  const started = Date.now();
  const stryker = new Stryker({
    packageManager: 'pnpm',
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: 'vitest.mutation.config.ts', dir: `packages/${name}` },
    coverageAnalysis: 'perTest',
    ignoreStatic: IGNORE_STATIC.has(name) && !values['with-static'],
    mutate: [`packages/${name}/src/**/*.ts`, '!**/*.test.ts', '!**/index.ts', '!**/types.ts'],
    // The sandbox needs only the packages and the root configs; node_modules is linked.
    ignorePatterns: [
      '/*',
      '!/packages',
      '!/package.json',
      '!/tsconfig.base.json',
      '!/vitest.config.ts',
      '!/vitest.mutation.config.ts',
      '/packages/*/dist',
    ],
    tempDirName: '.stryker-tmp',
    incremental: values.incremental,
    incrementalFile: `scripts/mutation/incremental/${name}.json`,
    cleanTempDir: 'always',
    concurrency: values.concurrency === undefined ? 2 : Number(values.concurrency),
    reporters: ['clear-text', 'progress', 'html', 'json'],
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    // The floor is checked below, once per package, so one package's drop does not hide the next.
    thresholds: { high: 90, low: floor, break: null },
    timeoutMS: 10_000,
  });
  const report = await stryker.runMutationTest();
  const killed = report.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length;
  // Stryker's score: detected / (detected + undetected); errors and ignored mutants do not count.
  const counted = new Set(['Killed', 'Timeout', 'Survived', 'NoCoverage']);
  const valid = report.filter((m) => counted.has(m.status)).length;
  const score = valid === 0 ? 100 : (100 * killed) / valid;
  const ignored = report.filter((m) => m.status === 'Ignored').length;
  const seconds = Math.round((Date.now() - started) / 1000);
  results.push({ name, score, killed, valid, ignored, floor, seconds });
}

mkdirSync(join(root, 'reports/mutation'), { recursive: true });
writeFileSync(join(root, 'reports/mutation/summary.json'), `${JSON.stringify(results, null, 2)}\n`);
let failed = false;
for (const r of results) {
  const ok = r.score >= r.floor;
  failed ||= !ok;
  console.log(
    `mutation: ${r.name} ${r.score.toFixed(2)}% (${r.killed}/${r.valid} killed, ${r.ignored} ignored, floor ${r.floor}%, ${r.seconds} s) ${ok ? 'ok' : 'BELOW FLOOR'}`,
  );
}
process.exit(failed ? 1 : 0);
