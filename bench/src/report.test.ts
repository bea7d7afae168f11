import { describe, expect, it } from 'vitest';
import { type Figure, renderTable } from './report.js';

const base: Figure = {
  id: '8',
  name: 'stage 1 vs Flink SQL',
  value: 1000,
  unit: 'events/s',
  reference: { name: 'Flink SQL reference', value: 400, unit: 'events/s' },
  ratio: 2.5,
  target: '>= 2.0x, same final metrics',
  met: true,
};

describe('renderTable', () => {
  it('shows a met figure as yes with its ratio', () => {
    const table = renderTable([base]);
    expect(table).toContain(
      '| 8 | stage 1 vs Flink SQL | 1,000 events/s | 400 events/s (Flink SQL reference) | 250% |',
    );
    expect(table).toContain('| yes |');
  });

  it('shows a failed figure as FAILED, with the reason in its note', () => {
    const table = renderTable([
      { ...base, met: false, failed: 'final metrics DIFFER: seller s-1', note: 'JVM 25' },
    ]);
    expect(table).toContain('| **FAILED** |');
    expect(table).toContain('- 8 stage 1 vs Flink SQL: FAILED: final metrics DIFFER: seller s-1. JVM 25');
  });

  it('shows an unmet figure as no and a reported one as n/a', () => {
    const table = renderTable([
      { ...base, met: false },
      { ...base, id: '5', met: null },
    ]);
    expect(table).toContain('| **no** |');
    expect(table).toContain('| n/a |');
  });
});
