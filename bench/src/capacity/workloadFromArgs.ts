import { type CapacityArgs, DEFAULT_CAPACITY_ARGS } from './parseCapacityArgs.js';
import type { Workload } from './planCapacity.js';

/**
 * The workload of a parsed command line, defaults applied: sellers = products / 100 (at least 1),
 * categories = 1000 (at most the products).
 */
export function workloadFromArgs(
  args: Pick<CapacityArgs, 'sellers' | 'categories' | 'reads' | 'growth'> & {
    rate: number;
    products: number;
  },
): Workload {
  return {
    eventsPerSecond: args.rate,
    products: args.products,
    sellers: args.sellers ?? Math.max(1, Math.round(args.products / DEFAULT_CAPACITY_ARGS.productsPerSeller)),
    categories: args.categories ?? Math.min(DEFAULT_CAPACITY_ARGS.categories, args.products),
    readsPerSecond: args.reads,
    growth: args.growth,
  };
}
