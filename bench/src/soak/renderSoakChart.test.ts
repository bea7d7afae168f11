import { describe, expect, it } from 'vitest';
import type { SoakSample } from './evaluateSoak.js';
import { niceCeiling, renderSoakChart } from './renderSoakChart.js';

const sample = (t: number, over: Partial<SoakSample> = {}): SoakSample => ({
  t,
  heapAfterGcMb: 40,
  heapUsedMb: 55,
  rssMb: 160,
  openFds: 42,
  eventLoopP99Ms: 11,
  lag: 3,
  throughput: 200,
  producedRate: 200,
  batchP50Ms: 20,
  batchP99Ms: 90,
  ...over,
});

describe('renderSoakChart', () => {
  const svg = renderSoakChart(
    [sample(0, { heapAfterGcMb: 0, batchP50Ms: null }), sample(5), sample(10, { lag: 4000 })],
    {
      title: 'Soak <10 min>',
      subtitle: ['rate 200 events/s'],
      restartAt: 5,
      criteria: [
        { name: 'heap', pass: true, detail: '40 -> 41' },
        { name: 'lag', pass: false, detail: 'never' },
      ],
    },
  );

  it('is one self-contained SVG document with every panel and the restart line', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const title of [
      'Heap',
      'Resident set size',
      'Open file descriptors',
      'Event-loop delay p99',
      'Consumer lag (input)',
      'Throughput',
      'Aggregate batch latency',
    ]) {
      expect(svg).toContain(`>${title} <tspan`);
    }
    expect(svg.match(/class="restart"/g)).toHaveLength(7);
    expect(svg).not.toContain('<script');
  });

  it('escapes text and marks each criterion as passed or failed', () => {
    expect(svg).toContain('Soak &#60;10 min&#62;');
    expect(svg).toContain('class="pass">PASS  heap');
    expect(svg).toContain('class="fail">FAIL  lag');
  });

  it('leaves gaps for missing values instead of drawing zeros', () => {
    // The heap-after-GC line starts at the second sample: its path begins with a move there.
    const heapPath = svg.split('\n').find((line) => line.startsWith('<path') && line.includes('#1f77b4'));
    expect(heapPath).toMatch(/^<path d="M[\d.]+,[\d.]+L/);
    expect(svg).toContain('>5k<');
  });
});

describe('niceCeiling', () => {
  it.each([
    [0, 1],
    [0.3, 0.5],
    [7, 10],
    [11, 20],
    [4000, 5000],
  ])('rounds %d up to %d', (max, nice) => {
    expect(niceCeiling(max)).toBeCloseTo(nice);
  });
});
