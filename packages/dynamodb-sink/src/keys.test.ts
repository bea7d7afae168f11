import { describe, expect, it } from 'vitest';
import {
  currentSk,
  entityPk,
  historySk,
  historySkMaxOf,
  historyTtl,
  hourOf,
  hourStartMs,
  lowStockPk,
  nextHour,
} from './keys.js';

describe('row keys', () => {
  it('builds the keys of the DynamoDB layout', () => {
    expect(entityPk('seller', 's-1')).toBe('SELLER#s-1');
    expect(entityPk('category', 'books')).toBe('CATEGORY#books');
    expect(lowStockPk('s-1')).toBe('LOWSTOCK#s-1');
    expect(currentSk(3)).toBe('CUR#G3');
    expect(historySk('2026-11-25T17', 3)).toBe('H#2026-11-25T17#G3');
  });

  it('puts every group of an hour below the upper bound of that hour and above the previous hour', () => {
    const max = historySkMaxOf('2026-11-25T17');
    expect(historySk('2026-11-25T17', 123) < max).toBe(true);
    expect(historySk('2026-11-25T18', 0) > max).toBe(true);
  });
});

describe('hours', () => {
  it('takes the UTC hour of an instant', () => {
    expect(hourOf(Date.parse('2026-11-25T17:59:59.999Z'))).toBe('2026-11-25T17');
    expect(hourOf(new Date('2026-11-25T23:30:00+02:00'))).toBe('2026-11-25T21');
  });

  it('steps over day and month ends', () => {
    expect(nextHour('2026-11-30T23')).toBe('2026-12-01T00');
    expect(hourStartMs('2026-11-25T17')).toBe(Date.parse('2026-11-25T17:00:00.000Z'));
  });

  it('sets ttl to the end of the hour plus the retention days, in epoch seconds', () => {
    expect(historyTtl('2026-11-25T17', 30)).toBe(Date.parse('2026-12-25T18:00:00.000Z') / 1000);
    expect(historyTtl('2026-11-25T17', 1)).toBe(Date.parse('2026-11-26T18:00:00.000Z') / 1000);
  });
});
