import { describe, expect, it } from 'vitest';
import {
  consumerLagHook,
  dynamoHooks,
  metricChangeConsumerHooks,
  processorHooks,
  s3Hooks,
  sinkWriterHooks,
} from './hooks.js';
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

  it('counts failed sink writes by writer and sink batches by outcome', async () => {
    const telemetry = new Telemetry();
    const hooks = sinkWriterHooks(telemetry);

    hooks.onWriteFailed?.({ writer: 'dynamodb', records: 3, error: new Error('throttled') });
    hooks.onWriteFailed?.({ writer: 's3', records: 3, error: new Error('slow down') });
    hooks.onWriteFailed?.({ writer: 's3', records: 3, error: new Error('slow down') });
    hooks.onBatch?.({ records: 3, durationMs: 250, ok: false });
    hooks.onBatch?.({ records: 3, durationMs: 750, ok: true });
    const text = await telemetry.registry.metrics();

    expect(text).toContain('analytics_dynamodb_write_failures_total 1');
    expect(text).toContain('analytics_s3_write_failures_total 2');
    expect(text).toContain('analytics_batches_total{stage="sink",outcome="failed"} 1');
    expect(text).toContain('analytics_batches_total{stage="sink",outcome="ok"} 1');
    expect(text).toContain('analytics_batch_duration_seconds_sum{stage="sink"} 1');
  });

  it('publishes each polled partition lag with its group and stage', async () => {
    const telemetry = new Telemetry();

    consumerLagHook(telemetry)(
      { groupId: 'analytics-sink', topics: ['analytics.metric-changes'], stage: 'sink' },
      [
        {
          groupId: 'analytics-sink',
          topic: 'analytics.metric-changes',
          partition: 0,
          lag: 12,
          position: 30n,
        },
        { groupId: 'analytics-sink', topic: 'analytics.metric-changes', partition: 1, lag: 0, position: 7n },
      ],
    );
    const text = await telemetry.registry.metrics();

    expect(text).toMatch(/analytics_consumer_lag\{[^}]*partition="0"[^}]*\} 12/);
    expect(text).toMatch(/analytics_consumer_lag\{[^}]*partition="1"[^}]*\} 0/);
  });

  it('adds nothing for an invalid-event code listed without a count', async () => {
    const telemetry = new Telemetry();

    processorHooks(telemetry).onBatch?.({
      group: 0,
      topic: 'product.created',
      partition: 0,
      firstOffset: '0',
      lastOffset: '0',
      messages: 1,
      eventsByType: { 'product.created': 1, 'product.updated': 0, 'product.deleted': 0 },
      applied: 1,
      duplicate: 0,
      stale: 0,
      invalid: 0,
      invalidByCode: { INVALID_JSON: undefined },
      changedStates: 1,
      metricChanges: 2,
      alerts: 0,
      durationMs: 1,
      attempts: 1,
      lag: 0,
    });

    expect(telemetry.stats).toMatchObject({ processed: 1, deadLettered: 0 });
    expect(await telemetry.registry.metrics()).not.toContain(
      'analytics_events_invalid_total{code="INVALID_JSON"}',
    );
  });
});
