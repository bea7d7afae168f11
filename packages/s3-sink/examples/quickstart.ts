/**
 * Quick start against a local S3-compatible server:
 *
 *   pnpm stack up && eval "$(pnpm --silent stack env)"
 *   node --import tsx packages/s3-sink/examples/quickstart.ts
 */
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { MetricChangeRecord } from '@marketplace/analytics-aggregator';
// In your project: from '@marketplace/s3-sink'.
import { readArchive, S3MetricsArchive } from '../src/index.js';

const client = new S3Client({
  endpoint: process.env.S3_ENDPOINT ?? 'http://127.0.0.1:9000',
  region: process.env.AWS_REGION ?? 'us-east-1',
  forcePathStyle: true,
  // One retry layer on purpose: the archive retries through @marketplace/retry.
  maxAttempts: 1,
});
const bucket = `quickstart-${Date.now()}`;
await client.send(new CreateBucketCommand({ Bucket: bucket }));

const batch: MetricChangeRecord[] = [
  {
    entity: 'seller',
    id: 's-17',
    group: 0,
    eventTime: '2026-11-25T17:59:00.000Z',
    values: {
      totalProducts: 3,
      activeProducts: 2,
      deletedProducts: 1,
      lowStockCount: 1,
      // Minor units per ISO 4217 currency: 79.96 USD and 4,500 JPY.
      totalValue: { JPY: 4500n, USD: 7996n },
    },
    source: { topic: 'analytics.metric-changes', partition: 0, offset: '41' },
  },
  {
    entity: 'category',
    id: 'books',
    group: 0,
    eventTime: '2026-11-25T18:00:00.000Z',
    values: {
      productCount: 3,
      pricedCount: { JPY: 1, USD: 2 },
      totalValue: { JPY: 4500n, USD: 7996n },
      priceSum: { JPY: 1500n, USD: 3998n },
    },
    source: { topic: 'analytics.metric-changes', partition: 0, offset: '42' },
  },
];

const archive = new S3MetricsArchive({ client, bucket });
const { keys } = await archive.write(batch);
console.log(keys);
// [ 'metrics/dt=2026-11-25/hour=17/analytics.metric-changes+0+41.jsonl.gz',
//   'metrics/dt=2026-11-25/hour=18/analytics.metric-changes+0+42.jsonl.gz' ]

for await (const record of readArchive({
  client,
  bucket,
  from: new Date('2026-11-25T00:00:00Z'),
  to: new Date('2026-11-25T23:59:59Z'),
})) {
  console.log(record.entity, record.id, record.source.offset);
}

for (const key of keys) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
await client.send(new DeleteBucketCommand({ Bucket: bucket }));
client.destroy();
