import { describe, expect, it } from 'vitest';
import { ScriptedKafka } from '../test/fixtures/scriptedKafka.js';
import { consumeToEnd } from './consumeToEnd.js';

describe('consumeToEnd', () => {
  it('hands over only the records below the end read at start, of the partitions that had any', async () => {
    const kafka = new ScriptedKafka({
      t: {
        offsets: [
          [
            { partition: 0, low: '0', high: '4' },
            { partition: 1, low: '2', high: '2' },
          ],
        ],
        // The group's offsets omit partition 0: it is read from its start.
        committed: [{ partition: 1, offset: '2' }],
        batches: [
          { partition: 0, offsets: [0, 1] },
          // Partition 1 was empty at start; records produced since are not read.
          { partition: 1, offsets: [2] },
          { partition: 0, offsets: [2, 3, 4, 5] },
          { partition: 0, offsets: [4, 5] },
        ],
      },
    });
    const batches: [number, string[], string][] = [];
    const totals: number[] = [];

    const result = await consumeToEnd({
      kafka: kafka.asKafka(),
      topic: 't',
      groupId: 'g',
      deleteGroup: true,
      onStart: (total) => totals.push(total),
      eachBatch: ({ partition, messages, nextOffset }) => {
        batches.push([partition, messages.map((m) => m.offset), nextOffset]);
        return true;
      },
    });

    expect(result).toEqual({ total: 4, stopped: false });
    expect(totals).toEqual([4]);
    expect(batches).toEqual([
      [0, ['0', '1'], '2'],
      [0, ['2', '3'], '4'],
    ]);
  });
});
