import {
  decodeMetricChange,
  encodeMetricChange,
  type MetricChange,
  type MetricChangeRecord,
  type SourcePosition,
} from '@marketplace/analytics-aggregator';

/**
 * One JSON Lines line (without the newline) for a record: the metric change as
 * `encodeMetricChange` writes it (bigints as decimal strings) plus `source`.
 */
export function encodeRecordLine(record: MetricChangeRecord): string {
  const { source, ...change } = record;
  const json = JSON.parse(encodeMetricChange(change as MetricChange).toString('utf8')) as Record<
    string,
    unknown
  >;
  return JSON.stringify({
    ...json,
    source: { topic: source.topic, partition: source.partition, offset: source.offset },
  });
}

/**
 * Decodes a line written by {@link encodeRecordLine}.
 * @throws Error when the line is not JSON, has no valid `source`, or the change is invalid
 * (`AggregatorError` `INVALID_METRIC_CHANGE`).
 */
export function decodeRecordLine(line: string): MetricChangeRecord {
  const parsed = JSON.parse(line) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('line is not a JSON object');
  }
  const { source, ...change } = parsed as { source?: unknown } & Record<string, unknown>;
  const position = checkSource(source);
  return { ...decodeMetricChange(JSON.stringify(change)), source: position };
}

function checkSource(value: unknown): SourcePosition {
  const source = value as Partial<SourcePosition> | null | undefined;
  if (
    typeof source !== 'object' ||
    source === null ||
    typeof source.topic !== 'string' ||
    !Number.isSafeInteger(source.partition) ||
    typeof source.offset !== 'string' ||
    !/^\d+$/.test(source.offset)
  ) {
    throw new Error('line has no valid "source" ({ topic, partition, offset })');
  }
  return { topic: source.topic, partition: source.partition as number, offset: source.offset };
}
