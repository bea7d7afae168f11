import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { MetricChangeRecord } from '@marketplace/analytics-aggregator';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lowStockRecord, sellerRecord } from '../../../aggregator/test/metricChangeRecords.js';
import { uniqueName } from '../../../local-stack/test/clients.js';
import { DynamoDbMetricsSink, ensureMetricsTable, MetricsReader } from '../../src/index.js';
import { singleAttemptClient } from './helpers.js';

const client = singleAttemptClient();
const tableName = uniqueName('metrics-order');

beforeAll(async () => {
  await ensureMetricsTable(client, { tableName });
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  client.destroy();
});

describe('DynamoDbMetricsSink ordering', () => {
  it('ends with the values of the newest offset per row, whatever batches are replayed in whatever order', async () => {
    const sink = new DynamoDbMetricsSink({ client, tableName, concurrency: 4 });
    const reader = new MetricsReader({ client, tableName, consistentRead: true });
    let run = 0;

    await fc.assert(
      fc.asyncProperty(
        // One partition's stream: per offset, a seller value and the low-stock state of one product.
        fc.array(fc.record({ total: fc.nat(1000), low: fc.option(fc.nat(9), { nil: null }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (changes, cuts, deliveries) => {
          run += 1;
          const seller = `s-order-${run}`;
          const stream: MetricChangeRecord[] = changes.flatMap((change, offset) => [
            sellerRecord(seller, { totalProducts: change.total }, { offset: offset * 2 }),
            lowStockRecord(
              seller,
              'p-1',
              change.low === null ? null : { category: 'c', quantity: change.low },
              { offset: offset * 2 + 1 },
            ),
          ]);
          // Split into consecutive batches, deliver each once in order (the committed path), then
          // replay arbitrary batches in arbitrary order (redeliveries, zombies).
          const bounds = [...new Set(cuts.map((c) => c % stream.length))].sort((a, b) => a - b);
          const batches = [0, ...bounds, stream.length]
            .slice(0, -1)
            .map((start, i, starts) => stream.slice(start, starts[i + 1] ?? stream.length))
            .filter((batch) => batch.length > 0);
          for (const batch of batches) await sink.write(batch);
          for (const pick of deliveries)
            await sink.write(batches[pick % batches.length] as MetricChangeRecord[]);

          const last = changes[changes.length - 1] as (typeof changes)[number];
          expect((await reader.getSellerMetrics(seller))?.totalProducts).toBe(last.total);
          expect(await reader.listLowStock(seller)).toEqual(
            last.low === null
              ? []
              : [{ productId: 'p-1', sellerId: seller, category: 'c', quantity: last.low }],
          );
        },
      ),
      { numRuns: 25 },
    );
  });
});
