import { generateMarketplaceStream, type ProductEvent, parseProductEvent } from '@marketplace/product-events';
import { describe, expect, it } from 'vitest';
import { oracleMetrics } from '../test/independentOracle.js';
import { applyEvent } from './applyEvent.js';
import type { MetricsSnapshot } from './computeMetrics.js';
import { decodeMetricChange, encodeMetricChange, foldMetricChanges } from './metricChanges.js';
import { PartialAggregates } from './PartialAggregates.js';
import { decodeProductState, encodeProductState } from './productStateCodec.js';
import type { MetricChange, ProductState } from './types.js';

/*
 * End to end over the pure layer, with realistic traffic from the product-events generator
 * (Zipf-like sellers and products, moves, deletes and re-creates, low stock, duplicates,
 * cross-topic reordering, malformed records): parse -> applyEvent -> replace -> takeChanges per
 * batch and group -> encode/decode (as through Kafka) -> fold must equal the oracle.
 */

const GROUPS = 4;
const BATCH = 500;
/** Generous timeout: the suite shares the CPU with other suites in CI. */
const TIMEOUT_MS = 60_000;

function groupOf(productId: string): number {
  let hash = 0;
  for (let i = 0; i < productId.length; i += 1) hash = (hash * 31 + productId.charCodeAt(i)) | 0;
  return Math.abs(hash) % GROUPS;
}

function sorted<V>(map: Map<string, V>): Array<[string, V]> {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function withoutEmptyEntities(snapshot: MetricsSnapshot) {
  return {
    sellers: sorted(new Map([...snapshot.sellers].filter(([, v]) => v.totalProducts !== 0))),
    categories: sorted(new Map([...snapshot.categories].filter(([, v]) => v.productCount !== 0))),
    lowStock: sorted(snapshot.lowStock),
  };
}

describe('aggregating a generated marketplace stream', () => {
  it.each([1, 2, 3])(
    'matches the oracle for seed %i with duplicates, reordering and malformed records',
    (seed) => {
      const groups = Array.from({ length: GROUPS }, () => ({
        states: new Map<string, ProductState>(),
        partials: new PartialAggregates(),
        watermark: '',
      }));
      const valid: ProductEvent[] = [];
      const wire: Buffer[] = [];
      let malformed = 0;
      let batch: ProductEvent[] = [];

      const flush = (restartGroup: number) => {
        for (const [index, group] of groups.entries()) {
          for (const event of batch) {
            if (groupOf(event.productId) !== index) continue;
            const prior = group.states.get(event.productId);
            const result = applyEvent(prior, event);
            if (event.occurredAt > group.watermark) group.watermark = event.occurredAt;
            if (result.kind !== 'applied') continue;
            group.partials.replace(prior, result.state);
            group.states.set(event.productId, result.state);
          }
          for (const change of group.partials.takeChanges(
            index,
            group.watermark || '1970-01-01T00:00:00.000Z',
          )) {
            wire.push(encodeMetricChange(change));
          }
          if (index === restartGroup) {
            // Restart: restore the group from its changelog, as on reassignment.
            const restored = [...group.states.values()].map((s) => decodeProductState(encodeProductState(s)));
            group.states = new Map(restored.map((s) => [s.productId, s]));
            group.partials = PartialAggregates.fromStates(restored);
          }
        }
        batch = [];
      };

      let count = 0;
      for (const message of generateMarketplaceStream({
        seed,
        sellers: 40,
        categories: 8,
        products: 600,
        events: 12_000,
        duplicateRate: 0.05,
        reorder: { window: 64 },
        malformedRate: 0.01,
        moveRate: 0.05,
        deleteRate: 0.05,
      })) {
        const parsed = parseProductEvent(message.value, { key: message.key, headers: message.headers });
        count += 1;
        if (!parsed.ok) {
          malformed += 1;
        } else {
          valid.push(parsed.event);
          batch.push(parsed.event);
        }
        if (count % BATCH === 0) flush(count % (3 * BATCH) === 0 ? (count / BATCH) % GROUPS : -1);
      }
      flush(-1);

      const changes: MetricChange[] = wire.map((bytes) => decodeMetricChange(bytes));
      // The independent oracle (shares no code with the aggregator).
      const oracle = oracleMetrics(valid) as MetricsSnapshot;

      expect(malformed).toBeGreaterThan(0);
      expect(oracle.lowStock.size).toBeGreaterThan(0);
      expect([...oracle.sellers.values()].some((s) => s.deletedProducts > 0)).toBe(true);
      expect(withoutEmptyEntities(foldMetricChanges(changes))).toEqual(withoutEmptyEntities(oracle));
    },
    TIMEOUT_MS,
  );
});
