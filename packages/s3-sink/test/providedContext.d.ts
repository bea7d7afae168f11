// The local stack's global setup declares `inject('localStack')`; its declaration lives in
// packages/local-stack/test/globalSetup.ts, which this package's tsc does not load, so repeat it
// (identical declarations merge).
import type { LocalStackEndpoints } from '../../local-stack/src/stackEnv.js';

declare module 'vitest' {
  export interface ProvidedContext {
    localStack: LocalStackEndpoints;
  }
}
