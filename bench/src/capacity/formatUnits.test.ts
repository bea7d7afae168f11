import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLargeCount,
  formatPercent,
  formatUsd,
} from './formatUnits.js';

describe('formatUnits', () => {
  it('formats counts, large counts and shares', () => {
    expect(formatCount(56.663)).toBe('56.7');
    expect(formatCount(10_586.8)).toBe('10,587');
    expect(formatLargeCount(788_400)).toBe('788,400');
    expect(formatLargeCount(1_576_800)).toBe('1.58 million');
    expect(formatLargeCount(14_900_000_000)).toBe('14.9 billion');
    expect(formatPercent(1 / 12)).toBe('8.33%');
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 2 ** 40)).toBe('5 TiB');
  });

  it('formats dollars with cents below 1000 and whole above', () => {
    expect(formatUsd(0.1)).toBe('$0.10');
    expect(formatUsd(492.75)).toBe('$492.75');
    expect(formatUsd(17_071.6)).toBe('$17,072');
  });

  it('formats durations in seconds, minutes or hours', () => {
    expect(formatDuration(27.34)).toBe('27.3 s');
    expect(formatDuration(618)).toBe('10.3 min');
    expect(formatDuration(3 * 3600)).toBe('3 h');
  });
});
