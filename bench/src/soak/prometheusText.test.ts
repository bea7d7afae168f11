import { describe, expect, it } from 'vitest';
import { histogramBuckets, parsePrometheus, quantileBetween, sumOf } from './prometheusText.js';

const TEXT = `# HELP x help
# TYPE analytics_consumer_lag gauge
analytics_consumer_lag{group="app",topic="a",partition="0"} 5
analytics_consumer_lag{group="app",topic="a",partition="1"} 7
analytics_consumer_lag{group="app-sink",topic="c",partition="0"} 100
process_open_fds 31
h_bucket{stage="aggregate",le="0.1"} 2
h_bucket{stage="aggregate",le="1"} 6
h_bucket{stage="aggregate",le="+Inf"} 8
h_bucket{stage="sink",le="0.1"} 50
`;

describe('parsePrometheus', () => {
  it('reads names, labels and values, and sums by labels', () => {
    const samples = parsePrometheus(TEXT);

    expect(sumOf(samples, 'analytics_consumer_lag', { group: 'app' })).toBe(12);
    expect(sumOf(samples, 'analytics_consumer_lag')).toBe(112);
    expect(sumOf(samples, 'process_open_fds')).toBe(31);
    expect(sumOf(samples, 'missing')).toBe(0);
    expect(samples[0]).toEqual({
      name: 'analytics_consumer_lag',
      labels: { group: 'app', topic: 'a', partition: '0' },
      value: 5,
    });
  });

  it('collects cumulative histogram buckets in order', () => {
    expect(histogramBuckets(parsePrometheus(TEXT), 'h', { stage: 'aggregate' })).toEqual([
      [0.1, 2],
      [1, 6],
      [Number.POSITIVE_INFINITY, 8],
    ]);
  });
});

describe('quantileBetween', () => {
  const before: Array<[number, number]> = [
    [0.1, 2],
    [1, 6],
    [Number.POSITIVE_INFINITY, 8],
  ];

  it('interpolates inside the bucket of the observations between two scrapes', () => {
    const after: Array<[number, number]> = [
      [0.1, 12],
      [1, 16],
      [Number.POSITIVE_INFINITY, 18],
    ];
    // 10 new observations, all in (0, 0.1]: the median is half way.
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.05);
    expect(quantileBetween(before, before, 0.5)).toBeUndefined();
  });

  it('answers the highest finite bound for observations in +Inf, and counts a reset from zero', () => {
    const after: Array<[number, number]> = [
      [0.1, 0],
      [1, 0],
      [Number.POSITIVE_INFINITY, 4],
    ];
    expect(quantileBetween(before, after, 0.99)).toBe(1);
    const restarted: Array<[number, number]> = [
      [0.1, 1],
      [1, 1],
      [Number.POSITIVE_INFINITY, 1],
    ];
    expect(quantileBetween(before, restarted, 0.5)).toBeCloseTo(0.05);
  });
});
