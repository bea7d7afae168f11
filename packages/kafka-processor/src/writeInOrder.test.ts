import type { MetricChangeRecord } from '@marketplace/analytics-aggregator';
import { describe, expect, it } from 'vitest';
import { KafkaProcessorOptionsError } from './errors.js';
import { writeInOrder } from './writeInOrder.js';

const batch = [{ key: 'seller#s-1' }, { key: 'category#toys' }] as unknown as MetricChangeRecord[];

/** A writer that records the order of calls in `log` and fails when told to. */
function writer(name: string, log: string[], fail?: Error) {
  return {
    name,
    writer: {
      async write(records: readonly MetricChangeRecord[]) {
        log.push(`${name}:${records.length}`);
        if (fail) throw fail;
        return { stored: records.length };
      },
    },
  };
}

describe('writeInOrder', () => {
  it('writes the batch to each writer in the given order and reports each write and the batch', async () => {
    const log: string[] = [];
    const events: string[] = [];
    const handle = writeInOrder([writer('dynamodb', log), writer('s3', log)], {
      onWritten: (info) =>
        events.push(`written ${info.writer} ${info.records} ${JSON.stringify(info.result)}`),
      onBatch: (info) => events.push(`batch ${info.records} ${info.ok}`),
    });

    await handle(batch);

    expect(log).toEqual(['dynamodb:2', 's3:2']);
    expect(events).toEqual(['written dynamodb 2 {"stored":2}', 'written s3 2 {"stored":2}', 'batch 2 true']);
  });

  it('stops at the first failing writer, reports it and rethrows, so later writers never see the batch', async () => {
    const log: string[] = [];
    const failed: string[] = [];
    const outcome: boolean[] = [];
    const boom = new Error('throttled for good');
    const handle = writeInOrder([writer('dynamodb', log, boom), writer('s3', log)], {
      onWriteFailed: (info) => failed.push(`${info.writer}:${(info.error as Error).message}`),
      onBatch: (info) => outcome.push(info.ok),
    });

    await expect(handle(batch)).rejects.toBe(boom);

    expect(log).toEqual(['dynamodb:2']);
    expect(failed).toEqual(['dynamodb:throttled for good']);
    expect(outcome).toEqual([false]);
  });

  it('works without hooks', async () => {
    const log: string[] = [];
    await writeInOrder([writer('only', log)])(batch);
    expect(log).toEqual(['only:2']);
  });

  it('rejects no writers and a writer without write()', () => {
    expect(() => writeInOrder([])).toThrow(KafkaProcessorOptionsError);
    expect(() => writeInOrder([{ name: 'x', writer: {} as never }])).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', field: 'writers[0].writer' }),
    );
  });
});
