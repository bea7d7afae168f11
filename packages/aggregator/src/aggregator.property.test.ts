import type { ProductEvent, ProductEventType } from '@marketplace/product-events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { at } from '../test/fixtures.js';
import { expectedOutcomes, type OracleMetrics, oracleMetrics } from '../test/independentOracle.js';
import { applyEvent, replayToStates } from './applyEvent.js';
import { computeMetrics, type MetricsSnapshot } from './computeMetrics.js';
import { decodeMetricChange, encodeMetricChange, foldMetricChanges } from './metricChanges.js';
import { PartialAggregates } from './PartialAggregates.js';
import { decodeProductState, encodeProductState, encodeProductStateJson } from './productStateCodec.js';
import type { CategoryMetricValues, MetricChange, ProductState } from './types.js';

/** A record with keys in ascending order (as the decoder returns them). */
function sortedEntries<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/*
 * docs/architecture.md#processing-rules: for any input stream, with any duplication, any batching,
 * any crash/restart points and any interleaving of the three topics that keeps each product's
 * versions in order within a topic, the metrics equal computeMetrics(latest states) of the oracle.
 */

const MAX = Number.MAX_SAFE_INTEGER;
/** Generous per-test timeout: property runs share the CPU with other suites in CI. */
const PROPERTY_TIMEOUT_MS = 60_000;
const SELLERS = ['s-0', 's-1', 's-2', 's-3', 's-4'];
const CATEGORIES = ['c-0', 'c-1', 'c-2', 'c-3'];
/** Zero, two and three minor digits, and an unknown but well-formed code: each its own bucket. */
const CURRENCIES = ['EUR', 'JPY', 'KWD', 'USD', 'XTS'];

const priceArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(MAX, MAX - 1, 2 ** 40, 2 ** 53 - 2) },
);
const quantityArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 15 }) },
  { weight: 1, arbitrary: fc.constantFrom(MAX, 2 ** 30, 3) },
);

/** A field of a step: redrawn, or (`undefined`) kept from the product's previous step. */
const keepOr = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

/**
 * One change of a product: the event type, version gap, time, and the fields that change (each
 * field is kept from the previous step half of the time, so single-field changes such as a pure
 * category move or a pure status flip are common).
 */
const stepArb = fc.record({
  type: fc.constantFrom<ProductEventType>('product.created', 'product.updated', 'product.deleted'),
  versionGap: fc.integer({ min: 1, max: 3 }),
  sellerId: keepOr(fc.constantFrom(...SELLERS)),
  category: keepOr(fc.constantFrom(...CATEGORIES)),
  priceCents: keepOr(priceArb),
  currency: keepOr(fc.constantFrom(...CURRENCIES)),
  quantity: keepOr(quantityArb),
  status: keepOr(fc.constantFrom<'active' | 'inactive'>('active', 'inactive')),
  deleteHasCategory: fc.boolean(),
  seconds: fc.integer({ min: 0, max: 7_200 }),
});

/** The life of a product: its events in version order. */
const historyArb = fc.array(stepArb, { minLength: 1, maxLength: 10 });

type Step = typeof stepArb extends fc.Arbitrary<infer S> ? S : never;

function buildEvents(histories: Step[][]): ProductEvent[] {
  const events: ProductEvent[] = [];
  histories.forEach((steps, index) => {
    const productId = `p-${index}`;
    let version = 0;
    const data = {
      sellerId: 's-0',
      category: 'c-0',
      name: 'Widget',
      priceCents: 100,
      currency: 'EUR',
      quantity: 5,
      status: 'active' as 'active' | 'inactive',
    };
    for (const step of steps) {
      version += step.versionGap;
      data.sellerId = step.sellerId ?? data.sellerId;
      data.category = step.category ?? data.category;
      data.priceCents = step.priceCents ?? data.priceCents;
      data.currency = step.currency ?? data.currency;
      data.quantity = step.quantity ?? data.quantity;
      data.status = step.status ?? data.status;
      const envelope = {
        eventId: `${productId}-${version}`,
        schemaVersion: 1 as const,
        occurredAt: at(step.seconds),
        productId,
        version,
      };
      if (step.type === 'product.deleted') {
        events.push({
          ...envelope,
          type: step.type,
          data: step.deleteHasCategory
            ? { sellerId: data.sellerId, category: data.category }
            : { sellerId: data.sellerId },
        });
      } else {
        events.push({ ...envelope, type: step.type, data: { ...data } });
      }
    }
  });
  return events;
}

/**
 * Arbitrary interleaving of the three topics that keeps each (topic, product) chain in version
 * order: every event draws a random sort key, and within a chain the drawn keys are handed out in
 * ascending order, so the chain's events stay in order while chains interleave freely.
 */
function interleave(events: ProductEvent[], keys: number[]): ProductEvent[] {
  const chains = new Map<string, number[]>();
  events.forEach((event, index) => {
    const chain = `${event.type}|${event.productId}`;
    const list = chains.get(chain);
    if (list === undefined) chains.set(chain, [index]);
    else list.push(index);
  });
  const assigned = new Array<number>(events.length);
  for (const indexes of chains.values()) {
    const sortedKeys = indexes.map((i) => keys[i] as number).sort((a, b) => a - b);
    indexes.forEach((eventIndex, position) => {
      assigned[eventIndex] = sortedKeys[position] as number;
    });
  }
  return events
    .map((event, index) => ({ event, key: assigned[index] as number, index }))
    .sort((a, b) => a.key - b.key || a.index - b.index)
    .map((entry) => entry.event);
}

const scenarioArb = fc
  .record({
    histories: fc.array(historyArb, { minLength: 1, maxLength: 14 }),
    lowStockThreshold: fc.integer({ min: 0, max: 12 }),
    groups: fc.integer({ min: 1, max: 3 }),
  })
  .chain((base) => {
    const events = buildEvents(base.histories);
    const n = events.length;
    return fc.record({
      base: fc.constant(base),
      events: fc.constant(events),
      keys: fc.array(fc.nat(1_000), { minLength: n, maxLength: n }),
      // A duplicate of event `index`, redelivered right after position `after` of the stream.
      duplicates: fc.array(fc.record({ index: fc.nat(n - 1), after: fc.nat(2 * n) }), { maxLength: n }),
      groupOfProduct: fc.array(fc.nat(base.groups - 1), {
        minLength: base.histories.length,
        maxLength: base.histories.length,
      }),
      // Per delivered message: does a batch end after it, and how is that batch handled.
      batchEnds: fc.array(fc.boolean(), { minLength: 3 * n, maxLength: 3 * n }),
      batchModes: fc.array(
        fc.constantFrom('perEvent', 'reduceThenReplace', 'crashThenRedo', 'restartAfter'),
        {
          minLength: 3 * n,
          maxLength: 3 * n,
        },
      ),
    });
  });

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;
type BatchMode = Scenario['batchModes'][number];

interface Group {
  states: Map<string, ProductState>;
  partials: PartialAggregates;
  watermark: string;
}

/** Deliver: interleave the topics, then inject the duplicates at their positions. */
function deliveries(scenario: Scenario): ProductEvent[] {
  const ordered = interleave(scenario.events, scenario.keys);
  const stream: ProductEvent[] = [];
  ordered.forEach((event, position) => {
    stream.push(event);
    for (const dup of scenario.duplicates) {
      if (dup.after % ordered.length === position) stream.push(scenario.events[dup.index] as ProductEvent);
    }
  });
  return stream;
}

/** How `applyEvent` classified the deliveries (first processing of each batch only, not redone crashes). */
interface Outcomes {
  applied: number;
  duplicate: number;
  stale: number;
}

/** Runs one batch against a group in the given mode (the stage 1 main-thread work). */
function applyBatch(group: Group, batch: ProductEvent[], mode: BatchMode, outcomes?: Outcomes): void {
  if (mode === 'reduceThenReplace') {
    // As the worker pool does: reduce against prior states, then replace once per changed product.
    const priors = new Map<string, ProductState | undefined>();
    const finals = new Map<string, ProductState>();
    for (const event of batch) {
      const current = finals.get(event.productId) ?? group.states.get(event.productId);
      const result = applyEvent(current, event);
      if (outcomes) outcomes[result.kind] += 1;
      if (result.kind !== 'applied') continue;
      if (!priors.has(event.productId)) priors.set(event.productId, group.states.get(event.productId));
      finals.set(event.productId, result.state);
    }
    for (const [productId, next] of finals) {
      group.partials.replace(priors.get(productId), next);
      group.states.set(productId, next);
    }
  } else {
    for (const event of batch) {
      const prior = group.states.get(event.productId);
      const result = applyEvent(prior, event);
      if (outcomes) outcomes[result.kind] += 1;
      if (result.kind !== 'applied') continue;
      group.partials.replace(prior, result.state);
      group.states.set(event.productId, result.state);
    }
  }
  for (const event of batch) {
    if (event.occurredAt > group.watermark) group.watermark = event.occurredAt;
  }
}

/** Metrics as the sinks see them: entities whose rows all went to zero are left out, as in the oracle. */
function withoutEmptyEntities(snapshot: MetricsSnapshot): MetricsSnapshot {
  return {
    sellers: new Map([...snapshot.sellers].filter(([, v]) => v.totalProducts !== 0)),
    categories: new Map([...snapshot.categories].filter(([, v]) => v.productCount !== 0)),
    lowStock: snapshot.lowStock,
  };
}

function sortedByKey<V>(map: Map<string, V>): Array<[string, V]> {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function normalise(snapshot: MetricsSnapshot) {
  return {
    sellers: sortedByKey(snapshot.sellers),
    categories: sortedByKey(snapshot.categories),
    lowStock: sortedByKey(snapshot.lowStock),
  };
}

function run(scenario: Scenario): {
  produced: MetricChange[];
  groups: Group[];
  delivered: ProductEvent[];
  outcomes: Outcomes;
} {
  const options = { lowStockThreshold: scenario.base.lowStockThreshold };
  const groups: Group[] = Array.from({ length: scenario.base.groups }, () => ({
    states: new Map(),
    partials: new PartialAggregates(options),
    watermark: '',
  }));
  const groupOf = (event: ProductEvent) =>
    groups[scenario.groupOfProduct[Number(event.productId.slice(2))] as number] as Group;
  const produced: MetricChange[] = [];
  const outcomes: Outcomes = { applied: 0, duplicate: 0, stale: 0 };

  const stream = deliveries(scenario);
  let batch: ProductEvent[] = [];
  stream.forEach((event, position) => {
    batch.push(event);
    const last = position === stream.length - 1;
    if (!last && !scenario.batchEnds[position]) return;
    const mode = scenario.batchModes[position] as BatchMode;
    groups.forEach((group, index) => {
      const mine = batch.filter((e) => groupOf(e) === group);
      if (mode === 'crashThenRedo') {
        // Crash before the transaction commits: nothing produced, state restored from the
        // changelog (= states at batch start), partials rebuilt, the batch redelivered.
        const restored = new Map(group.states);
        applyBatch(group, mine, 'perEvent');
        group.states = restored;
        group.partials = PartialAggregates.fromStates(restored.values(), options);
      }
      applyBatch(group, mine, mode, outcomes);
      produced.push(...group.partials.takeChanges(index, group.watermark || at(0)));
      if (mode === 'restartAfter') {
        group.partials = PartialAggregates.fromStates(group.states.values(), options);
      }
    });
    batch = [];
  });
  return { produced, groups, delivered: stream, outcomes };
}

/** The aggregator's snapshot in the independent oracle's shape (sorted, for equality). */
function comparable(snapshot: MetricsSnapshot | OracleMetrics) {
  return normalise(snapshot as MetricsSnapshot);
}

describe('incremental aggregation equals the oracle', () => {
  it(
    'for any interleaving, duplication, batching, grouping and restart points',
    () => {
      fc.assert(
        fc.property(scenarioArb, (scenario) => {
          const options = { lowStockThreshold: scenario.base.lowStockThreshold };
          const inVersionOrder = [...scenario.events].sort(
            (a, b) => a.productId.localeCompare(b.productId) || a.version - b.version,
          );
          const oracleStates = replayToStates(inVersionOrder);
          // The independent oracle shares no code with the aggregator.
          const oracle = oracleMetrics(scenario.events, scenario.base.lowStockThreshold);

          const { produced, groups, delivered, outcomes } = run(scenario);

          // What the sinks end up with: last change per row, partial rows summed across groups.
          expect(comparable(withoutEmptyEntities(foldMetricChanges(produced)))).toEqual(comparable(oracle));
          // The events the aggregator ignored are exactly the duplicates and stale ones of the rule.
          expect(outcomes).toEqual(expectedOutcomes(delivered));
          // The groups' live partials together equal the oracle, and each agrees with computeMetrics
          // of its own states (the restore path).
          const live = groups.flatMap((group) => [...group.states.values()]);
          expect(comparable(withoutEmptyEntities(computeMetrics(live, options)))).toEqual(comparable(oracle));
          for (const group of groups) {
            expect(normalise(group.partials.snapshot())).toEqual(
              normalise(computeMetrics(group.states.values(), options)),
            );
          }
          // Every product ends at the oracle's latest version, seller and deletion.
          for (const [productId, expected] of oracleStates) {
            const actual = groups.map((g) => g.states.get(productId)).find((s) => s !== undefined);
            expect(actual).toMatchObject({
              version: expected.version,
              sellerId: expected.sellerId,
              deleted: expected.deleted,
            });
          }
        }),
        { numRuns: 500 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'restored partials equal the oracle for any set of states',
    () => {
      const stateArb = fc.record({
        productId: fc.string({ minLength: 1, maxLength: 4 }),
        version: fc.integer({ min: 1, max: 100 }),
        sellerId: fc.constantFrom(...SELLERS),
        category: fc.constantFrom('', ...CATEGORIES),
        priceCents: priceArb,
        currency: fc.constantFrom(...CURRENCIES),
        quantity: quantityArb,
        status: fc.constantFrom<'active' | 'inactive'>('active', 'inactive'),
        deleted: fc.boolean(),
        updatedAt: fc.constant(at(0)),
      });
      fc.assert(
        fc.property(
          fc.uniqueArray(stateArb, { selector: (s) => s.productId, maxLength: 40 }),
          fc.integer({ min: 0, max: 20 }),
          (states, lowStockThreshold) => {
            const partials = PartialAggregates.fromStates(states, { lowStockThreshold });

            expect(normalise(partials.snapshot())).toEqual(
              normalise(computeMetrics(states, { lowStockThreshold })),
            );
          },
        ),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('codecs round-trip', () => {
  it(
    'decodeProductState(encodeProductState(s)) equals s for any valid state, binary or JSON, lone surrogates included',
    () => {
      // Any code point, and now and then a lone surrogate (which the binary format hands to JSON).
      const text = (minLength: number) =>
        fc.oneof(
          { weight: 4, arbitrary: fc.string({ minLength, maxLength: 40, unit: 'binary' }) },
          fc.string({ minLength, maxLength: 8, unit: fc.constantFrom('a', 'é', '\ud800', '\udfff', '😀') }),
        );
      const stateArb = fc.record({
        productId: text(1),
        version: fc.integer({ min: 1, max: MAX }),
        sellerId: text(1),
        category: text(0),
        priceCents: fc.integer({ min: 0, max: MAX }),
        currency: fc.stringMatching(/^[A-Z]{3}$/),
        quantity: fc.integer({ min: 0, max: MAX }),
        status: fc.constantFrom<'active' | 'inactive'>('active', 'inactive'),
        deleted: fc.boolean(),
        updatedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      });
      fc.assert(
        fc.property(stateArb, (state) => {
          expect(decodeProductState(encodeProductState(state))).toEqual(state);
          expect(decodeProductState(encodeProductStateJson(state))).toEqual(state);
        }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'decodeMetricChange(encodeMetricChange(c)) equals c for any valid change',
    () => {
      const idArb = fc.string({ minLength: 1, maxLength: 40, unit: 'binary' });
      const count = fc.integer({ min: 0, max: MAX });
      const money = fc.bigInt({ min: 0n, max: 2n ** 120n });
      const currency = fc.stringMatching(/^[A-Z]{3}$/);
      const byCurrency = <T>(arb: fc.Arbitrary<T>) =>
        fc.dictionary(currency, arb, { maxKeys: 5 }).map((record) => sortedEntries(record));
      const common = {
        group: fc.integer({ min: 0, max: 10_000 }),
        eventTime: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        id: idArb,
      };
      const changeArb: fc.Arbitrary<MetricChange> = fc.oneof(
        fc.record({
          entity: fc.constant('seller' as const),
          ...common,
          values: fc.record({
            totalProducts: count,
            activeProducts: count,
            deletedProducts: count,
            lowStockCount: count,
            totalValue: byCurrency(money),
          }),
        }),
        fc.record({
          entity: fc.constant('category' as const),
          ...common,
          values: byCurrency(
            fc.record({ count: fc.integer({ min: 1, max: 2 ** 40 }), value: money, priceSum: money }),
          ).map((buckets) => {
            const values = {
              productCount: 0,
              pricedCount: {},
              totalValue: {},
              priceSum: {},
            } as CategoryMetricValues;
            for (const [code, bucket] of Object.entries(buckets)) {
              values.productCount += bucket.count;
              values.pricedCount[code] = bucket.count;
              values.totalValue[code] = bucket.value;
              values.priceSum[code] = bucket.priceSum;
            }
            return values;
          }),
        }),
        fc
          .record({
            ...common,
            sellerId: idArb,
            category: fc.string({ unit: 'binary' }),
            quantity: count,
            gone: fc.boolean(),
          })
          .map(({ sellerId, category, quantity, gone, ...rest }) => ({
            entity: 'lowStock' as const,
            ...rest,
            sellerId,
            values: gone ? null : { productId: rest.id, sellerId, category, quantity },
          })),
      );
      fc.assert(
        fc.property(changeArb, (change) => {
          expect(decodeMetricChange(encodeMetricChange(change))).toEqual(change);
        }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
