/**
 * Quick start against a local DynamoDB-compatible server:
 *
 *   pnpm stack up && eval "$(pnpm --silent stack env)"
 *   node --import tsx packages/dynamodb-sink/examples/quickstart.ts
 */
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MetricChangeRecord } from '@marketplace/analytics-aggregator';
// In your project: from '@marketplace/dynamodb-sink'.
import { DynamoDbMetricsSink, ensureMetricsTable, MetricsReader } from '../src/index.js';

const client = new DynamoDBClient({
  endpoint: process.env.DYNAMODB_ENDPOINT ?? 'http://127.0.0.1:8000',
  region: process.env.AWS_REGION ?? 'us-east-1',
  // One retry layer on purpose: the sink retries through @marketplace/retry.
  maxAttempts: 1,
});
const tableName = `quickstart-${Date.now()}`;

const { created, ttl } = await ensureMetricsTable(client, { tableName });
console.log({ created, ttl });

const source = (offset: number, partition = 0) => ({
  topic: 'analytics.metric-changes',
  partition,
  offset: String(offset),
});
const batch: MetricChangeRecord[] = [
  {
    entity: 'seller',
    id: 's-17',
    group: 0,
    eventTime: new Date().toISOString(),
    values: {
      totalProducts: 3,
      activeProducts: 2,
      deletedProducts: 1,
      lowStockCount: 1,
      // Minor units per ISO 4217 currency: 79.96 USD and 4,500 JPY.
      totalValue: { JPY: 4500n, USD: 7996n },
    },
    source: source(41),
  },
  {
    entity: 'category',
    id: 'books',
    group: 0,
    eventTime: new Date().toISOString(),
    values: {
      productCount: 3,
      pricedCount: { JPY: 1, USD: 2 },
      totalValue: { JPY: 4500n, USD: 7996n },
      priceSum: { JPY: 1500n, USD: 3998n },
    },
    source: source(42),
  },
  {
    entity: 'lowStock',
    id: 'p-1042',
    sellerId: 's-17',
    group: 0,
    eventTime: new Date().toISOString(),
    values: { productId: 'p-1042', sellerId: 's-17', category: 'books', quantity: 4 },
    source: source(43),
  },
];

const sink = new DynamoDbMetricsSink({ client, tableName });
console.log('first write', await sink.write(batch)); // { rowsWritten: 5, conditionalSkips: 0, requests: 5 }
console.log('replay', await sink.write(batch)); // { rowsWritten: 0, conditionalSkips: 5, requests: 5 }

const reader = new MetricsReader({ client, tableName });
console.log(await reader.getSellerMetrics('s-17'));
console.log(await reader.getCategoryMetrics('books')); // averagePrice: { JPY: 1500n, USD: 1999n }
console.log(await reader.getSellerHistory('s-17', new Date(Date.now() - 3_600_000), new Date()));
console.log(await reader.listLowStock('s-17'));

await client.send(new DeleteTableCommand({ TableName: tableName }));
client.destroy();
