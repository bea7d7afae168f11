import { DeleteTableCommand, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  categoryOf,
  categoryRecord,
  lowStockRecord,
  sellerRecord,
} from '../../../aggregator/test/metricChangeRecords.js';
import { uniqueName } from '../../../local-stack/test/clients.js';
import {
  DynamoDbMetricsSink,
  DynamoRequestError,
  ensureMetricsTable,
  InvalidRecordError,
  MetricsReader,
} from '../../src/index.js';
import { awsError, injectFaults, singleAttemptClient } from './helpers.js';

const client = singleAttemptClient();
const tableName = uniqueName('metrics-sink');
const fastRetry = { retries: 4, minDelayMs: 1, maxDelayMs: 5 };

async function rowsOf(pk: string): Promise<Array<Record<string, unknown>>> {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk } },
      ConsistentRead: true,
    }),
  );
  return Items;
}

beforeAll(async () => {
  const warn = vi.fn();
  const first = await ensureMetricsTable(client, {
    tableName,
    logger: { debug() {}, info() {}, warn, error() {} },
  });
  expect(first.created).toBe(true);
  expect(['enabled', 'unsupported']).toContain(first.ttl);
  expect(warn).toHaveBeenCalledTimes(first.ttl === 'unsupported' ? 1 : 0);
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  client.destroy();
});

describe('ensureMetricsTable', () => {
  it('leaves an existing table as it is', async () => {
    const again = await ensureMetricsTable(client, { tableName });

    expect(again.created).toBe(false);
  });
});

describe('DynamoDbMetricsSink', () => {
  const sink = new DynamoDbMetricsSink({ client, tableName, retry: fastRetry });
  const reader = new MetricsReader({ client, tableName, consistentRead: true });

  it('leaves rows unchanged when the same batch is replayed and when an older batch comes after a newer one', async () => {
    const older = [
      sellerRecord('s-replay', { totalProducts: 1, totalValue: { USD: 100n } }, { offset: 10 }),
      sellerRecord('s-replay', { totalProducts: 2, totalValue: { USD: 200n } }, { offset: 11 }),
    ];
    const newer = [sellerRecord('s-replay', { totalProducts: 3, totalValue: { JPY: 300n } }, { offset: 12 })];

    const firstOlder = await sink.write(older);
    const firstNewer = await sink.write(newer);
    const rowsAfterNewer = await rowsOf('SELLER#s-replay');
    const replayNewer = await sink.write(newer);
    const replayOlder = await sink.write(older);

    expect(firstOlder).toEqual({ rowsWritten: 2, conditionalSkips: 0, requests: 2 });
    expect(firstNewer.rowsWritten).toBe(2);
    expect(replayNewer).toEqual({ rowsWritten: 0, conditionalSkips: 2, requests: 2 });
    expect(replayOlder).toEqual({ rowsWritten: 0, conditionalSkips: 2, requests: 2 });
    expect(await rowsOf('SELLER#s-replay')).toEqual(rowsAfterNewer);
    expect(await reader.getSellerMetrics('s-replay')).toMatchObject({
      totalProducts: 3,
      totalValue: { JPY: 300n },
    });
  });

  it('stores the source position and money beyond 2^53 exactly', async () => {
    const big = 2n ** 70n + 1n;
    await sink.write([
      sellerRecord('s-big', { totalValue: { KWD: big, USD: 1n } }, { offset: 5, group: 4, partition: 4 }),
    ]);

    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: 'SELLER#s-big' }, sk: { S: 'CUR#G4' } },
        ConsistentRead: true,
      }),
    );

    expect(Item).toMatchObject({
      sourceOffset: { N: '5' },
      sourcePartition: { N: '4' },
      sourceTopic: { S: 'analytics.metric-changes' },
      rowFormat: { N: '3' },
      epoch: { N: '0' },
      totalValue: { M: { KWD: { N: big.toString() }, USD: { N: '1' } } },
    });
    expect((await reader.getSellerMetrics('s-big'))?.totalValue).toEqual({ KWD: big, USD: 1n });
  });

  it('sums the partial rows of several groups per currency and derives the category averages', async () => {
    await sink.write([
      sellerRecord(
        's-sum',
        {
          totalProducts: 2,
          activeProducts: 1,
          deletedProducts: 1,
          totalValue: { USD: 500n },
          lowStockCount: 1,
        },
        { offset: 1, group: 0 },
      ),
      sellerRecord(
        's-sum',
        { totalProducts: 3, activeProducts: 3, totalValue: { JPY: 9000n, USD: 700n } },
        { offset: 1, group: 1 },
      ),
      sellerRecord('s-sum', { totalProducts: 1, deletedProducts: 1 }, { offset: 2, group: 2 }),
      categoryRecord('books', categoryOf({ USD: [2, 1000n, 301n] }), { offset: 3, group: 0 }),
      categoryRecord('books', categoryOf({ USD: [2, 10n, 100n], KWD: [1, 41250n, 4125n] }), {
        offset: 2,
        group: 1,
      }),
      categoryRecord('empty', { productCount: 0 }, { offset: 4, group: 0 }),
    ]);

    expect(await reader.getSellerMetrics('s-sum')).toEqual({
      totalProducts: 6,
      activeProducts: 4,
      deletedProducts: 2,
      totalValue: { JPY: 9000n, USD: 1200n },
      lowStockCount: 1,
    });
    expect(await reader.getCategoryMetrics('books')).toEqual({
      productCount: 5,
      pricedCount: { KWD: 1, USD: 4 },
      totalValue: { KWD: 41250n, USD: 1010n },
      priceSum: { KWD: 4125n, USD: 401n },
      // 401 / 4 = 100.25 -> 100 cents; one KWD product at 4.125 KWD.
      averagePrice: { KWD: 4125n, USD: 100n },
    });
    expect(await reader.getCategoryMetrics('empty')).toEqual({
      productCount: 0,
      pricedCount: {},
      totalValue: {},
      priceSum: {},
      averagePrice: {},
    });
  });

  it('returns undefined, not zeros, for an entity never written', async () => {
    expect(await reader.getSellerMetrics('s-never')).toBeUndefined();
    expect(await reader.getCategoryMetrics('never')).toBeUndefined();
  });

  it('adds low-stock entries, removes them, and does not let an older replayed put bring one back', async () => {
    await sink.write([
      lowStockRecord('s-low', 'p-1', { category: 'books', quantity: 3 }, { offset: 1 }),
      lowStockRecord('s-low', 'p-2', { category: 'toys', quantity: 0 }, { offset: 2 }),
    ]);
    const before = await reader.listLowStock('s-low');

    await sink.write([lowStockRecord('s-low', 'p-1', null, { offset: 3 })]);
    const afterRemoval = await reader.listLowStock('s-low');
    const replay = await sink.write([
      lowStockRecord('s-low', 'p-1', { category: 'books', quantity: 3 }, { offset: 1 }),
    ]);
    const afterReplay = await reader.listLowStock('s-low');
    await sink.write([lowStockRecord('s-low', 'p-1', { category: 'books', quantity: 1 }, { offset: 4 })]);

    expect(before).toEqual([
      { productId: 'p-1', sellerId: 's-low', category: 'books', quantity: 3 },
      { productId: 'p-2', sellerId: 's-low', category: 'toys', quantity: 0 },
    ]);
    expect(afterRemoval.map((e) => e.productId)).toEqual(['p-2']);
    expect(replay.conditionalSkips).toBe(1);
    expect(afterReplay.map((e) => e.productId)).toEqual(['p-2']);
    expect(await reader.listLowStock('s-low')).toEqual([
      { productId: 'p-1', sellerId: 's-low', category: 'books', quantity: 1 },
      { productId: 'p-2', sellerId: 's-low', category: 'toys', quantity: 0 },
    ]);
    expect(await reader.listLowStock('s-nobody')).toEqual([]);
  });

  it('keeps at most the configured number of requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const limited = singleAttemptClient();
    limited.middlewareStack.add(
      (next) => async (args) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        try {
          return await next(args);
        } finally {
          inFlight -= 1;
        }
      },
      { step: 'build', name: 'countInFlight' },
    );
    const narrow = new DynamoDbMetricsSink({ client: limited, tableName, concurrency: 3 });
    const batch = Array.from({ length: 20 }, (_, i) =>
      sellerRecord(`s-conc-${i}`, { totalProducts: i }, { offset: i }),
    );

    const result = await narrow.write(batch);

    expect(result.rowsWritten).toBe(40);
    expect(peak).toBe(3);
    limited.destroy();
  });

  it('sends nothing for an empty batch', async () => {
    expect(await sink.write([])).toEqual({ rowsWritten: 0, conditionalSkips: 0, requests: 0 });
  });

  it('rejects a malformed record before writing anything', async () => {
    const bad = { ...sellerRecord('s-bad', {}, { offset: 1 }), eventTime: 'not a time' };

    await expect(sink.write([sellerRecord('s-bad', {}, { offset: 0 }), bad])).rejects.toThrow(
      InvalidRecordError,
    );
    expect(await rowsOf('SELLER#s-bad')).toEqual([]);
  });
});

// Throttling and 5xx are injected with an SDK middleware (client.middlewareStack.add, see
// helpers.ts): the only SDK mock here. Missing tables/buckets are real server answers.
describe('DynamoDbMetricsSink under faults', () => {
  it('retries throttling and 5xx answers, then writes every row', async () => {
    const faulty = singleAttemptClient();
    const { seen } = injectFaults(faulty, 'PutItemCommand', [
      awsError('ThrottlingException', 400, 'Rate of requests exceeds the allowed throughput.'),
      awsError('ProvisionedThroughputExceededException', 400),
      awsError('InternalServerError', 500),
      awsError('ServiceUnavailable', 503),
    ]);
    const onRetry = vi.fn();
    const sink = new DynamoDbMetricsSink({
      client: faulty,
      tableName,
      concurrency: 1,
      retry: fastRetry,
      metrics: { onRetry },
    });

    const result = await sink.write([sellerRecord('s-faults', { totalProducts: 7 }, { offset: 1 })]);

    expect(result).toEqual({ rowsWritten: 2, conditionalSkips: 0, requests: 6 });
    expect(seen.filter((name) => name === 'PutItemCommand')).toHaveLength(6);
    expect(onRetry).toHaveBeenCalledTimes(4);
    expect((await rowsOf('SELLER#s-faults')).length).toBe(2);
    faulty.destroy();
  });

  it('surfaces a permanent error at once, without retrying', async () => {
    const faulty = singleAttemptClient();
    const denied = awsError('AccessDeniedException', 400, 'not authorized to perform dynamodb:PutItem');
    const { seen } = injectFaults(faulty, 'PutItemCommand', [denied]);
    const sink = new DynamoDbMetricsSink({ client: faulty, tableName, concurrency: 1, retry: fastRetry });

    const error = await sink.write([sellerRecord('s-denied', {}, { offset: 1 })]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DynamoRequestError);
    expect(error).toMatchObject({ code: 'WRITE_FAILED', attempts: 1, retryable: false, cause: denied });
    expect(seen).toEqual(['PutItemCommand']);
    faulty.destroy();
  });

  it('fails at once with the server error when the table does not exist', async () => {
    const sink = new DynamoDbMetricsSink({
      client,
      tableName: uniqueName('missing-table'),
      retry: fastRetry,
    });

    const error = await sink.write([sellerRecord('s-1', {}, { offset: 1 })]).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'WRITE_FAILED', attempts: 1, retryable: false });
    expect((error as DynamoRequestError).cause).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('gives up after the configured retries and says how often it tried', async () => {
    const faulty = singleAttemptClient();
    injectFaults(
      faulty,
      'PutItemCommand',
      Array.from({ length: 3 }, () => awsError('ThrottlingException', 400)),
    );
    const sink = new DynamoDbMetricsSink({
      client: faulty,
      tableName,
      concurrency: 1,
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 },
    });

    const error = await sink.write([sellerRecord('s-exhausted', {}, { offset: 1 })]).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'WRITE_FAILED', attempts: 3, retryable: true });
    faulty.destroy();
  });
});
