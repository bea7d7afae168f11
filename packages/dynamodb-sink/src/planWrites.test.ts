import { describe, expect, it } from 'vitest';
import {
  categoryOf,
  categoryRecord,
  lowStockRecord,
  sellerRecord,
  TOPIC,
} from '../../aggregator/test/metricChangeRecords.js';
import { InvalidRecordError } from './errors.js';
import { planWrites } from './planWrites.js';

const keysOf = (writes: ReturnType<typeof planWrites>): string[] =>
  writes.map((w) => `${w.pk} ${w.sk}`).sort();

describe('planWrites', () => {
  it('writes a current and an hourly row for a seller change, with provenance, row format and money per currency', () => {
    const writes = planWrites(
      [
        sellerRecord(
          's-1',
          { totalProducts: 2, totalValue: { JPY: 5n, USD: 12_345_678_901_234_567_890n } },
          { offset: 7, group: 2 },
        ),
      ],
      30,
    );

    expect(keysOf(writes)).toEqual(['SELLER#s-1 CUR#G2', 'SELLER#s-1 H#2026-11-25T17#G2']);
    const current = writes.find((w) => w.kind === 'current');
    expect(current?.offset).toBe('7');
    expect(current?.item).toMatchObject({
      totalProducts: { N: '2' },
      totalValue: { M: { JPY: { N: '5' }, USD: { N: '12345678901234567890' } } },
      rowFormat: { N: '3' },
      epoch: { N: '0' },
      sourceOffset: { N: '7' },
      sourceTopic: { S: TOPIC },
      sourcePartition: { N: '2' },
      group: { N: '2' },
    });
    expect(current?.item['ttl']).toBeUndefined();
    const history = writes.find((w) => w.kind === 'history');
    expect(history?.item['ttl']).toEqual({ N: String(Date.parse('2026-12-25T18:00:00Z') / 1000) });
    expect(history?.item['hour']).toEqual({ S: '2026-11-25T17' });
  });

  it('takes the history retention from historyTtlDays', () => {
    const writes = planWrites([sellerRecord('s-1', {}, { offset: 1, eventTime: '2026-11-25T17:05:00Z' })], 7);

    expect(writes.find((w) => w.kind === 'history')?.item['ttl']).toEqual({
      N: String(Date.parse('2026-12-02T18:00:00Z') / 1000),
    });
  });

  it('stores category sums per currency, only the currencies present, without an average', () => {
    const [current] = planWrites(
      [
        categoryRecord('books', categoryOf({ KWD: [1, 8250n, 4125n], USD: [2, 3000n, 3000n] }), {
          offset: 1,
        }),
      ],
      30,
    );

    expect(current?.pk).toBe('CATEGORY#books');
    expect(current?.item).toMatchObject({
      productCount: { N: '3' },
      pricedCount: { M: { KWD: { N: '1' }, USD: { N: '2' } } },
      totalValue: { M: { KWD: { N: '8250' }, USD: { N: '3000' } } },
      priceSum: { M: { KWD: { N: '4125' }, USD: { N: '3000' } } },
    });
    expect(current?.item['averagePrice']).toBeUndefined();
  });

  it('stores an empty category with empty maps', () => {
    const [current] = planWrites([categoryRecord('books', {}, { offset: 1 })], 30);

    expect(current?.item).toMatchObject({
      productCount: { N: '0' },
      pricedCount: { M: {} },
      totalValue: { M: {} },
    });
  });

  it('keeps the last record per row and one hourly row per hour touched', () => {
    const writes = planWrites(
      [
        sellerRecord('s-1', { totalProducts: 1 }, { offset: 1, eventTime: '2026-11-25T17:10:00Z' }),
        sellerRecord('s-1', { totalProducts: 2 }, { offset: 2, eventTime: '2026-11-25T17:20:00Z' }),
        sellerRecord('s-1', { totalProducts: 3 }, { offset: 3, eventTime: '2026-11-25T18:01:00Z' }),
      ],
      30,
    );

    expect(keysOf(writes)).toEqual([
      'SELLER#s-1 CUR#G0',
      'SELLER#s-1 H#2026-11-25T17#G0',
      'SELLER#s-1 H#2026-11-25T18#G0',
    ]);
    const byKey = new Map(writes.map((w) => [w.sk, w.item['totalProducts']?.N]));
    expect(byKey.get('CUR#G0')).toBe('3');
    expect(byKey.get('H#2026-11-25T17#G0')).toBe('2');
    expect(byKey.get('H#2026-11-25T18#G0')).toBe('3');
  });

  it('keeps the record with the highest offset even when the batch is out of order', () => {
    const writes = planWrites(
      [
        sellerRecord('s-1', { totalProducts: 10 }, { offset: 10 }),
        sellerRecord('s-1', { totalProducts: 9 }, { offset: 9 }),
      ],
      30,
    );

    expect(writes.find((w) => w.kind === 'current')?.item['totalProducts']).toEqual({ N: '10' });
  });

  it('keeps the record of the newest epoch over a higher offset of an older epoch', () => {
    const writes = planWrites(
      [
        sellerRecord('s-1', { totalProducts: 9 }, { offset: 50, epoch: 1 }),
        sellerRecord('s-1', { totalProducts: 2 }, { offset: 3, epoch: 2 }),
        sellerRecord('s-1', { totalProducts: 7 }, { offset: 40 }),
      ],
      30,
    );

    const current = writes.find((w) => w.kind === 'current');
    expect(current).toMatchObject({ epoch: 2, offset: '3' });
    expect(current?.item).toMatchObject({ totalProducts: { N: '2' }, epoch: { N: '2' } });
  });

  it('rejects a record whose epoch is not an integer >= 0', () => {
    expect(() => planWrites([sellerRecord('s-1', {}, { offset: 1, epoch: -1 })], 30)).toThrow(
      /source\.epoch must be an integer >= 0/,
    );
  });

  it('writes low-stock entries as rows and removals as tombstones with a ttl', () => {
    const writes = planWrites(
      [
        lowStockRecord('s-1', 'p-1', { category: 'books', quantity: 3 }, { offset: 1 }),
        lowStockRecord('s-1', 'p-2', null, { offset: 2 }),
      ],
      30,
    );

    const entry = writes.find((w) => w.sk === 'p-1');
    expect(entry).toMatchObject({ kind: 'lowStock', pk: 'LOWSTOCK#s-1' });
    expect(entry?.item).toMatchObject({ quantity: { N: '3' }, category: { S: 'books' } });
    const tombstone = writes.find((w) => w.sk === 'p-2');
    expect(tombstone).toMatchObject({ kind: 'lowStockRemoval', pk: 'LOWSTOCK#s-1' });
    expect(tombstone?.item).toMatchObject({ removed: { BOOL: true }, sourceOffset: { N: '2' } });
    // Event time 2026-11-25T17:05Z: end of that hour plus 30 days.
    expect(tombstone?.item['ttl']?.N).toBe(String(Date.parse('2026-12-25T18:00:00Z') / 1000));
  });

  it('lets a later removal in the batch win over an earlier put of the same entry', () => {
    const writes = planWrites(
      [
        lowStockRecord('s-1', 'p-1', { category: 'books', quantity: 3 }, { offset: 1 }),
        lowStockRecord('s-1', 'p-1', null, { offset: 2 }),
      ],
      30,
    );

    expect(writes).toHaveLength(1);
    expect(writes[0]?.kind).toBe('lowStockRemoval');
  });

  it.each([
    ['a non-decimal offset', { source: { topic: TOPIC, partition: 0, offset: '-1' } }, 'source.offset'],
    [
      'an offset longer than DynamoDB numbers hold',
      { source: { topic: TOPIC, partition: 0, offset: '1'.repeat(39) } },
      'source.offset',
    ],
    ['a missing source', { source: undefined }, 'source.topic'],
    ['an empty topic', { source: { topic: '', partition: 0, offset: '1' } }, 'source.topic'],
    ['a negative partition', { source: { topic: TOPIC, partition: -1, offset: '1' } }, 'source.partition'],
    ['a fractional group', { group: 1.5 }, 'group'],
    ['an empty id', { id: '' }, 'id'],
    ['an unparsable event time', { eventTime: 'yesterday' }, 'eventTime'],
    ['an unknown entity', { entity: 'warehouse' }, 'unknown entity'],
    ['null values for a seller', { values: null }, 'values'],
    ['a negative count', { values: { totalProducts: -1 } }, 'values.totalProducts must be an integer >= 0'],
    ['money as one sum', { values: { totalValue: 5n } }, 'values.totalValue must be a map by currency'],
    ['money as null', { values: { totalValue: null } }, 'values.totalValue must be a map by currency'],
    [
      'money as a number',
      { values: { totalValue: { USD: 5 } } },
      'values.totalValue.USD must be a bigint >= 0 under an ISO 4217 code',
    ],
    [
      'negative money',
      { values: { totalValue: { USD: -5n } } },
      'values.totalValue.USD must be a bigint >= 0 under an ISO 4217 code',
    ],
    [
      'a lower-case currency',
      { values: { totalValue: { usd: 5n } } },
      'values.totalValue.usd must be a bigint >= 0 under an ISO 4217 code',
    ],
    [
      'a fractional count per currency',
      {
        entity: 'category',
        values: { productCount: 1, pricedCount: { USD: 0.5 }, totalValue: {}, priceSum: {} },
      },
      'values.pricedCount.USD must be an integer >= 0 under an ISO 4217 code',
    ],
  ])('rejects a record with %s before writing anything', (_name, patch, message) => {
    const record = { ...sellerRecord('s-1', {}, { offset: 1 }), ...patch } as never;

    expect(() => planWrites([record], 30)).toThrow(InvalidRecordError);
    expect(() => planWrites([record], 30)).toThrow(message);
  });

  it('rejects a low-stock entry without a category', () => {
    const record = lowStockRecord('s-1', 'p-1', { category: undefined as never, quantity: 1 }, { offset: 1 });

    expect(() => planWrites([record], 30)).toThrow('values.category must be a string');
  });

  it('rejects a low-stock record without a seller', () => {
    const record = { ...lowStockRecord('s-1', 'p-1', null, { offset: 1 }), sellerId: '' };

    expect(() => planWrites([record], 30)).toThrow(/sellerId/);
  });
});
