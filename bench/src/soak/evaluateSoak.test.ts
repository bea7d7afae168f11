import { describe, expect, it } from 'vitest';
import { evaluateSoak, type SoakSample } from './evaluateSoak.js';

function samples(minutes: number, heap: (t: number) => number, lag: (t: number) => number): SoakSample[] {
  return Array.from({ length: (minutes * 60) / 5 + 1 }, (_, i) => {
    const t = i * 5;
    return {
      t,
      heapAfterGcMb: heap(t),
      heapUsedMb: heap(t) + 10,
      rssMb: 150,
      openFds: 40,
      eventLoopP99Ms: 12,
      lag: lag(t),
      throughput: 200,
      producedRate: 200,
      batchP50Ms: 20,
      batchP99Ms: 80,
    };
  });
}

describe('evaluateSoak', () => {
  it('passes a flat heap, lag back to zero after the restart and errors only during it', () => {
    const run = {
      samples: samples(
        10,
        () => 40,
        (t) => (t > 300 && t < 330 ? 5_000 : 10),
      ),
      restartAt: 300,
      errors: [{ t: 310, member: 'b', msg: 'rebalance' }],
      rate: 200,
    };

    const criteria = evaluateSoak(run);

    expect(criteria.map((c) => c.pass)).toEqual([true, true, true, true]);
    expect(criteria[0]?.detail).toBe('40.0 MiB -> 40.0 MiB (0.0%)');
    expect(criteria[1]?.detail).toBe('peak 5000; at or below 200 30 s after the restart');
    expect(criteria[2]?.detail).toBe('median 10, at most 200');
  });

  it('fails a heap that grows 10% or more, and a lag that stays high', () => {
    const run = {
      samples: samples(
        10,
        (t) => 40 + t / 20,
        (t) => (t > 300 ? 5_000 : 0),
      ),
      restartAt: 300,
      errors: [],
      rate: 200,
    };

    const [heap, lag, endLag] = evaluateSoak(run);

    expect(heap?.pass).toBe(false);
    expect(lag).toEqual(
      expect.objectContaining({ pass: false, detail: 'never at or below 200 after the restart (peak 5000)' }),
    );
    expect(endLag).toEqual(expect.objectContaining({ pass: false, detail: 'median 5000, at most 200' }));
  });

  it('checks the stream threads heap by the floor of each window when the member runs stage 1 on them', () => {
    const run = (threadHeap: (t: number) => number) => ({
      samples: samples(
        10,
        () => 40,
        () => 10,
      ).map((s) => ({ ...s, threadHeapMb: threadHeap(s.t) })),
      restartAt: 300,
      errors: [],
      rate: 200,
    });
    // A sawtooth between collections (floor 100 MiB throughout) passes...
    const flat = evaluateSoak(run((t) => 100 + ((t / 5) % 4) * 30));
    expect(flat).toHaveLength(5);
    expect(flat[1]).toMatchObject({ pass: true, detail: '100.0 MiB -> 100.0 MiB (0.0%)' });
    // ...a floor that rises 12% fails.
    const growing = evaluateSoak(run((t) => (t >= 540 ? 112 : 100) + ((t / 5) % 4) * 30));
    expect(growing[1]).toMatchObject({ pass: false, detail: '100.0 MiB -> 112.0 MiB (12.0%)' });
    // Without stream threads there is no such criterion.
    expect(evaluateSoak(run(() => 0))).toHaveLength(4);
  });

  it('fails on an error log outside the restart window, and uses heap in use before any major GC', () => {
    const run = {
      samples: samples(
        4,
        () => 0,
        () => 0,
      ),
      restartAt: 120,
      errors: [{ t: 30, member: 'a', msg: 'boom' }],
      rate: 10,
    };

    const [heap, , , errors] = evaluateSoak(run);

    expect(heap?.detail).toBe('10.0 MiB -> 10.0 MiB (0.0%)');
    expect(errors).toEqual(expect.objectContaining({ pass: false }));
    expect(errors?.detail).toContain('first: a at 30 s: boom');
  });
});
