import { DeleteTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  categoryOf,
  categoryRecord,
  sellerRecord,
  sellerValues,
} from '../../../aggregator/test/metricChangeRecords.js';
import { uniqueName } from '../../../local-stack/test/clients.js';
import {
  DynamoDbMetricsSink,
  DynamoRequestError,
  ensureMetricsTable,
  MetricsReader,
  UnsupportedRowFormatError,
} from '../../src/index.js';
import { awsError, injectFaults, singleAttemptClient } from './helpers.js';

const client = singleAttemptClient();
const tableName = uniqueName('metrics-reader');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string): Date => new Date(iso);

beforeAll(async () => {
  await ensureMetricsTable(client, { tableName });
  const sink = new DynamoDbMetricsSink({ client, tableName });
  // Three hours of changes: group 0 changes at 10:xx and 12:xx, group 1 at 10:xx and 11:xx.
  await sink.write([
    sellerRecord(
      's-hist',
      { totalProducts: 1, totalValue: { USD: 10n } },
      { offset: 1, group: 0, eventTime: '2026-11-20T10:05:00Z' },
    ),
    sellerRecord(
      's-hist',
      { totalProducts: 2, totalValue: { USD: 20n } },
      { offset: 2, group: 0, eventTime: '2026-11-20T10:45:00Z' },
    ),
    sellerRecord(
      's-hist',
      { totalProducts: 5, totalValue: { USD: 50n } },
      { offset: 1, group: 1, eventTime: '2026-11-20T10:30:00Z' },
    ),
    sellerRecord(
      's-hist',
      { totalProducts: 6, totalValue: { USD: 60n } },
      { offset: 2, group: 1, eventTime: '2026-11-20T11:15:00Z' },
    ),
  ]);
  await sink.write([
    sellerRecord(
      's-hist',
      { totalProducts: 3, totalValue: { USD: 30n } },
      { offset: 3, group: 0, eventTime: '2026-11-20T12:59:59Z' },
    ),
    categoryRecord('c-hist', categoryOf({ JPY: [2, 6n, 3n] }), {
      offset: 1,
      group: 0,
      eventTime: '2026-11-20T10:00:00Z',
    }),
    categoryRecord('c-hist', categoryOf({ JPY: [3, 18n, 9n], KWD: [1, 4125n, 4125n] }), {
      offset: 2,
      group: 0,
      eventTime: '2026-11-20T12:00:00Z',
    }),
  ]);
  // A quiet group: last change long before the retention window, so only its current row is live.
  await sink.write([
    sellerRecord('s-quiet', { totalProducts: 4 }, { offset: 1, group: 0, eventTime: '2026-09-01T08:00:00Z' }),
    sellerRecord('s-quiet', { totalProducts: 1 }, { offset: 1, group: 1, eventTime: '2026-11-20T12:10:00Z' }),
  ]);
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  client.destroy();
});

describe('MetricsReader history', () => {
  it('writes one row per hour and group, expiring at the end of the hour plus 30 days', async () => {
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: 'SELLER#s-hist' }, sk: { S: 'H#2026-11-20T10#G0' } },
        ConsistentRead: true,
      }),
    );

    expect(Item?.['totalProducts']).toEqual({ N: '2' });
    expect(Item?.['ttl']).toEqual({ N: String(Date.parse('2026-12-20T11:00:00Z') / 1000) });
  });

  it('sums groups per hour and carries unchanged groups forward', async () => {
    const reader = new MetricsReader({ client, tableName, now: () => at('2026-11-20T14:30:00Z') });

    const history = await reader.getSellerHistory(
      's-hist',
      at('2026-11-20T10:00:00Z'),
      at('2026-11-20T13:59:00Z'),
    );

    expect(history).toEqual([
      {
        hour: '2026-11-20T10:00:00.000Z',
        values: sellerValues({ totalProducts: 7, totalValue: { USD: 70n } }),
      },
      {
        hour: '2026-11-20T11:00:00.000Z',
        values: sellerValues({ totalProducts: 8, totalValue: { USD: 80n } }),
      },
      {
        hour: '2026-11-20T12:00:00.000Z',
        values: sellerValues({ totalProducts: 9, totalValue: { USD: 90n } }),
      },
      {
        hour: '2026-11-20T13:00:00.000Z',
        values: sellerValues({ totalProducts: 9, totalValue: { USD: 90n } }),
      },
    ]);
  });

  it('seeds a range with the values from before it and stops at the current hour', async () => {
    const reader = new MetricsReader({
      client,
      tableName,
      now: () => at('2026-11-20T13:10:00Z'),
      pageSize: 1,
    });

    const history = await reader.getSellerHistory(
      's-hist',
      at('2026-11-20T11:30:00Z'),
      at('2026-11-21T00:00:00Z'),
    );

    expect(history.map((h) => [h.hour.slice(11, 13), h.values.totalProducts])).toEqual([
      ['11', 8],
      ['12', 9],
      ['13', 9],
    ]);
  });

  it('ignores rows whose ttl has passed', async () => {
    // Just after 10:00's row expires (end of hour 10 + 30 days), before 11:00's does.
    const reader = new MetricsReader({
      client,
      tableName,
      now: () => new Date(Date.parse('2026-11-20T11:00:00Z') + 30 * DAY + 1000),
    });

    const history = await reader.getSellerHistory(
      's-hist',
      at('2026-11-20T10:00:00Z'),
      at('2026-11-20T12:00:00Z'),
    );

    expect(history.map((h) => [h.hour.slice(11, 13), h.values.totalProducts])).toEqual([
      ['11', 6],
      ['12', 9],
    ]);
  });

  it('carries a group whose history has expired from its current row', async () => {
    const reader = new MetricsReader({ client, tableName, now: () => at('2026-11-20T14:30:00Z') });

    const history = await reader.getSellerHistory(
      's-quiet',
      at('2026-11-20T11:00:00Z'),
      at('2026-11-20T13:00:00Z'),
    );
    const beforeAnyChange = await reader.getSellerHistory(
      's-quiet',
      at('2026-08-01T00:00:00Z'),
      at('2026-08-31T00:00:00Z'),
    );

    expect(history.map((h) => [h.hour.slice(11, 13), h.values.totalProducts])).toEqual([
      ['11', 4],
      ['12', 5],
      ['13', 5],
    ]);
    expect(beforeAnyChange).toEqual([]);
  });

  it('derives the category average per currency per hour', async () => {
    const reader = new MetricsReader({ client, tableName, now: () => at('2026-11-20T12:30:00Z') });

    const history = await reader.getCategoryHistory(
      'c-hist',
      at('2026-11-20T10:00:00Z'),
      at('2026-11-20T12:00:00Z'),
    );

    // 3 / 2 = 1.5 rounds half up to 2 yen; then 9 / 3 = 3 yen and one product at 4.125 KWD.
    expect(history.map((h) => [h.hour.slice(11, 13), h.values.averagePrice])).toEqual([
      ['10', { JPY: 2n }],
      ['11', { JPY: 2n }],
      ['12', { JPY: 3n, KWD: 4125n }],
    ]);
  });

  it('returns an empty series for an unknown entity or a range in the future', async () => {
    const reader = new MetricsReader({ client, tableName, now: () => at('2026-11-20T14:30:00Z') });

    expect(
      await reader.getSellerHistory('s-unknown', at('2026-11-20T00:00:00Z'), at('2026-11-20T14:00:00Z')),
    ).toEqual([]);
    expect(
      await reader.getSellerHistory('s-hist', at('2026-11-21T00:00:00Z'), at('2026-11-22T00:00:00Z')),
    ).toEqual([]);
  });
});

describe('MetricsReader row formats', () => {
  it('fails with a clear error on a row written before money per currency, never misreading it', async () => {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: 'SELLER#s-format-1' },
          sk: { S: 'CUR#G0' },
          entity: { S: 'seller' },
          id: { S: 's-format-1' },
          group: { N: '0' },
          eventTime: { S: '2026-11-20T10:00:00Z' },
          totalProducts: { N: '1' },
          activeProducts: { N: '1' },
          deletedProducts: { N: '0' },
          totalValueCents: { N: '1999' },
          lowStockCount: { N: '0' },
        },
      }),
    );
    const reader = new MetricsReader({ client, tableName, consistentRead: true });

    const error = await reader.getSellerMetrics('s-format-1').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnsupportedRowFormatError);
    expect(error).toMatchObject({
      code: 'UNSUPPORTED_ROW_FORMAT',
      pk: 'SELLER#s-format-1',
      sk: 'CUR#G0',
      found: undefined,
      expected: 3,
    });
  });
});

// Throttling and 5xx are injected with an SDK middleware (client.middlewareStack.add, see
// helpers.ts): the only SDK mock here. Missing tables/buckets are real server answers.
describe('MetricsReader under faults', () => {
  it('retries a throttled query, then answers', async () => {
    const faulty = singleAttemptClient();
    const { seen } = injectFaults(faulty, 'QueryCommand', [
      awsError('ThrottlingException', 400),
      awsError('InternalServerError', 500),
    ]);
    const reader = new MetricsReader({
      client: faulty,
      tableName,
      retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2 },
    });

    const metrics = await reader.getSellerMetrics('s-hist');

    expect(metrics?.totalProducts).toBe(9);
    expect(seen).toHaveLength(3);
    faulty.destroy();
  });

  it('fails at once when the table does not exist', async () => {
    const reader = new MetricsReader({ client, tableName: uniqueName('missing') });

    const error = await reader.listLowStock('s-1').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DynamoRequestError);
    expect(error).toMatchObject({ code: 'READ_FAILED', attempts: 1, operation: 'Query' });
  });
});
