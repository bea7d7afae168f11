/**
 * Test fixture for the sinks' integration tests: a generated marketplace stream priced in five
 * currencies (USD, EUR, JPY with no minor digits, KWD with three, and the unknown but well-formed
 * XTS), with currency changes, deletes and re-creates, aggregated by the pure stage-1 code into
 * metric-change records as stage 2 reads them (through the record codec, with source positions).
 * Imported by relative path; not part of the published package.
 */
import { generateMarketplaceStream, type ProductEvent, parseProductEvent } from '@marketplace/product-events';
import { applyEvent } from '../src/applyEvent.js';
import { decodeMetricChange, encodeMetricChange } from '../src/metricChanges.js';
import { PartialAggregates } from '../src/PartialAggregates.js';
import type { MetricChangeRecord, ProductState } from '../src/types.js';
import { TOPIC } from './metricChangeRecords.js';

/** The currency mix of the stream. */
export const MULTI_CURRENCY_MIX = Object.freeze({ USD: 6, EUR: 2, JPY: 2, KWD: 1, XTS: 1 });

/** A multi-currency stream: its valid events (for the oracle) and the records stage 1 produces from them. */
export interface MultiCurrencyStream {
  events: ProductEvent[];
  /** In production order per partition (= group), offsets from 0 per partition. */
  records: MetricChangeRecord[];
}

/**
 * Generates and aggregates a stream of `events` messages over `groups` groups (products hashed to
 * groups), taking the changes every `batch` events.
 */
export function multiCurrencyStream(options: {
  seed: number;
  events: number;
  groups?: number;
  batch?: number;
}): MultiCurrencyStream {
  const groups = options.groups ?? 3;
  const batch = options.batch ?? 200;
  const states = Array.from({ length: groups }, () => new Map<string, ProductState>());
  const partials = Array.from({ length: groups }, () => new PartialAggregates());
  const watermarks = Array.from({ length: groups }, () => '');
  const offsets = Array.from({ length: groups }, () => 0);
  const events: ProductEvent[] = [];
  const records: MetricChangeRecord[] = [];
  const groupOf = (productId: string): number => Number(productId.slice(2)) % groups;
  const flush = (): void => {
    for (let group = 0; group < groups; group += 1) {
      const time = watermarks[group] || '2026-01-01T00:00:00.000Z';
      for (const change of (partials[group] as PartialAggregates).takeChanges(group, time)) {
        const offset = offsets[group] as number;
        offsets[group] = offset + 1;
        // Through the wire format, as stage 2 reads it.
        const decoded = decodeMetricChange(encodeMetricChange(change));
        records.push({ ...decoded, source: { topic: TOPIC, partition: group, offset: String(offset) } });
      }
    }
  };
  let count = 0;
  for (const message of generateMarketplaceStream({
    seed: options.seed,
    events: options.events,
    products: Math.max(20, Math.floor(options.events / 10)),
    sellers: 8,
    categories: 5,
    currencyMix: MULTI_CURRENCY_MIX,
    currencyChangeRate: 0.3,
    deleteRate: 0.05,
    recreateRate: 0.5,
  })) {
    const parsed = parseProductEvent(message.value, { key: message.key, headers: message.headers });
    if (!parsed.ok) throw new Error(`generated an invalid event: ${parsed.error.message}`);
    const event = parsed.event;
    events.push(event);
    const group = groupOf(event.productId);
    const groupStates = states[group] as Map<string, ProductState>;
    const prior = groupStates.get(event.productId);
    const result = applyEvent(prior, event);
    if (result.kind === 'applied') {
      (partials[group] as PartialAggregates).replace(prior, result.state);
      groupStates.set(event.productId, result.state);
    }
    if (event.occurredAt > (watermarks[group] as string)) watermarks[group] = event.occurredAt;
    count += 1;
    if (count % batch === 0) flush();
  }
  flush();
  return { events, records };
}
