import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { StreamThreadStats } from '@marketplace/kafka-processor';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Heap in use after the last major GC of this process (one observer per process). */
let heapAfterMajorGc = 0;
let gcObserver: PerformanceObserver | undefined;

/** Starts recording the heap in use after each major GC, once per process. */
function watchMajorGc(): void {
  if (gcObserver !== undefined) return;
  gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) heapAfterMajorGc = getHeapStatistics().used_heap_size;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

/** Counters the progress line and the demo's drain check read (cumulative since start). */
export interface PipelineStats {
  /** Demo only: messages produced to the input topics (malformed and duplicates included). */
  produced: number;
  /** Input messages stage 1 has consumed and committed (valid, invalid, duplicate, stale). */
  processed: number;
  /** Input messages sent to the dead-letter topic. */
  deadLettered: number;
  /** Metric-change records stage 2 has handled. */
  sinkRecords: number;
  /** DynamoDB rows written by stage 2. */
  rowsWritten: number;
  /** S3 archive objects written by stage 2. */
  objectsArchived: number;
}

/** Worker-pool utilisation as reported by `ReducerPool.utilization()`. */
export interface PoolUtilization {
  threads: number;
  busy: number;
  queued: number;
  completed: number;
}

/**
 * The service's Prometheus metrics (prom-client, own registry) plus the plain counters the demo
 * shows. Library metrics hooks are mapped onto these methods in `hooks.ts`.
 *
 * Metric names (all prefixed `analytics_`): see the README.
 */
export class Telemetry {
  /** Registry served on `/metrics`. */
  readonly registry = new Registry();
  /** Plain cumulative counters (progress line, drain check). */
  readonly stats: PipelineStats = {
    produced: 0,
    processed: 0,
    deadLettered: 0,
    sinkRecords: 0,
    rowsWritten: 0,
    objectsArchived: 0,
  };

  private readonly events: Counter<'type'>;
  private readonly invalidEvents: Counter;
  private readonly skipped: Counter<'reason'>;
  private readonly batchDuration: Histogram<'stage'>;
  private readonly batches: Counter<'stage' | 'outcome'>;
  private readonly consumerLag: Gauge<'stage' | 'group' | 'topic' | 'partition'>;
  private readonly retries: Counter<'operation'>;
  private readonly dynamoRows: Counter;
  private readonly dynamoRequests: Counter;
  private readonly dynamoFailures: Counter;
  private readonly s3Objects: Counter;
  private readonly s3Bytes: Counter;
  private readonly s3Failures: Counter;
  private readonly metricChanges: Counter<'stage'>;
  private readonly undecodableMetricChanges: Counter;
  private readonly rerouted: Counter<'topic'>;
  private readonly fatal: Counter;
  private poolSource: (() => PoolUtilization) | undefined;
  private streamThreadSource: (() => readonly StreamThreadStats[]) | undefined;
  private readinessSource: (() => Promise<boolean>) | undefined;

  /**
   * @param eventTypes Event types whose counters start at 0, so every series exists from the
   * first scrape (rates and alerts need a starting point).
   * @param invalidCodes Parse error codes whose invalid-message counters start at 0, likewise.
   */
  constructor(eventTypes: readonly string[] = [], invalidCodes: readonly string[] = []) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.events = new Counter({
      name: 'analytics_events_total',
      help: 'Valid input events consumed by stage 1, by event type (duplicates and stale included).',
      labelNames: ['type'],
      registers,
    });
    this.invalidEvents = new Counter({
      name: 'analytics_events_invalid_total',
      help: 'Invalid input messages sent to the dead-letter topic, by parse error code.',
      labelNames: ['code'],
      registers,
    });
    this.skipped = new Counter({
      name: 'analytics_events_skipped_total',
      help: 'Events ignored because their version was not newer than the stored one (duplicate or stale).',
      labelNames: ['reason'],
      registers,
    });
    this.batchDuration = new Histogram({
      name: 'analytics_batch_duration_seconds',
      help: 'Time to process one batch, by stage (aggregate: reduce + transaction; sink: DynamoDB + S3).',
      labelNames: ['stage'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.batches = new Counter({
      name: 'analytics_batches_total',
      help: 'Batches processed, by stage and outcome (ok or failed; a failed batch is redelivered).',
      labelNames: ['stage', 'outcome'],
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'analytics_consumer_lag',
      help: 'Messages not yet consumed (high watermark minus committed offset), by stage, consumer group and partition.',
      labelNames: ['stage', 'group', 'topic', 'partition'],
      registers,
    });
    this.retries = new Counter({
      name: 'analytics_retries_total',
      help: 'Retries of transient faults (Kafka, DynamoDB, S3), by operation.',
      labelNames: ['operation'],
      registers,
    });
    this.dynamoRows = new Counter({
      name: 'analytics_dynamodb_rows_written_total',
      help: 'DynamoDB rows written (current, hourly history and low-stock rows).',
      registers,
    });
    this.dynamoRequests = new Counter({
      name: 'analytics_dynamodb_requests_total',
      help: 'DynamoDB write requests sent.',
      registers,
    });
    this.dynamoFailures = new Counter({
      name: 'analytics_dynamodb_write_failures_total',
      help: 'DynamoDB batch writes that failed after retries (the batch is redelivered).',
      registers,
    });
    this.s3Objects = new Counter({
      name: 'analytics_s3_objects_written_total',
      help: 'S3 archive objects written.',
      registers,
    });
    this.s3Bytes = new Counter({
      name: 'analytics_s3_bytes_written_total',
      help: 'Bytes of S3 archive objects written (gzip).',
      registers,
    });
    this.s3Failures = new Counter({
      name: 'analytics_s3_write_failures_total',
      help: 'S3 archive writes that failed after retries (the batch is redelivered).',
      registers,
    });
    this.metricChanges = new Counter({
      name: 'analytics_metric_changes_total',
      help: 'Metric-change records produced by stage 1 (stage=aggregate) or consumed by stage 2 (stage=sink).',
      labelNames: ['stage'],
      registers,
    });
    this.undecodableMetricChanges = new Counter({
      name: 'analytics_metric_changes_undecodable_total',
      help: 'Metric-change records stage 2 could not decode and skipped (logged with topic, partition and offset).',
      registers,
    });
    this.rerouted = new Counter({
      name: 'analytics_rerouted_records_total',
      help: 'Input records stage 1 forwarded to the reroute topic because another group owns their key (their producer uses another partitioner than INPUT_PARTITIONER), by input topic.',
      labelNames: ['topic'],
      registers,
    });
    this.fatal = new Counter({
      name: 'analytics_stage_fatal_total',
      help: 'Stages that failed for good (permanent fault or crashed consumer); the process then stops with exit code 1.',
      registers,
    });
    const readiness = () => this.readinessSource;
    new Gauge({
      name: 'analytics_ready',
      help: 'Whether the service is ready (1) or not (0), as /readyz answers; 0 when nothing is wired.',
      registers,
      async collect() {
        const source = readiness();
        let ready = false;
        try {
          ready = source === undefined ? false : await source();
        } catch {
          ready = false;
        }
        this.set(ready ? 1 : 0);
      },
    });
    for (const type of eventTypes) this.events.inc({ type }, 0);
    for (const code of invalidCodes) this.invalidEvents.inc({ code }, 0);
    for (const reason of ['duplicate', 'stale']) this.skipped.inc({ reason }, 0);
    // The retry loops of the stages themselves; the sinks' operations appear with their first retry.
    for (const operation of ['kafka.transaction', 'sink.batch']) this.retries.inc({ operation }, 0);
    for (const stage of ['aggregate', 'sink']) {
      for (const outcome of ['ok', 'failed']) this.batches.inc({ stage, outcome }, 0);
    }
    const pool = (field: keyof PoolUtilization) => () => this.poolSource?.()[field] ?? 0;
    new Gauge({
      name: 'analytics_worker_pool_threads',
      help: 'Worker threads of the reducer pool.',
      registers,
      collect() {
        this.set(pool('threads')());
      },
    });
    new Gauge({
      name: 'analytics_worker_pool_busy',
      help: 'Worker threads busy reducing a batch.',
      registers,
      collect() {
        this.set(pool('busy')());
      },
    });
    new Gauge({
      name: 'analytics_worker_pool_queued',
      help: 'Reduce tasks waiting for a worker.',
      registers,
      collect() {
        this.set(pool('queued')());
      },
    });
    new Gauge({
      name: 'analytics_worker_pool_utilization_ratio',
      help: 'Busy worker threads divided by threads (0..1).',
      registers,
      collect() {
        const threads = pool('threads')();
        this.set(threads === 0 ? 0 : pool('busy')() / threads);
      },
    });
    const threadStats = () => this.streamThreadSource?.() ?? [];
    const threadGauge = (name: string, help: string, field: 'utilization' | 'heapUsedBytes') =>
      new Gauge({
        name,
        help,
        labelNames: ['thread'],
        registers,
        collect() {
          // Only the threads running now: a stopped or dead thread's series is dropped.
          this.reset();
          for (const stats of threadStats()) this.set({ thread: String(stats.thread) }, stats[field]);
        },
      });
    threadGauge(
      'analytics_stream_thread_utilization_ratio',
      'Share of the last second a stage-1 stream thread (STAGE1_THREADS) was busy (0..1); a thread reduces inline, so this replaces the worker pool utilisation in that mode.',
      'utilization',
    );
    threadGauge(
      'analytics_stream_thread_heap_used_bytes',
      "V8 heap in use of a stage-1 stream thread (its groups' product states live there, not in the main thread's heap).",
      'heapUsedBytes',
    );
    watchMajorGc();
    new Gauge({
      name: 'analytics_heap_after_gc_bytes',
      help: 'V8 heap in use right after the last major (mark-sweep-compact) garbage collection; 0 before the first. The soak test watches it for leaks.',
      registers,
      collect() {
        this.set(heapAfterMajorGc);
      },
    });
    new Counter({
      name: 'analytics_worker_pool_tasks_completed_total',
      help: 'Reduce tasks completed by the pool.',
      registers,
      collect() {
        const completed = pool('completed')();
        this.reset();
        this.inc(completed);
      },
    });
  }

  /** Where the worker-pool gauges read from (`ReducerPool.utilization`). */
  setPoolSource(source: (() => PoolUtilization) | undefined): void {
    this.poolSource = source;
  }

  /** Where the stream-thread gauges read from on every scrape (stage 1 on stream threads). */
  setStreamThreadSource(source: (() => readonly StreamThreadStats[]) | undefined): void {
    this.streamThreadSource = source;
  }

  /** Where the `analytics_ready` gauge reads from on every scrape (the `/readyz` check). */
  setReadinessSource(source: (() => Promise<boolean>) | undefined): void {
    this.readinessSource = source;
  }

  /** A stage failed for good (its `onFatal`). */
  recordFatal(): void {
    this.fatal.inc();
  }

  /** Stage 1 consumed `count` valid events of `type`. */
  recordEvents(type: string, count = 1): void {
    if (count > 0) this.events.inc({ type }, count);
  }

  /** Stage 1 dead-lettered `count` invalid messages that failed with parse error `code`. */
  recordInvalid(code: string, count: number): void {
    if (count <= 0) return;
    this.invalidEvents.inc({ code }, count);
    this.stats.deadLettered += count;
  }

  /** Starts the per-input-topic series (rerouted records) at 0, so they exist from the first scrape. */
  declareInputTopics(topics: readonly string[]): void {
    for (const topic of topics) this.rerouted.inc({ topic }, 0);
  }

  /** Stage 1 forwarded `count` records of input `topic` to the reroute topic (committed). */
  recordRerouted(topic: string, count: number): void {
    if (count > 0) this.rerouted.inc({ topic }, count);
  }

  /** Stage 1 ignored `count` events as duplicate or stale. */
  recordSkipped(reason: 'duplicate' | 'stale', count = 1): void {
    if (count > 0) this.skipped.inc({ reason }, count);
  }

  /** Stage 1 committed `count` input messages (any outcome). */
  recordProcessed(count: number): void {
    this.stats.processed += count;
  }

  /** One batch of `stage` finished (or failed) after `seconds`. */
  recordBatch(stage: 'aggregate' | 'sink', seconds: number, ok = true): void {
    this.batchDuration.observe({ stage }, seconds);
    this.batches.inc({ stage, outcome: ok ? 'ok' : 'failed' });
  }

  /** Metric-change records produced (aggregate) or consumed (sink). */
  recordMetricChanges(stage: 'aggregate' | 'sink', count: number): void {
    if (count <= 0) return;
    this.metricChanges.inc({ stage }, count);
    if (stage === 'sink') this.stats.sinkRecords += count;
  }

  /** Stage 2 skipped a metric-change record it could not decode. */
  recordUndecodableMetricChange(): void {
    this.undecodableMetricChanges.inc();
  }

  /** Current lag of one partition of a consumer group (of `stage`, when given). */
  setConsumerLag(group: string, topic: string, partition: number, lag: number, stage?: string): void {
    this.consumerLag.set(
      { ...(stage === undefined ? {} : { stage }), group, topic, partition: String(partition) },
      lag,
    );
  }

  /** A transient fault of `operation` is being retried. */
  recordRetry(operation: string): void {
    this.retries.inc({ operation });
  }

  /** A DynamoDB batch write succeeded. */
  recordDynamoWrite(rows: number, requests: number): void {
    this.dynamoRows.inc(rows);
    this.dynamoRequests.inc(requests);
    this.stats.rowsWritten += rows;
  }

  /** A DynamoDB batch write failed after retries. */
  recordDynamoFailure(): void {
    this.dynamoFailures.inc();
  }

  /** An S3 archive write succeeded. */
  recordS3Write(objects: number, bytes: number): void {
    this.s3Objects.inc(objects);
    this.s3Bytes.inc(bytes);
    this.stats.objectsArchived += objects;
  }

  /** An S3 archive write failed after retries. */
  recordS3Failure(): void {
    this.s3Failures.inc();
  }
}
