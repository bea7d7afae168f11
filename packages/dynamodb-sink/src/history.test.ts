import { describe, expect, it } from 'vitest';
import { foldHistory, type HistoryPoint } from './history.js';

const sum = (parts: number[]): number => parts.reduce((a, b) => a + b, 0);

describe('foldHistory', () => {
  it('sums groups per hour and carries each group forward over hours without a change', () => {
    const points: HistoryPoint<number>[] = [
      { hour: '2026-11-25T10', group: 0, values: 1 },
      { hour: '2026-11-25T10', group: 1, values: 10 },
      { hour: '2026-11-25T12', group: 0, values: 2 },
      { hour: '2026-11-25T13', group: 1, values: 20 },
    ];

    expect(foldHistory(points, '2026-11-25T10', '2026-11-25T14', sum)).toEqual([
      { hour: '2026-11-25T10:00:00.000Z', values: 11 },
      { hour: '2026-11-25T11:00:00.000Z', values: 11 },
      { hour: '2026-11-25T12:00:00.000Z', values: 12 },
      { hour: '2026-11-25T13:00:00.000Z', values: 22 },
      { hour: '2026-11-25T14:00:00.000Z', values: 22 },
    ]);
  });

  it('seeds the range with values from before it and reports nothing before the first row', () => {
    const points: HistoryPoint<number>[] = [
      { hour: '2026-11-25T08', group: 0, values: 5 },
      { hour: '2026-11-25T12', group: 1, values: 7 },
    ];

    expect(foldHistory(points, '2026-11-25T11', '2026-11-25T12', sum)).toEqual([
      { hour: '2026-11-25T11:00:00.000Z', values: 5 },
      { hour: '2026-11-25T12:00:00.000Z', values: 12 },
    ]);
    expect(foldHistory(points, '2026-11-25T00', '2026-11-25T08', sum).map((e) => e.hour)).toEqual([
      '2026-11-25T08:00:00.000Z',
    ]);
  });

  it('returns nothing without rows or when every row is after the range', () => {
    expect(foldHistory([], '2026-11-25T00', '2026-11-25T08', sum)).toEqual([]);
    expect(
      foldHistory([{ hour: '2026-11-25T09', group: 0, values: 1 }], '2026-11-25T00', '2026-11-25T08', sum),
    ).toEqual([]);
  });
});
