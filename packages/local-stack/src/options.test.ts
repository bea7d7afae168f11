import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CREDENTIALS,
  DEFAULT_DYNAMO_OPTIONS,
  DEFAULT_KAFKA_OPTIONS,
  DEFAULT_REGION,
  DEFAULT_S3_OPTIONS,
} from './defaults.js';
import { LocalStackError } from './errors.js';
import { resolveOptions } from './options.js';

describe('resolveOptions', () => {
  it('starts all three servers with the defaults when given nothing', () => {
    const resolved = resolveOptions();

    expect(resolved.kafka).toEqual(DEFAULT_KAFKA_OPTIONS);
    expect(resolved.dynamodb).toEqual(DEFAULT_DYNAMO_OPTIONS);
    expect(resolved.s3).toEqual(DEFAULT_S3_OPTIONS);
    expect(resolved.region).toBe(DEFAULT_REGION);
    expect(resolved.credentials).toEqual(DEFAULT_CREDENTIALS);
    expect(resolved.detached).toBe(false);
  });

  it('leaves out a server set to false and merges given options over the defaults', () => {
    const resolved = resolveOptions({ s3: false, kafka: { heapMb: 256 }, dynamodb: { createTableMs: 100 } });

    expect(resolved.s3).toBeUndefined();
    expect(resolved.kafka).toEqual({ ...DEFAULT_KAFKA_OPTIONS, heapMb: 256 });
    expect(resolved.dynamodb?.createTableMs).toBe(100);
  });

  it('runs one broker by default and a cluster of the size asked for', () => {
    expect(resolveOptions().kafka?.brokers).toBe(1);
    expect(resolveOptions({ kafka: { brokers: 3 } }).kafka).toEqual({ ...DEFAULT_KAFKA_OPTIONS, brokers: 3 });
  });

  it('does not let the caller change the frozen defaults', () => {
    const resolved = resolveOptions();
    resolved.kafka!.heapMb = 1;

    expect(DEFAULT_KAFKA_OPTIONS.heapMb).toBe(512);
    expect(Object.isFrozen(DEFAULT_KAFKA_OPTIONS)).toBe(true);
  });

  it.each([
    [{ kafka: { port: 70_000 } }, 'kafka.port'],
    [{ kafka: { port: 1.5 } }, 'kafka.port'],
    [{ kafka: { brokers: 0 } }, 'kafka.brokers'],
    [{ kafka: { brokers: 2.5 } }, 'kafka.brokers'],
    [{ kafka: { brokers: 6 } }, 'kafka.brokers'],
    [{ kafka: { brokers: '3' } }, 'kafka.brokers'],
    [{ kafka: { heapMb: 10 } }, 'kafka.heapMb'],
    [{ kafka: { startTimeoutMs: 0 } }, 'kafka.startTimeoutMs'],
    [{ kafka: { autoCreateTopics: 'yes' } }, 'kafka.autoCreateTopics'],
    [{ kafka: { brokerConfig: null } }, 'kafka.brokerConfig'],
    [{ kafka: { internalTopicPartitions: 0 } }, 'kafka.internalTopicPartitions'],
    [{ kafka: { heapSize: 1 } }, 'kafka.heapSize'],
    [{ kafka: 'on' }, 'kafka'],
    [{ dynamodb: { port: -1 } }, 'dynamodb.port'],
    [{ dynamodb: { createTableMs: -5 } }, 'dynamodb.createTableMs'],
    [{ dynamodb: { startTimeoutMs: 0 } }, 'dynamodb.startTimeoutMs'],
    [{ dynamodb: { deleteTableMs: 0.5 } }, 'dynamodb.deleteTableMs'],
    [{ s3: { heapMb: 0 } }, 's3.heapMb'],
    [{ s3: { port: 'x' } }, 's3.port'],
    [{ s3: { startTimeoutMs: -1 } }, 's3.startTimeoutMs'],
    [{ region: '' }, 'region'],
    [{ credentials: { accessKeyId: '', secretAccessKey: 'x' } }, 'credentials'],
    [{ onProgress: 'print' }, 'onProgress'],
  ])('rejects %j naming the field %s', (options, field) => {
    let caught: unknown;
    try {
      resolveOptions(options as never);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(LocalStackError);
    expect(caught).toMatchObject({ code: 'INVALID_OPTIONS', field, retryable: false });
    expect((caught as Error).message).toContain(`\`${field}\``);
  });
});
