/**
 * Figure 10: `rescalePipeline` on the local stack — products repartitioned per second when a
 * pipeline of `products` products grows from 2 to 4 input partitions (changelog read, staged,
 * topics rebuilt, changelog written again; no pending input).
 */
import { encodeProductState, type ProductState } from '@marketplace/analytics-aggregator';
import { partitionForKey, rescalePipeline } from '@marketplace/kafka-processor';
import { startLocalStack } from '@marketplace/local-stack';
import { ReducerPool } from '@marketplace/worker-pool';
import { Kafka, logLevel } from 'kafkajs';
import { type Figure, progress } from './report.js';

/** Runs figure 10 with `products` products. */
export async function benchRescale(options: { products: number }): Promise<Figure> {
  progress(`figure 10: rescale of ${options.products} products, starting the local stack`);
  const stack = await startLocalStack({
    dynamodb: false,
    s3: false,
    onProgress: (m) => progress(`local stack: ${m}`),
  });
  const kafka = new Kafka({
    clientId: 'bench-rescale',
    brokers: stack.kafka!.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const pool = new ReducerPool({ inline: true });
  try {
    const run = `rescale${Date.now()}`;
    const topics = { created: `${run}.created`, updated: `${run}.updated`, deleted: `${run}.deleted` };
    const internalTopics = {
      productState: `${run}.state`,
      metricChanges: `${run}.changes`,
      deadLetter: `${run}.dlq`,
      lowStockAlerts: `${run}.lowstock`,
      reroute: `${run}.reroute`,
    };
    const compact = [{ name: 'cleanup.policy', value: 'compact' }];
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        ...Object.values(topics).map((topic) => ({ topic, numPartitions: 2 })),
        { topic: internalTopics.productState, numPartitions: 2, configEntries: compact },
      ],
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const batch: { key: string; value: Buffer; partition: number }[] = [];
    for (let i = 0; i < options.products; i++) {
      const productId = `p-${i}`;
      const state: ProductState = {
        productId,
        version: 1,
        sellerId: `s-${i % 1000}`,
        category: `c-${i % 50}`,
        priceCents: 100 + (i % 900),
        currency: 'USD',
        quantity: i % 40,
        status: 'active',
        deleted: false,
        updatedAt: '2026-11-27T12:00:00.000Z',
      };
      batch.push({
        key: productId,
        value: encodeProductState(state),
        partition: partitionForKey('murmur2', Buffer.from(productId), 2),
      });
      if (batch.length === 5000 || i === options.products - 1) {
        await producer.send({ topic: internalTopics.productState, acks: -1, messages: batch.splice(0) });
      }
    }
    await producer.disconnect();
    await admin.createPartitions({
      topicPartitions: Object.values(topics).map((topic) => ({ topic, count: 4 })),
    });
    // The new partitions reach the metadata a little later.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: Object.values(topics) });
      if (metadata.every((t) => t.partitions.length === 4 && t.partitions.every((p) => p.leader >= 0))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    progress('figure 10: states written, rescaling 2 -> 4');
    const started = performance.now();
    const result = await rescalePipeline({
      kafka,
      applicationId: run,
      sinkGroupId: `${run}-sink`,
      topics,
      internalTopics,
      epochTopic: `${run}.epoch`,
      pool,
      apply: true,
    });
    const seconds = (performance.now() - started) / 1000;
    const value = Math.round(result.products / seconds);
    progress(`figure 10: ${result.products} products in ${seconds.toFixed(1)} s`);
    return {
      id: '10',
      name: `rescale 2 -> 4 partitions, ${result.products} products (rescalePipeline)`,
      value,
      unit: 'products/s',
      target: 'a 1M-product rescale within minutes',
      met: result.products / value < 600,
      note: `${seconds.toFixed(1)} s end to end, single broker on the shared machine`,
    };
  } finally {
    await pool.destroy();
    await admin.disconnect().catch(() => {});
    await stack.stop();
  }
}
