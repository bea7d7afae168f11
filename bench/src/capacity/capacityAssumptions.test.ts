import { DEFAULT_DYNAMODB_SINK_OPTIONS } from '@marketplace/dynamodb-sink';
import { DEFAULT_INTERNAL_TOPICS, DEFAULT_PROCESSOR_OPTIONS } from '@marketplace/kafka-processor';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPACITY_ASSUMPTIONS } from './capacityAssumptions.js';

describe('DEFAULT_CAPACITY_ASSUMPTIONS', () => {
  it('mirrors the package defaults it stands for', () => {
    expect(DEFAULT_CAPACITY_ASSUMPTIONS.historyTtlDays).toBe(DEFAULT_DYNAMODB_SINK_OPTIONS.historyTtlDays);
    expect(DEFAULT_CAPACITY_ASSUMPTIONS.sessionTimeoutSeconds * 1000).toBe(
      DEFAULT_PROCESSOR_OPTIONS.consumer.sessionTimeout,
    );
    expect(DEFAULT_CAPACITY_ASSUMPTIONS.restoreTimeoutSeconds * 1000).toBe(
      DEFAULT_PROCESSOR_OPTIONS.restoreTimeoutMs,
    );
  });

  it('counts the topics that carry the input partition count', () => {
    expect(DEFAULT_CAPACITY_ASSUMPTIONS.topicsPerGroup).toBe(3 + Object.keys(DEFAULT_INTERNAL_TOPICS).length);
  });
});
