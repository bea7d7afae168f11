import {
  decodeMetricChange,
  decodeProductState,
  type MetricChange,
  type ProductState,
} from '@marketplace/analytics-aggregator';
import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INTERNAL_TOPICS } from './defaults.js';
import type { LowStockAlert } from './lowStockAlertMessage.js';
import { type BatchOutputInput, metricChangeRecords, planBatchOutput } from './planBatchOutput.js';

const TOPICS = { ...DEFAULT_INTERNAL_TOPICS, productState: 'state', deadLetter: 'dlq' };

const state = (productId: string, quantity: number, extra: Partial<ProductState> = {}): ProductState => ({
  productId,
  version: 2,
  sellerId: 's-1',
  category: 'books',
  priceCents: 250,
  currency: 'EUR',
  quantity,
  status: 'active',
  deleted: false,
  updatedAt: '2026-11-27T10:00:00.000Z',
  ...extra,
});

const sellerChange: MetricChange = {
  entity: 'seller',
  group: 2,
  eventTime: '2026-11-27T10:00:00.000Z',
  id: 's-1',
  values: {
    totalProducts: 1,
    activeProducts: 1,
    deletedProducts: 0,
    lowStockCount: 0,
    totalValue: { EUR: 5000n },
  },
};

const input = (overrides: Partial<BatchOutputInput> = {}): BatchOutputInput => ({
  group: 2,
  epoch: 3,
  topics: TOPICS,
  lowStockThreshold: 10,
  stateChanges: [],
  metricChanges: [],
  deadLetters: [],
  reroutes: [],
  consumed: { topic: 'product.updated', partition: 2, lastOffset: '41' },
  ...overrides,
});

const topicsOf = (plan: ReturnType<typeof planBatchOutput>): string[] => plan.outputs.map((o) => o.topic);
const recordsOf = (plan: ReturnType<typeof planBatchOutput>, topic: string): Message[] =>
  plan.outputs.find((o) => o.topic === topic)!.messages;

describe('planBatchOutput', () => {
  it('commits the offset after the last consumed one, for the consumed topic and partition', () => {
    const plan = planBatchOutput(
      input({ consumed: { topic: 'analytics.reroute', partition: 2, lastOffset: '9007199254740993' } }),
    );

    expect(plan.offset).toEqual({ topic: 'analytics.reroute', partition: 2, offset: '9007199254740994' });
  });

  it('plans every output topic in a fixed order, empty ones included, for a batch that changed nothing', () => {
    const plan = planBatchOutput(input());

    expect(topicsOf(plan)).toEqual([
      'state',
      'analytics.metric-changes',
      'dlq',
      'inventory.low-stock',
      'analytics.reroute',
    ]);
    expect(plan.outputs.every((o) => o.messages.length === 0)).toBe(true);
    expect([plan.changedStates, plan.metricChanges, plan.alerts]).toEqual([0, 0, 0]);
  });

  it('writes one changelog record per changed state to the group partition, keyed by product id, in reduce order', () => {
    const a = state('p-a', 20);
    const b = state('p-b', 30, { deleted: true });

    const plan = planBatchOutput(
      input({
        stateChanges: [
          { previous: undefined, next: a },
          { previous: a, next: b },
        ],
      }),
    );

    const records = recordsOf(plan, 'state');
    expect(records.map((r) => [r.key, r.partition])).toEqual([
      ['p-a', 2],
      ['p-b', 2],
    ]);
    expect(records.map((r) => decodeProductState(r.value as Buffer))).toEqual([a, b]);
    expect(plan.changedStates).toBe(2);
  });

  it('alerts only for products that went below the threshold: new and low, or low after being stocked', () => {
    const plan = planBatchOutput(
      input({
        stateChanges: [
          { previous: undefined, next: state('new-low', 3) },
          { previous: state('fell', 12), next: state('fell', 9, { version: 3 }) },
          { previous: state('still-low', 2), next: state('still-low', 1) },
          { previous: undefined, next: state('new-stocked', 10) },
          { previous: state('deleted-low', 2, { deleted: true }), next: state('deleted-low', 4) },
          { previous: undefined, next: state('tombstone', 0, { deleted: true }) },
        ],
      }),
    );

    const alerts = recordsOf(plan, 'inventory.low-stock');
    expect(alerts.map((r) => [r.key, r.partition])).toEqual([
      ['new-low', 2],
      ['fell', 2],
      ['deleted-low', 2],
    ]);
    const fell = JSON.parse(String(alerts[1]!.value)) as LowStockAlert;
    expect(fell).toEqual({
      productId: 'fell',
      sellerId: 's-1',
      category: 'books',
      quantity: 9,
      threshold: 10,
      occurredAt: '2026-11-27T10:00:00.000Z',
      version: 3,
    });
    expect(plan.alerts).toBe(3);
    expect(plan.changedStates).toBe(6);
  });

  it('judges low stock by the given threshold', () => {
    const plan = planBatchOutput(
      input({ lowStockThreshold: 0, stateChanges: [{ previous: undefined, next: state('p-1', 0) }] }),
    );

    expect(recordsOf(plan, 'inventory.low-stock')).toEqual([]);
  });

  it('stamps metric changes with the group epoch and sends them to the group partition', () => {
    const plan = planBatchOutput(input({ metricChanges: [sellerChange] }));

    const [record, ...rest] = recordsOf(plan, 'analytics.metric-changes');
    expect(rest).toEqual([]);
    expect(record!.key).toBe('seller#2#s-1');
    expect(record!.partition).toBe(2);
    expect(record!.headers).toEqual({ 'analytics-epoch': '3' });
    expect(decodeMetricChange(record!.value as Buffer)).toEqual(sellerChange);
    expect(plan.metricChanges).toBe(1);
  });

  it('passes dead letters and reroutes through unchanged, without sharing the caller arrays', () => {
    const deadLetters: Message[] = [{ key: 'bad', value: 'x', partition: 2 }];
    const reroutes: Message[] = [{ key: 'p-9', value: 'y', partition: 0 }];

    const plan = planBatchOutput(input({ deadLetters, reroutes }));

    expect(recordsOf(plan, 'dlq')).toEqual(deadLetters);
    expect(recordsOf(plan, 'dlq')).not.toBe(deadLetters);
    expect(recordsOf(plan, 'analytics.reroute')).toEqual(reroutes);
    expect(recordsOf(plan, 'analytics.reroute')).not.toBe(reroutes);
  });
});

describe('metricChangeRecords', () => {
  it('keys each change by metricChangeKey, on the given partition, with the epoch header', () => {
    const records = metricChangeRecords([sellerChange, { ...sellerChange, id: 's/2' }], 7, 0);

    expect(records.map((r) => [r.key, r.partition, r.headers])).toEqual([
      ['seller#2#s-1', 7, { 'analytics-epoch': '0' }],
      ['seller#2#s%2F2', 7, { 'analytics-epoch': '0' }],
    ]);
  });
});
