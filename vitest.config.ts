import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** Package names resolve to their sources, so tests never need a build. */
const packageSources: Record<string, string> = {
  '@marketplace/product-events': here('./packages/product-events/src/index.ts'),
  '@marketplace/analytics-aggregator': here('./packages/aggregator/src/index.ts'),
  '@marketplace/options': here('./packages/options/src/index.ts'),
  '@marketplace/retry': here('./packages/retry/src/index.ts'),
  '@marketplace/worker-pool': here('./packages/worker-pool/src/index.ts'),
  '@marketplace/kafka-processor': here('./packages/kafka-processor/src/index.ts'),
  '@marketplace/dynamodb-sink': here('./packages/dynamodb-sink/src/index.ts'),
  '@marketplace/s3-sink': here('./packages/s3-sink/src/index.ts'),
  '@marketplace/local-stack': here('./packages/local-stack/src/index.ts'),
};

const alias = Object.entries(packageSources).map(([find, replacement]) => ({
  find: new RegExp(`^${find.replace('/', '\\/')}$`),
  replacement,
}));

export default defineConfig({
  resolve: { alias },
  test: {
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/index.ts', '**/types.ts', '**/worker-shim.mjs'],
      reporter: ['text-summary', 'json-summary'],
      // perFile: every file on its own, so a well-tested package cannot hide an untested file.
      // Packages without perFile yet are checked as a whole: files below 90 % there are listed in
      // README.md (Testing); move each to perFile once its files are covered.
      thresholds: {
        'packages/product-events/src/**': { perFile: true, 100: true },
        'packages/aggregator/src/**': { perFile: true, 100: true },
        'packages/options/src/**': { perFile: true, 100: true },
        'packages/retry/src/**': { perFile: true, 100: true },
        'packages/worker-pool/src/**': { perFile: true, lines: 90, branches: 90 },
        // Branches 89: the rescale tool's crash-resume paths run only in the child processes of the
        // end-to-end tests, which coverage does not see (measured 89.5%; see the issue-18 note).
        'packages/kafka-processor/src/**': { lines: 90, branches: 89 },
        'packages/dynamodb-sink/src/**': { lines: 90, branches: 90 },
        'packages/s3-sink/src/**': { lines: 90, branches: 90 },
        'packages/local-stack/src/**': { lines: 90, branches: 90 },
        // The app as a whole, an interim floor (96.3 % lines, 87.6 % branches measured on 2026-11-27
        // before the rescale/reset and fault-readiness code landed); the target is 90 % per file.
        'apps/analytics-service/src/**': { lines: 85, branches: 80 },
      },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'apps/*/src/**/*.test.ts',
            // Checks of deploy/ (Grafana, Prometheus rules, Kubernetes) against the app's code.
            'apps/*/test/unit/**/*.test.ts',
            'scripts/**/*.test.ts',
            'bench/src/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/test/integration/**/*.int.test.ts', 'apps/*/test/**/*.int.test.ts'],
          globalSetup: [here('./packages/local-stack/test/globalSetup.ts')],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: true,
          maxWorkers: 2,
          // Runs after the unit project (different worker limits need their own group).
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
