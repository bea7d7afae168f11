/**
 * The worker entry next to the running module: `worker.js` from the ESM build, `worker.cjs` from
 * the CJS build, and the tsx shim `worker-shim.mjs` when running from the TypeScript sources
 * (tests).
 */
export function workerFileFor(moduleUrl: string): URL {
  const path = new URL(moduleUrl).pathname;
  if (path.endsWith('.ts')) return new URL('./worker-shim.mjs', moduleUrl);
  if (path.endsWith('.cjs')) return new URL('./worker.cjs', moduleUrl);
  return new URL('./worker.js', moduleUrl);
}
