import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgress, ProgressReporter, type ProgressSample } from './progress.js';

function sample(overrides: Partial<ProgressSample> = {}): ProgressSample {
  return {
    stats: {
      produced: 12_000,
      processed: 11_500,
      deadLettered: 120,
      sinkRecords: 900,
      rowsWritten: 3210,
      objectsArchived: 48,
    },
    lag: 500,
    target: 30_000,
    elapsedMs: 4100,
    ...overrides,
  };
}

class Sink {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): void {
    this.text += chunk;
  }
}

describe('formatProgress', () => {
  it('shows produced, processed, dead-lettered, lag, rows and objects on one line', () => {
    expect(formatProgress(sample())).toBe(
      'produced 12,000/30,000 (40%) | processed 11,500 | dead-lettered 120 | lag 500 | rows 3,210 | objects 48 | 4.1s',
    );
  });

  it('shows an unknown lag as ?', () => {
    expect(formatProgress(sample({ lag: undefined }))).toContain('| lag ? |');
  });

  it('shows 100% when there is nothing to produce', () => {
    expect(formatProgress(sample({ target: 0 }))).toContain('(100%)');
  });
});

describe('formatDuration', () => {
  it('uses seconds below a minute and minutes above', () => {
    expect(formatDuration(999)).toBe('1.0s');
    expect(formatDuration(125_000)).toBe('2m05s');
  });
});

describe('ProgressReporter', () => {
  it('rewrites one line in place on a terminal and ends it on finish', () => {
    const out = new Sink(true);
    const reporter = new ProgressReporter(out);

    reporter.update(sample({ elapsedMs: 1000 }));
    reporter.update(sample({ elapsedMs: 1100 }));
    reporter.finish();

    expect(out.text.split('\r')).toHaveLength(3);
    expect(out.text.match(/\n/g)).toHaveLength(1);
    expect(out.text.endsWith('\x1b[K\n')).toBe(true);
  });

  it('erases the in-place line before a log line, and redraws it on the next update', () => {
    const out = new Sink(true);
    const reporter = new ProgressReporter(out);

    reporter.clear();
    reporter.update(sample({ elapsedMs: 1000 }));
    reporter.clear();
    reporter.finish();

    expect(out.text.endsWith('\r\x1b[K')).toBe(true);
    expect(out.text).not.toContain('\n');
  });

  it('prints plain lines at the interval when not a terminal', () => {
    const out = new Sink(false);
    const reporter = new ProgressReporter(out, { plainIntervalMs: 5000 });

    reporter.update(sample({ elapsedMs: 0 }));
    reporter.update(sample({ elapsedMs: 2000 }));
    reporter.update(sample({ elapsedMs: 5000 }));
    reporter.update(sample({ elapsedMs: 6000 }), true);
    reporter.finish();

    expect(out.text).not.toContain('\r');
    expect(out.text.trimEnd().split('\n')).toHaveLength(3);
  });
});
