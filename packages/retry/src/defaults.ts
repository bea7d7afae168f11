/**
 * Defaults of `withRetry`: 10 retries (11 attempts), first retry after up to 100 ms, each
 * following one up to twice as long, capped at 20 s. The delays are "full jitter": uniformly
 * random between 0 and the capped exponential value.
 */
export const DEFAULT_RETRY_OPTIONS: Readonly<{
  retries: 10;
  minDelayMs: 100;
  maxDelayMs: 20_000;
  factor: 2;
}> = Object.freeze({ retries: 10, minDelayMs: 100, maxDelayMs: 20_000, factor: 2 });
