import { definePackageBuild } from '../../tsup.config.base.js';

// Thread entries are their own entries: AggregateStreamThreads loads dist/streamThread.js (ESM)
// or dist/streamThread.cjs (CJS), restoreGroupStates dist/restoreWorker.js or .cjs.
export default definePackageBuild({
  entry: {
    index: 'src/index.ts',
    streamThread: 'src/streamThreadEntry.ts',
    restoreWorker: 'src/restoreWorker.ts',
  },
});
