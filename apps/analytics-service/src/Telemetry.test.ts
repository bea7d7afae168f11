import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Telemetry } from './Telemetry.js';

describe('Telemetry', () => {
  it('reports the heap in use after the last major GC', async () => {
    const telemetry = new Telemetry();
    // A full GC on demand without starting Node with --expose-gc.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heapAfterGc = async () => {
      const line = (await telemetry.registry.metrics())
        .split('\n')
        .find((l) => l.startsWith('analytics_heap_after_gc_bytes '));
      return Number(line?.split(' ')[1]);
    };

    const deadline = Date.now() + 10_000;
    let value = 0;
    while (value === 0 && Date.now() < deadline) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 50));
      value = await heapAfterGc();
    }

    expect(value).toBeGreaterThan(1_000_000);
  });

  it('keeps the counters the progress line shows', () => {
    const telemetry = new Telemetry();

    telemetry.recordProcessed(100);
    telemetry.recordInvalid('INVALID_JSON', 2);
    telemetry.recordInvalid('SCHEMA_VIOLATION', 1);
    telemetry.recordInvalid('MISSING_KEY', 0);
    telemetry.recordMetricChanges('sink', 40);
    telemetry.recordMetricChanges('aggregate', 40);
    telemetry.recordDynamoWrite(12, 5);
    telemetry.recordS3Write(2, 1000);

    expect(telemetry.stats).toEqual({
      produced: 0,
      processed: 100,
      deadLettered: 3,
      sinkRecords: 40,
      rowsWritten: 12,
      objectsArchived: 2,
    });
  });

  it('counts failures, retries and failed batches', async () => {
    const telemetry = new Telemetry();

    telemetry.recordDynamoFailure();
    telemetry.recordS3Failure();
    telemetry.recordRetry('dynamodb.write');
    telemetry.recordBatch('sink', 1.5, false);
    const text = await telemetry.registry.metrics();

    expect(text).toContain('analytics_dynamodb_write_failures_total 1');
    expect(text).toContain('analytics_s3_write_failures_total 1');
    expect(text).toContain('analytics_retries_total{operation="dynamodb.write"} 1');
    expect(text).toContain('analytics_batches_total{stage="sink",outcome="failed"} 1');
  });

  it('exposes every event type, invalid code, skip reason and batch outcome from the first scrape', async () => {
    const text = await new Telemetry(
      ['product.created', 'product.deleted'],
      ['INVALID_JSON'],
    ).registry.metrics();

    expect(text).toContain('analytics_events_total{type="product.created"} 0');
    expect(text).toContain('analytics_events_total{type="product.deleted"} 0');
    expect(text).toContain('analytics_events_invalid_total{code="INVALID_JSON"} 0');
    expect(text).toContain('analytics_events_skipped_total{reason="stale"} 0');
    expect(text).toContain('analytics_batches_total{stage="sink",outcome="failed"} 0');
    expect(text).toContain('analytics_retries_total{operation="kafka.transaction"} 0');
    expect(text).toContain('analytics_retries_total{operation="sink.batch"} 0');
  });

  it('reports readiness as a gauge read on every scrape, 0 when the check fails or nothing is wired', async () => {
    const telemetry = new Telemetry();
    const unwired = await telemetry.registry.metrics();
    let ready: boolean | Error = true;
    telemetry.setReadinessSource(async () => {
      if (ready instanceof Error) throw ready;
      return ready;
    });
    const up = await telemetry.registry.metrics();
    ready = false;
    const down = await telemetry.registry.metrics();
    ready = new Error('kafka unreachable');
    const failing = await telemetry.registry.metrics();

    expect(unwired).toContain('analytics_ready 0');
    expect(up).toContain('analytics_ready 1');
    expect(down).toContain('analytics_ready 0');
    expect(failing).toContain('analytics_ready 0');
  });

  it('counts stages that failed for good', async () => {
    const telemetry = new Telemetry();
    expect(await telemetry.registry.metrics()).toContain('analytics_stage_fatal_total 0');

    telemetry.recordFatal();

    expect(await telemetry.registry.metrics()).toContain('analytics_stage_fatal_total 1');
  });

  it('counts rerouted records per input topic, each declared topic from zero', async () => {
    const telemetry = new Telemetry();

    telemetry.declareInputTopics(['product.created', 'product.updated']);
    telemetry.recordRerouted('product.created', 5);
    telemetry.recordRerouted('product.created', 0);
    const text = await telemetry.registry.metrics();

    expect(text).toContain('analytics_rerouted_records_total{topic="product.created"} 5');
    expect(text).toContain('analytics_rerouted_records_total{topic="product.updated"} 0');
  });

  it('reports an idle pool as zero when no pool runs in this process', async () => {
    const text = await new Telemetry().registry.metrics();

    expect(text).toContain('analytics_worker_pool_threads 0');
    expect(text).toContain('analytics_worker_pool_utilization_ratio 0');
  });
});
