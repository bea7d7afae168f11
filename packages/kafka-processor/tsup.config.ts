import { definePackageBuild } from '../../tsup.config.base.js';

// A restore thread is its own entry: restoreGroupStates loads dist/restoreWorker.js (ESM) or
// dist/restoreWorker.cjs (CJS).
export default definePackageBuild({
  entry: { index: 'src/index.ts', restoreWorker: 'src/restoreWorker.ts' },
});
