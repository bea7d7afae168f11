import { DeleteTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lowStockRecord, sellerRecord } from '../../../aggregator/test/metricChangeRecords.js';
import { uniqueName } from '../../../local-stack/test/clients.js';
import { DynamoDbMetricsSink, ensureMetricsTable, MetricsReader } from '../../src/index.js';
import { singleAttemptClient } from './helpers.js';

const client = singleAttemptClient();
const tableName = uniqueName('metrics-epochs');
const sink = new DynamoDbMetricsSink({ client, tableName });
const reader = new MetricsReader({ client, tableName, consistentRead: true });

async function storedRow(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
  );
  return Item;
}

beforeAll(async () => {
  await ensureMetricsTable(client, { tableName });
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  client.destroy();
});

describe('pipeline epochs in the metrics table', () => {
  it('lets a newer epoch supersede a row whatever its offset, and never lets an older epoch back', async () => {
    await sink.write([sellerRecord('s-recreated', { totalProducts: 5 }, { offset: 900 })]);

    // analytics.metric-changes recreated: offsets restart at 0 under epoch 1.
    const newer = await sink.write([
      sellerRecord('s-recreated', { totalProducts: 6 }, { offset: 0, epoch: 1 }),
    ]);
    const later = await sink.write([
      sellerRecord('s-recreated', { totalProducts: 7 }, { offset: 1, epoch: 1 }),
    ]);
    const zombie = await sink.write([sellerRecord('s-recreated', { totalProducts: 1 }, { offset: 901 })]);

    expect(newer.rowsWritten).toBe(2);
    expect(later.rowsWritten).toBe(2);
    expect(zombie).toMatchObject({ rowsWritten: 0, conditionalSkips: 2 });
    expect(await storedRow('SELLER#s-recreated', 'CUR#G0')).toMatchObject({
      epoch: { N: '1' },
      sourceOffset: { N: '1' },
      rowFormat: { N: '3' },
    });
    expect((await reader.getSellerMetrics('s-recreated'))?.totalProducts).toBe(7);
  });

  it('treats a row written before epochs (row format 2) as epoch 0', async () => {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: 'SELLER#s-format-2' },
          sk: { S: 'CUR#G0' },
          rowFormat: { N: '2' },
          entity: { S: 'seller' },
          id: { S: 's-format-2' },
          group: { N: '0' },
          eventTime: { S: '2026-11-25T17:00:00.000Z' },
          sourceTopic: { S: 'analytics.metric-changes' },
          sourcePartition: { N: '0' },
          sourceOffset: { N: '50' },
          totalProducts: { N: '3' },
          activeProducts: { N: '3' },
          deletedProducts: { N: '0' },
          lowStockCount: { N: '0' },
          totalValue: { M: {} },
        },
      }),
    );
    expect((await reader.getSellerMetrics('s-format-2'))?.totalProducts).toBe(3);

    const sameEpochOlder = await sink.write([
      sellerRecord('s-format-2', { totalProducts: 1 }, { offset: 49 }),
    ]);
    const sameEpochNewer = await sink.write([
      sellerRecord('s-format-2', { totalProducts: 4 }, { offset: 51 }),
    ]);

    // Only the current row existed (the history row of that hour is new).
    expect(sameEpochOlder.conditionalSkips).toBe(1);
    expect(sameEpochNewer.rowsWritten).toBe(2);
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: 'SELLER#s-format-2b' },
          sk: { S: 'CUR#G0' },
          rowFormat: { N: '2' },
          sourceOffset: { N: '50' },
        },
      }),
    );
    const nextEpoch = await sink.write([
      sellerRecord('s-format-2b', { totalProducts: 2 }, { offset: 0, epoch: 1 }),
    ]);
    expect(nextEpoch.rowsWritten).toBe(2);
  });

  it('sums only the partials of the newest epoch, so a group the new epoch does not rewrite is not counted', async () => {
    // Epoch 0: the seller's products are spread over groups 0 and 1.
    await sink.write([
      sellerRecord('s-rescaled', { totalProducts: 2 }, { offset: 10, group: 0 }),
      sellerRecord('s-rescaled', { totalProducts: 3 }, { offset: 10, group: 1 }),
      lowStockRecord('s-rescaled', 'p-old', { category: 'c', quantity: 1 }, { offset: 11 }),
    ]);
    expect((await reader.getSellerMetrics('s-rescaled'))?.totalProducts).toBe(5);

    // Epoch 1 (after a rescale): all five products now live in group 2; group 1 keeps its old row.
    await sink.write([
      sellerRecord('s-rescaled', { totalProducts: 5 }, { offset: 0, group: 2, epoch: 1 }),
      lowStockRecord(
        's-rescaled',
        'p-new',
        { category: 'c', quantity: 2 },
        { offset: 1, group: 2, epoch: 1 },
      ),
    ]);

    expect((await reader.getSellerMetrics('s-rescaled'))?.totalProducts).toBe(5);
    expect((await reader.listLowStock('s-rescaled')).map((entry) => entry.productId)).toEqual(['p-new']);

    // A seller whose entries all stopped being low during the rescale: none rewritten in epoch 1,
    // but its current rows are, so the old entry is hidden.
    await sink.write([
      sellerRecord('s-left', { totalProducts: 1 }, { offset: 20 }),
      lowStockRecord('s-left', 'p-left', { category: 'c', quantity: 1 }, { offset: 21 }),
    ]);
    expect(await reader.listLowStock('s-left')).toHaveLength(1);
    await sink.write([sellerRecord('s-left', { totalProducts: 1 }, { offset: 2, group: 3, epoch: 1 })]);
    expect(await reader.listLowStock('s-left')).toEqual([]);
    const history = await reader.getSellerHistory(
      's-rescaled',
      new Date('2026-11-25T17:00:00.000Z'),
      new Date('2026-11-25T17:59:59.000Z'),
    );
    expect(history.map((entry) => entry.values.totalProducts)).toEqual([5]);
  });
});
