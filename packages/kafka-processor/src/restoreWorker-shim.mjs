// Test-only restore thread entry: when restoreGroupStates runs from its TypeScript sources
// (vitest), a worker thread cannot load `restoreWorker.ts` (`--import tsx` does not reach worker
// threads), so this shim loads it with tsx. The tsconfig maps the @marketplace packages to their
// sources, as vitest's aliases do on the main thread. Never used from `dist`.
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

await tsImport('./restoreWorker.ts', {
  parentURL: import.meta.url,
  tsconfig: fileURLToPath(new URL('./restoreWorker-shim.tsconfig.json', import.meta.url)),
});
