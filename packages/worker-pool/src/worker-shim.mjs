// Test-only worker entry: when ReducerPool runs from its TypeScript sources (vitest), worker
// threads cannot load `worker.ts` (`--import tsx` does not reach worker threads on Node 20), so
// this shim loads it with tsx. The tsconfig maps the @marketplace packages to their sources, as
// vitest's aliases do on the main thread, so no build is needed. Never used from `dist`.
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const worker = await tsImport('./worker.ts', {
  parentURL: import.meta.url,
  tsconfig: fileURLToPath(new URL('./worker-shim.tsconfig.json', import.meta.url)),
});

export default worker.default;
