/**
 * Type of `inject('localStack')`. Imported by `globalSetup.ts` and `clients.ts`, so a package
 * whose integration tests import `clients.ts` gets the declaration without repeating it.
 */
import type { LocalStackEndpoints } from '../src/stackEnv.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the local stack started (or reused) by the integration project's global setup. */
    localStack: LocalStackEndpoints;
  }
}

export type { LocalStackEndpoints };
