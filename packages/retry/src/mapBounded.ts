import { check } from './check.js';

/**
 * Maps `items` through `fn` with at most `limit` calls in flight and resolves with the results in
 * the order of `items`. After the first failure no new call starts; the calls in flight are
 * awaited, then the first error is thrown, so no request is left running behind the caller's back.
 * @throws {RetryOptionsError} (see `errors.ts`) `INVALID_OPTIONS` naming `limit` unless it is an integer >= 1.
 * @example
 * const rows = await mapBounded(sellerIds, 8, (id) => reader.getSellerMetrics(id));
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  check.integer(limit, 'limit', 1);
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure.error;
  return results;
}
