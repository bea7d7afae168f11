import { createRequire } from 'node:module';
import { MissingDemoDependencyError } from './errors.js';

/**
 * Packages only the demo loads (development dependencies of the app, absent from the production
 * image): the local stack (a Kafka broker, dynalite with a native addon, S3Proxy) and pino-pretty.
 */
export const DEMO_DEPENDENCIES = Object.freeze(['@marketplace/local-stack', 'pino-pretty'] as const);

const localRequire = createRequire(import.meta.url);

/**
 * Checks that the demo's dependencies are installed, before anything of the demo is loaded.
 * @throws {MissingDemoDependencyError} code `MISSING_DEMO_DEPENDENCY` naming every missing package.
 */
export function checkDemoDependencies(
  names: readonly string[] = DEMO_DEPENDENCIES,
  resolve: (id: string) => string = localRequire.resolve,
): void {
  const missing: string[] = [];
  let cause: unknown;
  for (const name of names) {
    try {
      resolve(`${name}/package.json`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
      missing.push(name);
      cause ??= error;
    }
  }
  if (missing.length > 0) throw new MissingDemoDependencyError(missing, cause);
}

/**
 * Loads a CommonJS demo dependency synchronously (pino-pretty for the demo's readable logs), as
 * `require` returns it.
 * @throws {MissingDemoDependencyError} when it is not installed.
 */
export function requireDemoDependency<T>(name: string): T {
  checkDemoDependencies([name]);
  // The module itself, as `require` gives it (pino-pretty's export is the factory function).
  return localRequire(name) as T;
}
