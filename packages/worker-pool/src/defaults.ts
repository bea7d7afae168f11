import { availableParallelism } from 'node:os';

/**
 * Defaults of `ReducerPool` (`threads` defaults to {@link defaultThreadCount}):
 * idle threads live 60 s (so a steady stream of batches reuses them), batches under 64
 * messages are reduced on the calling thread, the queue is unbounded.
 */
export const DEFAULT_REDUCER_POOL_OPTIONS: Readonly<{
  idleTimeoutMs: 60_000;
  inlineBelow: 64;
  inline: false;
  maxQueue: number;
}> = Object.freeze({
  idleTimeoutMs: 60_000,
  inlineBelow: 64,
  inline: false,
  maxQueue: Number.POSITIVE_INFINITY,
});

/** Default thread count: one per available CPU, minus one for the main thread, at least one. */
export function defaultThreadCount(): number {
  return Math.max(1, availableParallelism() - 1);
}
