import { definePackageBuild } from '../../tsup.config.base.js';

// The worker is its own entry: ReducerPool loads dist/worker.js (ESM) or dist/worker.cjs (CJS).
export default definePackageBuild({ entry: { index: 'src/index.ts', worker: 'src/worker.ts' } });
