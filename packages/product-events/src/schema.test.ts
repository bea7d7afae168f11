import { describe, expect, it } from 'vitest';
import { isValidCalendarDay } from './schema.js';

describe('isValidCalendarDay', () => {
  it.each([
    ['2026-01-31T00:00:00Z', true],
    ['2026-02-28T00:00:00Z', true],
    ['2026-02-29T00:00:00Z', false],
    ['2028-02-29T00:00:00Z', true],
    ['2000-02-29T00:00:00Z', true],
    ['1900-02-29T00:00:00Z', false],
    ['2026-06-30T00:00:00Z', true],
    ['2026-06-31T00:00:00Z', false],
    ['2026-12-31T00:00:00Z', true],
  ])('says %s exists: %s', (dateTime, exists) => {
    expect(isValidCalendarDay(dateTime)).toBe(exists);
  });
});
