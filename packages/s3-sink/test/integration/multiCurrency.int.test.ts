import { foldMetricChanges, type MetricChangeRecord } from '@marketplace/analytics-aggregator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleMetrics } from '../../../aggregator/test/independentOracle.js';
import { multiCurrencyStream } from '../../../aggregator/test/multiCurrencyStream.js';
import { uniqueName } from '../../../local-stack/test/clients.js';
import { readArchive, S3MetricsArchive } from '../../src/index.js';
import { createBucket, deleteBucket, singleAttemptClient } from './helpers.js';

const client = singleAttemptClient();
const bucket = uniqueName('archive-currency');

beforeAll(async () => {
  await createBucket(client, bucket);
});

afterAll(async () => {
  await deleteBucket(client, bucket);
  client.destroy();
});

describe('money per currency through the S3 archive', () => {
  it('archives per-currency values that fold to the independent oracle', async () => {
    const { events, records } = multiCurrencyStream({ seed: 41, events: 1500 });
    const archive = new S3MetricsArchive({ client, bucket, prefix: 'currency' });
    for (let partition = 0; partition < 3; partition += 1) {
      const mine = records.filter((record) => record.source.partition === partition);
      for (let start = 0; start < mine.length; start += 150)
        await archive.write(mine.slice(start, start + 150));
    }

    const read: MetricChangeRecord[] = [];
    for await (const record of readArchive({
      client,
      bucket,
      prefix: 'currency',
      from: new Date('2025-12-31T00:00:00Z'),
      to: new Date('2026-01-02T00:00:00Z'),
    })) {
      read.push(record);
    }
    // Each row is fed by one partition: its offsets order its versions.
    read.sort(
      (a, b) => a.source.partition - b.source.partition || Number(a.source.offset) - Number(b.source.offset),
    );
    const folded = foldMetricChanges(read);
    const oracle = oracleMetrics(events);

    expect(read).toEqual(
      [...records].sort(
        (a, b) =>
          a.source.partition - b.source.partition || Number(a.source.offset) - Number(b.source.offset),
      ),
    );
    const currencies = new Set(
      [...oracle.sellers.values()].flatMap((seller) => Object.keys(seller.totalValue)),
    );
    expect([...currencies].sort()).toEqual(['EUR', 'JPY', 'KWD', 'USD', 'XTS']);
    expect(new Map([...folded.sellers].filter(([, seller]) => seller.totalProducts > 0))).toEqual(
      oracle.sellers,
    );
    expect(new Map([...folded.categories].filter(([, category]) => category.productCount > 0))).toEqual(
      oracle.categories,
    );
    expect(folded.lowStock).toEqual(oracle.lowStock);
  });
});
