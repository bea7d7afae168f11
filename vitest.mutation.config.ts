import { defineConfig } from 'vitest/config';
import root from './vitest.config.ts';

/**
 * Vitest settings for mutation testing (`pnpm mutation`): the package aliases of the root config
 * and no projects, so Stryker runs only the unit tests of the package it mutates (it sets
 * `dir` to that package).
 */
export default defineConfig({
  resolve: root.resolve,
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.int.test.ts'],
    // Instrumented code on a busy machine is several times slower than in the unit project;
    // Stryker bounds each mutant's run itself (its timeoutMS over the measured baseline).
    testTimeout: 60_000,
  },
});
