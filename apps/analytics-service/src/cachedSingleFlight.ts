/** Options of {@link cachedSingleFlight}. */
export interface CachedSingleFlightOptions {
  /** How long a result is reused after it settled, in ms (0: only shared while in flight). */
  ttlMs: number;
  /** Clock in ms (injected in tests). @default performance.now */
  now?: () => number;
}

/**
 * Wraps `fn` so that concurrent callers share one call in flight, and a result is reused for
 * `ttlMs` after it settled. A rejection is shared with the callers waiting for it but not cached:
 * the next call tries again.
 * @example
 * const probes = cachedSingleFlight(() => checkKafkaAndAws(), { ttlMs: 5000 });
 * await Promise.all([probes(), probes()]); // one check
 */
export function cachedSingleFlight<T>(
  fn: () => Promise<T>,
  options: CachedSingleFlightOptions,
): () => Promise<T> {
  const now = options.now ?? (() => performance.now());
  let inFlight: Promise<T> | undefined;
  let cached: { at: number; value: T } | undefined;
  return () => {
    if (cached !== undefined && now() - cached.at < options.ttlMs) return Promise.resolve(cached.value);
    if (inFlight !== undefined) return inFlight;
    const call = (async () => fn())();
    inFlight = call;
    call.then(
      (value) => {
        cached = { at: now(), value };
        inFlight = undefined;
      },
      () => {
        inFlight = undefined;
      },
    );
    return call;
  };
}
