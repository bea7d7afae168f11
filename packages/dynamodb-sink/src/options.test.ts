import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbMetricsSink } from './DynamoDbMetricsSink.js';
import { DEFAULT_DYNAMODB_SINK_OPTIONS } from './defaults.js';
import { DynamoDbSinkOptionsError, InvalidArgumentError } from './errors.js';
import { MetricsReader } from './MetricsReader.js';
import { ensureMetricsTable, metricsTableDefinition } from './metricsTable.js';

const client = new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });

describe('options', () => {
  it('uses the documented defaults', () => {
    const sink = new DynamoDbMetricsSink({ client });

    expect(sink.tableName).toBe('analytics-metrics');
    expect(Object.isFrozen(DEFAULT_DYNAMODB_SINK_OPTIONS)).toBe(true);
    expect(DEFAULT_DYNAMODB_SINK_OPTIONS).toEqual({
      tableName: 'analytics-metrics',
      historyTtlDays: 30,
      concurrency: 16,
    });
  });

  it.each([
    [{ client: undefined }, 'client'],
    [{ client, tableName: 'a' }, 'tableName'],
    [{ client, tableName: 'bad name' }, 'tableName'],
    [{ client, historyTtlDays: 0 }, 'historyTtlDays'],
    [{ client, concurrency: 0 }, 'concurrency'],
    [{ client, concurrency: 2.5 }, 'concurrency'],
    [{ client, logger: { info: () => {} } }, 'logger'],
  ])('rejects sink options %o naming the field', (options, field) => {
    const build = (): DynamoDbMetricsSink => new DynamoDbMetricsSink(options as never);

    expect(build).toThrow(DynamoDbSinkOptionsError);
    expect(build).toThrow(`Invalid option "${field}"`);
  });

  it('rejects reader options naming the field', () => {
    expect(() => new MetricsReader({ client, now: 5 as never })).toThrow('Invalid option "now"');
    expect(() => new MetricsReader({ client, tableName: '' })).toThrow('Invalid option "tableName"');
  });

  it('rejects reader arguments before any request', async () => {
    const reader = new MetricsReader({ client });

    await expect(reader.getSellerMetrics('')).rejects.toThrow(InvalidArgumentError);
    await expect(reader.getSellerHistory('s-1', new Date('x'), new Date())).rejects.toThrow('"from"');
    await expect(reader.getCategoryHistory('c', new Date(), new Date('x'))).rejects.toThrow('"to"');
    await expect(reader.getSellerHistory('s-1', new Date(2), new Date(1))).rejects.toThrow(
      'must not be after',
    );
  });

  it('rejects table options naming the field', async () => {
    await expect(ensureMetricsTable(client, { waitTimeoutMs: 0 })).rejects.toThrow('"waitTimeoutMs"');
    await expect(ensureMetricsTable(client, { pollIntervalMs: -1 })).rejects.toThrow('"pollIntervalMs"');
  });
});

describe('metricsTableDefinition', () => {
  it('defines string pk/sk keys with on-demand billing', () => {
    expect(metricsTableDefinition('t-1')).toEqual({
      TableName: 't-1',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(metricsTableDefinition().TableName).toBe('analytics-metrics');
  });
});
