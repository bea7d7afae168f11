import type { DynamoDbMetricsSinkOptions } from '@marketplace/dynamodb-sink';
import type {
  MetricChangeConsumerMetricsHooks,
  PartitionLag,
  ProcessorMetricsHooks,
  WatchedGroup,
  WriteInOrderHooks,
} from '@marketplace/kafka-processor';
import type { S3MetricsArchiveOptions } from '@marketplace/s3-sink';
import type { Telemetry } from './Telemetry.js';

type DynamoHooks = NonNullable<DynamoDbMetricsSinkOptions['metrics']>;
type S3Hooks = NonNullable<S3MetricsArchiveOptions['metrics']>;

/** Maps the aggregate stage's hooks onto the service's Prometheus metrics. */
export function processorHooks(telemetry: Telemetry): ProcessorMetricsHooks {
  return {
    onBatch(batch) {
      for (const [type, count] of Object.entries(batch.eventsByType)) telemetry.recordEvents(type, count);
      telemetry.recordSkipped('duplicate', batch.duplicate);
      telemetry.recordSkipped('stale', batch.stale);
      for (const [code, count] of Object.entries(batch.invalidByCode)) {
        telemetry.recordInvalid(code, count ?? 0);
      }
      telemetry.recordProcessed(batch.messages);
      telemetry.recordMetricChanges('aggregate', batch.metricChanges);
      telemetry.recordBatch('aggregate', batch.durationMs / 1000);
    },
    onTransactionRetry() {
      telemetry.recordRetry('kafka.transaction');
    },
    onRerouted(info) {
      telemetry.recordRerouted(info.topic, info.records);
    },
    onBatchFailed(info) {
      telemetry.recordBatch('aggregate', info.durationMs / 1000, false);
    },
  };
}

/** Maps the sink stage's consumer-loop hooks onto the service's Prometheus metrics. */
export function metricChangeConsumerHooks(telemetry: Telemetry): MetricChangeConsumerMetricsHooks {
  return {
    onBatch(info) {
      telemetry.recordMetricChanges('sink', info.records);
    },
    onRetry() {
      telemetry.recordRetry('sink.batch');
    },
    onInvalidRecord() {
      // The library has logged topic, partition, offset and the error at warn.
      telemetry.recordUndecodableMetricChange();
    },
  };
}

/** Maps the DynamoDB sink's hooks onto the service's Prometheus metrics. */
export function dynamoHooks(telemetry: Telemetry): DynamoHooks {
  return {
    onBatchWritten(info) {
      telemetry.recordDynamoWrite(info.rowsWritten, info.requests);
    },
    onRetry(info) {
      telemetry.recordRetry(`dynamodb.${info.operation}`);
    },
  };
}

/** Maps the S3 archive's hooks onto the service's Prometheus metrics. */
export function s3Hooks(telemetry: Telemetry): S3Hooks {
  return {
    onObjectWritten(info) {
      telemetry.recordS3Write(1, info.bytes);
    },
    onRetry(info) {
      telemetry.recordRetry(`s3.${info.operation}`);
    },
  };
}

/** Maps stage 2's ordered writes (`writeInOrder`: DynamoDB, then S3) onto the service's metrics. */
export function sinkWriterHooks(telemetry: Telemetry): WriteInOrderHooks {
  return {
    onWriteFailed(info) {
      if (info.writer === 'dynamodb') telemetry.recordDynamoFailure();
      else telemetry.recordS3Failure();
    },
    onBatch(info) {
      telemetry.recordBatch('sink', info.durationMs / 1000, info.ok);
    },
  };
}

/** A consumer group of the service with the stage it serves (the `stage` label of the lag gauge). */
export type StageGroup = WatchedGroup & { stage: 'aggregate' | 'sink' };

/** Publishes each lag poll of `LagMonitor` as the `analytics_consumer_lag` gauge. */
export function consumerLagHook(
  telemetry: Telemetry,
): (group: StageGroup, lags: readonly PartitionLag[]) => void {
  return (group, lags) => {
    for (const { topic, partition, lag } of lags) {
      telemetry.setConsumerLag(group.groupId, topic, partition, lag, group.stage);
    }
  };
}
