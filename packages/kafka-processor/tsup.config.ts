import { definePackageBuild } from '../../tsup.config.base.js';

// The stream thread is its own entry: AggregateStreamThreads loads dist/streamThread.js (ESM) or
// dist/streamThread.cjs (CJS).
export default definePackageBuild({
  entry: { index: 'src/index.ts', streamThread: 'src/streamThreadEntry.ts' },
});
