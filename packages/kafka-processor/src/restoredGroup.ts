import type { ProductState } from '@marketplace/analytics-aggregator';

/** What was restored for one group. */
export interface RestoredGroup {
  /** Latest state per product id. */
  states: Map<string, ProductState>;
  /** Changelog records read (before compaction of duplicates in memory). */
  records: number;
  /**
   * The group's epoch marker (changelog key `''`): the pipeline epoch whose full snapshot of the
   * group's partial metrics was written; 0 when the changelog has none.
   */
  epoch: number;
}
