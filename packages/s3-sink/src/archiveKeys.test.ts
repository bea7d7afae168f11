import { describe, expect, it } from 'vitest';
import {
  archiveKey,
  compareArchiveKeys,
  dayAndHour,
  dayPrefix,
  daysBetween,
  normalizePrefix,
  parseArchiveKey,
} from './archiveKeys.js';

const parts = {
  day: '2026-11-25',
  hour: '07',
  topic: 'analytics.metric-changes',
  partition: 3,
  startOffset: '120',
};

describe('archive keys', () => {
  it('names objects <prefix>/dt=YYYY-MM-DD/hour=HH/<topic>+<partition>+<startOffset>.jsonl.gz', () => {
    expect(archiveKey('metrics', parts)).toBe(
      'metrics/dt=2026-11-25/hour=07/analytics.metric-changes+3+120.jsonl.gz',
    );
    expect(archiveKey('', parts)).toBe('dt=2026-11-25/hour=07/analytics.metric-changes+3+120.jsonl.gz');
    expect(dayPrefix('a/b', '2026-11-25')).toBe('a/b/dt=2026-11-25/');
  });

  it('parses its own keys back and ignores foreign ones', () => {
    expect(parseArchiveKey('metrics', archiveKey('metrics', parts))).toEqual(parts);
    expect(parseArchiveKey('', archiveKey('', parts))).toEqual(parts);
    expect(parseArchiveKey('metrics', 'other/dt=2026-11-25/hour=07/t+1+2.jsonl.gz')).toBeUndefined();
    expect(parseArchiveKey('metrics', 'metrics/dt=2026-11-25/hour=07/readme.txt')).toBeUndefined();
  });

  it('drops slashes at the ends of a prefix', () => {
    expect(normalizePrefix('/metrics/v1/')).toBe('metrics/v1');
    expect(normalizePrefix('')).toBe('');
  });

  it('lists every UTC day of a range, inclusive', () => {
    expect(daysBetween(Date.parse('2026-11-30T23:00:00Z'), Date.parse('2026-12-02T00:00:00Z'))).toEqual([
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
    ]);
    expect(dayAndHour(Date.parse('2026-11-25T07:59:59.999Z'))).toEqual({ day: '2026-11-25', hour: '07' });
  });

  it('compares keys consistently both ways', () => {
    const later = { ...parts, hour: '08' };
    const otherTopic = { ...parts, topic: 'z' };

    expect(compareArchiveKeys(later, parts)).toBe(1);
    expect(compareArchiveKeys(parts, later)).toBe(-1);
    expect(compareArchiveKeys(otherTopic, parts)).toBe(1);
    expect(compareArchiveKeys(parts, otherTopic)).toBe(-1);
    expect(compareArchiveKeys({ ...parts, startOffset: '100' }, { ...parts, startOffset: '99' })).toBe(1);
  });

  it('orders objects by hour, topic, partition, then numeric start offset', () => {
    const keys = [
      { ...parts, startOffset: '100' },
      { ...parts, startOffset: '99' },
      { ...parts, partition: 1, startOffset: '500' },
      { ...parts, hour: '06', startOffset: '999' },
      { ...parts, topic: 'a', startOffset: '1000' },
      { ...parts, startOffset: '99' },
    ];

    expect(
      [...keys].sort(compareArchiveKeys).map((k) => `${k.hour} ${k.topic} ${k.partition} ${k.startOffset}`),
    ).toEqual([
      '06 analytics.metric-changes 3 999',
      '07 a 3 1000',
      '07 analytics.metric-changes 1 500',
      '07 analytics.metric-changes 3 99',
      '07 analytics.metric-changes 3 99',
      '07 analytics.metric-changes 3 100',
    ]);
  });
});
