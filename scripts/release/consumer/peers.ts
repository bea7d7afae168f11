// The program of the third consumer project of the release test: a sibling service that brings
// its own kafkajs and AWS SDK clients (older releases than the workspace's, inside our peer
// ranges) and passes them to the published packages. `tsc` type-checks it against the published
// declarations resolved through the consumer's own copies; running it shows, from inside each
// package, which copy of every peer it loads. It constructs only: nothing connects anywhere.

import { createRequire } from 'node:module';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DynamoDbMetricsSink, MetricsReader } from '@marketplace/dynamodb-sink';
import { AggregateProcessor, MetricChangeConsumer } from '@marketplace/kafka-processor';
import { S3MetricsArchive } from '@marketplace/s3-sink';
import { ReducerPool } from '@marketplace/worker-pool';
import kafkajs from 'kafkajs';

const here = createRequire(import.meta.url);
const endpoint = 'http://127.0.0.1:9';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const kafka = new kafkajs.Kafka({ clientId: 'sibling-service', brokers: ['127.0.0.1:9'] });
const dynamo = new DynamoDBClient({ region: 'eu-west-1', endpoint, credentials, maxAttempts: 1 });
const s3 = new S3Client({ region: 'eu-west-1', endpoint, credentials, forcePathStyle: true, maxAttempts: 1 });

// Our own clients, passed where the packages take a client: the types must be the same types.
const pool = new ReducerPool({ inline: true });
const built = {
  aggregateProcessor: new AggregateProcessor({ kafka, applicationId: 'sibling-service', pool }),
  metricChangeConsumer: new MetricChangeConsumer({
    kafka,
    groupId: 'sibling-service-sink',
    handleBatch: async () => {},
  }),
  dynamoDbMetricsSink: new DynamoDbMetricsSink({ client: dynamo, tableName: 'metrics' }),
  metricsReader: new MetricsReader({ client: dynamo, tableName: 'metrics' }),
  s3MetricsArchive: new S3MetricsArchive({ client: s3, bucket: 'archive' }),
  // lib-storage's Upload takes the same S3Client (the s3-sink uses it for large objects).
  upload: new Upload({ client: s3, params: { Bucket: 'archive', Key: 'k', Body: 'x' } }),
};

// @ts-expect-error -- the sink takes a DynamoDB client, not an S3 client
void (() => new DynamoDbMetricsSink({ client: s3 }));

// The file each peer resolves to, seen from this project and from inside each package.
const peers: Record<string, string[]> = {
  kafkajs: ['@marketplace/kafka-processor', '@marketplace/local-stack'],
  '@aws-sdk/client-dynamodb': ['@marketplace/dynamodb-sink'],
  '@aws-sdk/client-s3': ['@marketplace/s3-sink'],
  '@aws-sdk/lib-storage': ['@marketplace/s3-sink'],
};
const resolved: Record<string, Record<string, string>> = {};
for (const [peer, packages] of Object.entries(peers)) {
  const seen: Record<string, string> = { 'sibling-service': here.resolve(peer) };
  for (const pkg of packages) seen[pkg] = createRequire(here.resolve(pkg)).resolve(peer);
  resolved[peer] = seen;
}

await pool.destroy();
dynamo.destroy();
s3.destroy();
console.log(JSON.stringify({ constructed: Object.keys(built), resolved }));
