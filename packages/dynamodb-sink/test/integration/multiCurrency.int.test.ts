import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleMetrics } from '../../../aggregator/test/independentOracle.js';
import { multiCurrencyStream } from '../../../aggregator/test/multiCurrencyStream.js';
import { uniqueName } from '../../../local-stack/test/clients.js';
import { DynamoDbMetricsSink, ensureMetricsTable, MetricsReader } from '../../src/index.js';
import { singleAttemptClient } from './helpers.js';

const client = singleAttemptClient();
const tableName = uniqueName('metrics-currency');

beforeAll(async () => {
  await ensureMetricsTable(client, { tableName });
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  client.destroy();
});

describe('money per currency through DynamoDB', () => {
  it('reads back per-currency values equal to the independent oracle', async () => {
    const { events, records } = multiCurrencyStream({ seed: 14, events: 1500 });
    const sink = new DynamoDbMetricsSink({ client, tableName });
    // As stage 2 does: batches of one partition in offset order.
    for (let partition = 0; partition < 3; partition += 1) {
      const mine = records.filter((record) => record.source.partition === partition);
      for (let start = 0; start < mine.length; start += 150) await sink.write(mine.slice(start, start + 150));
    }
    const reader = new MetricsReader({ client, tableName, consistentRead: true });
    const oracle = oracleMetrics(events);

    const currencies = new Set(
      [...oracle.categories.values()].flatMap((category) => Object.keys(category.totalValue)),
    );
    expect([...currencies].sort()).toEqual(['EUR', 'JPY', 'KWD', 'USD', 'XTS']);
    for (const [sellerId, expected] of oracle.sellers) {
      expect(await reader.getSellerMetrics(sellerId)).toEqual(expected);
      const lowStock = [...oracle.lowStock.values()].filter((entry) => entry.sellerId === sellerId);
      expect(await reader.listLowStock(sellerId)).toEqual(
        lowStock.sort((a, b) => (a.productId < b.productId ? -1 : 1)),
      );
    }
    const categories = new Set(
      records.flatMap((record) => (record.entity === 'category' ? [record.id] : [])),
    );
    for (const category of categories) {
      const expected = oracle.categories.get(category) ?? {
        productCount: 0,
        pricedCount: {},
        totalValue: {},
        priceSum: {},
        averagePrice: {},
      };
      expect(await reader.getCategoryMetrics(category)).toEqual(expected);
    }
  });
});
