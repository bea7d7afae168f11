// Test-only stream-thread entry: when AggregateStreamThreads runs from its TypeScript sources
// (vitest), a worker thread cannot load `streamThreadEntry.ts` itself, so this shim loads it with
// tsx. The tsconfig maps the @marketplace packages to their sources, as vitest's aliases do on the
// main thread, so no build is needed. Never used from `dist`.
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

await tsImport('./streamThreadEntry.ts', {
  parentURL: import.meta.url,
  tsconfig: fileURLToPath(new URL('./streamThread-shim.tsconfig.json', import.meta.url)),
});
