import { describe, expect, it } from 'vitest';
import { dynamoHooks, metricChangeConsumerHooks, processorHooks, s3Hooks } from './hooks.js';
import { Telemetry } from './Telemetry.js';

describe('library hooks mapped to Prometheus metrics', () => {
  it('counts an aggregate batch that failed for this delivery as a failed batch', async () => {
    const telemetry = new Telemetry();

    processorHooks(telemetry).onBatchFailed?.({
      group: 1,
      topic: 'product.updated',
      partition: 1,
      attempts: 11,
      durationMs: 500,
      permanent: false,
      error: new Error('x'),
    });
    const text = await telemetry.registry.metrics();

    expect(text).toContain('analytics_batches_total{stage="aggregate",outcome="failed"} 1');
    expect(text).toContain('analytics_batches_total{stage="aggregate",outcome="ok"} 0');
    expect(text).toContain('analytics_batch_duration_seconds_sum{stage="aggregate"} 0.5');
  });

  it('counts a committed aggregate batch: events by type, skips, invalid, processed, changes, duration', async () => {
    const telemetry = new Telemetry();

    processorHooks(telemetry).onBatch?.({
      group: 1,
      topic: 'product.updated',
      partition: 1,
      firstOffset: '10',
      lastOffset: '19',
      messages: 10,
      eventsByType: { 'product.created': 0, 'product.updated': 7, 'product.deleted': 1 },
      applied: 5,
      duplicate: 2,
      stale: 1,
      invalid: 3,
      invalidByCode: { INVALID_JSON: 2, SCHEMA_VIOLATION: 1 },
      changedStates: 5,
      metricChanges: 6,
      alerts: 0,
      durationMs: 40,
      attempts: 1,
      lag: 0,
    });
    processorHooks(telemetry).onTransactionRetry?.({ group: 1, attempt: 1, error: new Error('x') });
    processorHooks(telemetry).onRerouted?.({ group: 1, topic: 'product.updated', partition: 1, records: 4 });
    const text = await telemetry.registry.metrics();

    expect(text).toContain('analytics_events_total{type="product.updated"} 7');
    expect(text).toContain('analytics_events_total{type="product.deleted"} 1');
    expect(text).toContain('analytics_events_skipped_total{reason="duplicate"} 2');
    expect(text).toContain('analytics_events_skipped_total{reason="stale"} 1');
    expect(text).toContain('analytics_events_invalid_total{code="INVALID_JSON"} 2');
    expect(text).toContain('analytics_events_invalid_total{code="SCHEMA_VIOLATION"} 1');
    expect(text).toContain('analytics_metric_changes_total{stage="aggregate"} 6');
    expect(text).toContain('analytics_batch_duration_seconds_sum{stage="aggregate"} 0.04');
    expect(text).toContain('analytics_retries_total{operation="kafka.transaction"} 1');
    expect(text).toContain('analytics_rerouted_records_total{topic="product.updated"} 4');
    expect(telemetry.stats).toMatchObject({ processed: 10, deadLettered: 3 });
  });

  it('counts the sink: records consumed, rows and objects written, retries by operation', async () => {
    const telemetry = new Telemetry();

    metricChangeConsumerHooks(telemetry).onBatch?.({
      topic: 't',
      partition: 0,
      records: 4,
      durationMs: 5,
      lag: 0,
    });
    metricChangeConsumerHooks(telemetry).onRetry?.({ topic: 't', partition: 0, attempt: 1, error: null });
    metricChangeConsumerHooks(telemetry).onInvalidRecord?.({
      topic: 't',
      partition: 0,
      offset: '7',
      error: new Error('bad'),
    });
    dynamoHooks(telemetry).onBatchWritten?.({
      rowsWritten: 9,
      conditionalSkips: 1,
      requests: 10,
      records: 4,
      durationMs: 3,
    });
    dynamoHooks(telemetry).onRetry?.({ operation: 'PutItem', attempt: 1, delayMs: 10, error: null });
    s3Hooks(telemetry).onObjectWritten?.({ key: 'k', bytes: 300, records: 4, multipart: false });
    s3Hooks(telemetry).onRetry?.({ operation: 'PutObject', key: 'k', attempt: 1, delayMs: 10, error: null });
    const text = await telemetry.registry.metrics();

    expect(telemetry.stats).toMatchObject({ sinkRecords: 4, rowsWritten: 9, objectsArchived: 1 });
    expect(text).toContain('analytics_dynamodb_requests_total 10');
    expect(text).toContain('analytics_s3_bytes_written_total 300');
    expect(text).toContain('analytics_retries_total{operation="sink.batch"} 1');
    expect(text).toContain('analytics_metric_changes_undecodable_total 1');
    expect(text).toContain('analytics_retries_total{operation="dynamodb.PutItem"} 1');
    expect(text).toContain('analytics_retries_total{operation="s3.PutObject"} 1');
  });
});
