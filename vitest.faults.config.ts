import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `pnpm test:faults`: broker fault tests on a three-node cluster (each file starts its own stack).
 * Separate from `vitest.config.ts` so that `pnpm check` does not run them (they take minutes).
 */
export default defineConfig({
  resolve: base.resolve,
  test: {
    name: 'faults',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    include: ['apps/*/test/faults/**/*.faults.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
