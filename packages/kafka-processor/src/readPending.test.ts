import { describe, expect, it } from 'vitest';
import { ScriptedKafka } from '../test/fixtures/scriptedKafka.js';
import { resolveToolOptions } from './pipelineToolOptions.js';
import { readPending } from './readPending.js';

describe('readPending', () => {
  it('reads each offset once, from the committed offsets or the start, on partitions added meanwhile too', async () => {
    const kafka = new ScriptedKafka({
      'product.updated': {
        // The second request (consumeToEnd's) sees partition 2, added in between.
        offsets: [
          [
            { partition: 0, low: '0', high: '10' },
            { partition: 1, low: '0', high: '4' },
          ],
          [
            { partition: 0, low: '0', high: '10' },
            { partition: 1, low: '0', high: '4' },
            { partition: 2, low: '0', high: '2' },
          ],
        ],
        // Stage 1 committed partition 0 only.
        committed: [{ partition: 0, offset: '6' }],
        batches: [
          { partition: 0, offsets: [4, 5, 6, 7] },
          // Handed over again after the throwaway group rebalanced, and a third time.
          { partition: 0, offsets: [6, 7, 8, 9] },
          { partition: 0, offsets: [8, 9] },
          { partition: 1, offsets: [0, 1, 2, 3] },
          { partition: 2, offsets: [0, 1] },
        ],
      },
    });
    const r = resolveToolOptions({
      kafka: kafka.asKafka(),
      applicationId: 'app',
      sinkGroupId: 'app-sink',
      apply: false,
    });
    const sampled: string[] = [];
    const progress: number[] = [];

    const { pending, ends } = await readPending(
      { ...r, progress: (p) => progress.push(p.done) },
      2,
      (topic, partition, m) => sampled.push(`${topic}/${partition}@${m.offset}`),
    );

    expect(sampled).toEqual(['product.updated/0@4', 'product.updated/0@5']);
    expect(pending.map((p) => [p.partition, p.messages.map((m) => m.offset)])).toEqual([
      [0, ['6', '7']],
      [0, ['8', '9']],
      [1, ['0', '1', '2', '3']],
      [2, ['0', '1']],
    ]);
    expect(progress).toEqual([4, 6, 10, 12]);
    expect(ends).toEqual(
      new Map([
        [
          'product.updated',
          new Map([
            [0, '10'],
            [1, '4'],
          ]),
        ],
      ]),
    );
    expect(kafka.setOffsets).toEqual([
      {
        groupId: expect.stringMatching(/^app-aggregate-rescale-/),
        topic: 'product.updated',
        partitions: [
          { partition: 0, offset: '4' },
          { partition: 1, offset: '0' },
        ],
      },
    ]);
  });
});
