/**
 * The end-to-end property of stage 1 (docs/architecture.md#processing-rules): whatever the
 * batching, duplication, reordering, crashes and rebalances, the committed outputs equal the naive
 * oracle.
 */
import {
  decodeMetricChange,
  decodeProductState,
  foldMetricChanges,
  type ProductState,
  replayToStates,
} from '@marketplace/analytics-aggregator';
import type { GeneratedMessage, ProductEvent } from '@marketplace/product-events';
import { expect } from 'vitest';
import { oracleMetrics } from '../../../aggregator/test/independentOracle.js';
import { DEAD_LETTER_HEADERS } from '../../src/defaults.js';
import { headerString, latestByKey, type StageOutputs } from './helpers.js';

/** Asserts metric changes, changelog and dead letters against the oracle of `generated`. */
export function expectOutputsMatchOracle(
  outputs: StageOutputs,
  generated: readonly GeneratedMessage[],
): void {
  const events = generated.flatMap((m) => (m.event ? [m.event as ProductEvent] : []));
  const expectedStates = replayToStates(events);

  // Metrics: the last change per row (in production order per group partition) summed over groups.
  const changes = outputs.metricChanges.map((r) => decodeMetricChange(r.value!));
  expect(changes.every((c, i) => c.group === outputs.metricChanges[i]!.partition)).toBe(true);
  // The metrics against the independent oracle (shares no code with the aggregator).
  expect(foldMetricChanges(changes)).toEqual(oracleMetrics(events));

  // Changelog: its compacted view holds exactly the latest state per product.
  // A tombstone keeps the fields of the state it replaced, and which older state that was depends
  // on how the three topics interleaved; what defines it (and every metric) is compared.
  const comparable = (state: ProductState): Partial<ProductState> =>
    state.deleted
      ? {
          productId: state.productId,
          version: state.version,
          deleted: true,
          sellerId: state.sellerId,
          updatedAt: state.updatedAt,
        }
      : state;
  const changelog = new Map(
    [...latestByKey(outputs.changelog)].map(([key, value]) => [key, comparable(decodeProductState(value!))]),
  );
  expect(changelog.size).toBe(expectedStates.size);
  expect(changelog).toEqual(new Map([...expectedStates].map(([key, state]) => [key, comparable(state)])));

  // Dead letters: every malformed input message exactly once, with its original bytes.
  const malformed = generated.filter((m) => m.event === undefined);
  const sources = outputs.deadLetters.map(
    (r) =>
      `${headerString(r.headers, DEAD_LETTER_HEADERS.sourceTopic)}/${headerString(r.headers, DEAD_LETTER_HEADERS.sourcePartition)}/${headerString(r.headers, DEAD_LETTER_HEADERS.sourceOffset)}`,
  );
  expect(new Set(sources).size).toBe(sources.length);
  expect(outputs.deadLetters).toHaveLength(malformed.length);
  const fingerprint = (topic: string | undefined, value: Buffer | null, code: string | undefined): string =>
    `${topic}|${code}|${value === null ? 'null' : value.toString('base64')}`;
  expect(
    outputs.deadLetters
      .map((r) =>
        fingerprint(
          headerString(r.headers, DEAD_LETTER_HEADERS.sourceTopic),
          r.value,
          headerString(r.headers, DEAD_LETTER_HEADERS.errorCode),
        ),
      )
      .sort(),
  ).toEqual(malformed.map((m) => fingerprint(m.topic, m.value, m.malformed?.reason)).sort());
}
