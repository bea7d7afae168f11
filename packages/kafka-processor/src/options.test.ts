import { ReducerPool } from '@marketplace/worker-pool';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { AggregateProcessor, type AggregateProcessorOptions } from './AggregateProcessor.js';
import { KafkaProcessorOptionsError, ProcessorError } from './errors.js';
import { MetricChangeConsumer, type MetricChangeConsumerOptions } from './MetricChangeConsumer.js';

// No broker is contacted: the constructors only validate.
const kafka = new kafkajs.Kafka({ brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING });
const pool = new ReducerPool({ inline: true });
const valid: AggregateProcessorOptions = { kafka, applicationId: 'analytics', pool };

function fieldOf(make: () => unknown): string | undefined {
  try {
    make();
  } catch (error) {
    if (error instanceof KafkaProcessorOptionsError) return error.field;
    throw error;
  }
  return undefined;
}

describe('AggregateProcessor options', () => {
  it('accepts the minimal options and is not ready before start', () => {
    const processor = new AggregateProcessor(valid);
    expect(processor.ready).toBe(false);
    expect(processor.assignedGroups).toEqual([]);
    expect(processor.groupCount).toBe(0);
  });

  it('accepts output compression, dead-letter size and event-time skew', () => {
    expect(
      () =>
        new AggregateProcessor({
          ...valid,
          compression: 'lz4',
          maxDeadLetterBytes: 4096,
          maxFutureSkewMs: 0,
        }),
    ).not.toThrow();
  });

  it('accepts restore threads with a clonable client config, with or without a thread count', () => {
    const kafkaConfig = { clientId: 'analytics', brokers: ['127.0.0.1:1'], ssl: true };
    expect(() => new AggregateProcessor({ ...valid, restoreThreads: { kafkaConfig } })).not.toThrow();
    expect(
      () => new AggregateProcessor({ ...valid, restoreThreads: { kafkaConfig, threads: 3 } }),
    ).not.toThrow();
  });

  it.each([
    ['options', () => new AggregateProcessor(null as unknown as AggregateProcessorOptions)],
    ['kafka', () => new AggregateProcessor({ ...valid, kafka: {} as never })],
    ['pool', () => new AggregateProcessor({ ...valid, pool: undefined as never })],
    ['applicationId', () => new AggregateProcessor({ ...valid, applicationId: 'has space' })],
    ['groupId', () => new AggregateProcessor({ ...valid, groupId: '' })],
    ['topics.created', () => new AggregateProcessor({ ...valid, topics: { created: 'a b' } })],
    ['partitioner', () => new AggregateProcessor({ ...valid, partitioner: 'fnv1a' as never })],
    [
      'internalTopics.deadLetter',
      () => new AggregateProcessor({ ...valid, internalTopics: { deadLetter: '' } }),
    ],
    ['topics', () => new AggregateProcessor({ ...valid, internalTopics: { deadLetter: 'product.created' } })],
    ['consumer.sessionTimeout', () => new AggregateProcessor({ ...valid, consumer: { sessionTimeout: 0 } })],
    [
      'consumer.heartbeatInterval',
      () =>
        new AggregateProcessor({ ...valid, consumer: { sessionTimeout: 6_000, heartbeatInterval: 6_000 } }),
    ],
    ['logger', () => new AggregateProcessor({ ...valid, logger: { info: () => {} } as never })],
    ['metrics', () => new AggregateProcessor({ ...valid, metrics: 'x' as never })],
    ['createTopics', () => new AggregateProcessor({ ...valid, createTopics: 'yes' as never })],
    ['replicationFactor', () => new AggregateProcessor({ ...valid, replicationFactor: -2 })],
    ['lowStockThreshold', () => new AggregateProcessor({ ...valid, lowStockThreshold: 1.5 })],
    ['shutdownTimeoutMs', () => new AggregateProcessor({ ...valid, shutdownTimeoutMs: 0 })],
    [
      'partitionsConsumedConcurrently',
      () => new AggregateProcessor({ ...valid, partitionsConsumedConcurrently: 0 }),
    ],
    ['restoreTimeoutMs', () => new AggregateProcessor({ ...valid, restoreTimeoutMs: -1 })],
    ['restoreThreads', () => new AggregateProcessor({ ...valid, restoreThreads: 2 as never })],
    ['restoreThreads', () => new AggregateProcessor({ ...valid, restoreThreads: null as never })],
    [
      'restoreThreads.kafkaConfig',
      () => new AggregateProcessor({ ...valid, restoreThreads: { kafkaConfig: undefined as never } }),
    ],
    [
      'restoreThreads.kafkaConfig',
      () => new AggregateProcessor({ ...valid, restoreThreads: { kafkaConfig: { brokers: [] } } }),
    ],
    [
      'restoreThreads.kafkaConfig',
      () =>
        new AggregateProcessor({
          ...valid,
          restoreThreads: { kafkaConfig: { brokers: async () => ['127.0.0.1:1'] } },
        }),
    ],
    [
      'restoreThreads.kafkaConfig',
      () =>
        new AggregateProcessor({ ...valid, restoreThreads: { kafkaConfig: { brokers: [9092 as never] } } }),
    ],
    [
      'restoreThreads.kafkaConfig',
      () =>
        new AggregateProcessor({
          ...valid,
          restoreThreads: { kafkaConfig: { brokers: ['127.0.0.1:1'], logCreator: () => () => {} } },
        }),
    ],
    [
      'restoreThreads.minRecordsPerThread',
      () =>
        new AggregateProcessor({
          ...valid,
          restoreThreads: { kafkaConfig: { brokers: ['b:1'] }, minRecordsPerThread: 0 },
        }),
    ],
    [
      'restoreThreads.threads',
      () =>
        new AggregateProcessor({
          ...valid,
          restoreThreads: { kafkaConfig: { brokers: ['b:1'] }, threads: 0 },
        }),
    ],
    ['compression', () => new AggregateProcessor({ ...valid, compression: 'brotli' as never })],
    ['maxDeadLetterBytes', () => new AggregateProcessor({ ...valid, maxDeadLetterBytes: 100 })],
    ['maxFutureSkewMs', () => new AggregateProcessor({ ...valid, maxFutureSkewMs: -1 })],
    ['transactionTimeoutMs', () => new AggregateProcessor({ ...valid, transactionTimeoutMs: 0 })],
    ['fencedBackoffMs', () => new AggregateProcessor({ ...valid, fencedBackoffMs: -1 })],
    ['maxRequestBytes', () => new AggregateProcessor({ ...valid, maxRequestBytes: 10 })],
    ['onFatal', () => new AggregateProcessor({ ...valid, onFatal: 'exit' as never })],
  ])('rejects an invalid %s, naming it', (field, make) => {
    expect(fieldOf(make)).toBe(field);
  });

  it('stop() before start() is a no-op, and start() after stop() is refused', async () => {
    const processor = new AggregateProcessor(valid);
    await processor.stop();
    await expect(processor.start()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(processor.start()).rejects.toBeInstanceOf(ProcessorError);
  });
});

describe('MetricChangeConsumer options', () => {
  const ok: MetricChangeConsumerOptions = { kafka, groupId: 'sink', handleBatch: async () => {} };

  it('accepts the minimal options and is not ready before start', () => {
    expect(new MetricChangeConsumer(ok).ready).toBe(false);
  });

  it.each([
    ['options', () => new MetricChangeConsumer(undefined as never)],
    ['kafka', () => new MetricChangeConsumer({ ...ok, kafka: null as never })],
    ['groupId', () => new MetricChangeConsumer({ ...ok, groupId: '' })],
    ['topic', () => new MetricChangeConsumer({ ...ok, topic: 'x y' })],
    ['handleBatch', () => new MetricChangeConsumer({ ...ok, handleBatch: 'no' as never })],
    [
      'partitionsConsumedConcurrently',
      () => new MetricChangeConsumer({ ...ok, partitionsConsumedConcurrently: 0 }),
    ],
    ['shutdownTimeoutMs', () => new MetricChangeConsumer({ ...ok, shutdownTimeoutMs: 0 })],
    ['consumer.maxWaitTimeInMs', () => new MetricChangeConsumer({ ...ok, consumer: { maxWaitTimeInMs: 0 } })],
    ['logger', () => new MetricChangeConsumer({ ...ok, logger: {} as never })],
    ['onFatal', () => new MetricChangeConsumer({ ...ok, onFatal: 'exit' as never })],
  ])('rejects an invalid %s, naming it', (field, make) => {
    expect(fieldOf(make)).toBe(field);
  });

  it('stop() before start() is a no-op, and start() after stop() is refused', async () => {
    const loop = new MetricChangeConsumer(ok);
    await loop.stop();
    await expect(loop.start()).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});
