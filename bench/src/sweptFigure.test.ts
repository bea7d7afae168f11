import { describe, expect, it } from 'vitest';
import type { ReferenceRun } from './report.js';
import { type SweptFigureOptions, sweptFigure } from './sweptFigure.js';

function run(parallelism: number, rate: number, identical = true, problems: string[] = []): ReferenceRun {
  return {
    settings: { parallelism, checkpointIntervalMs: 1000 },
    rate,
    startupS: parallelism * 10,
    runS: 1,
    identical,
    problems,
  };
}

function options(runs: ReferenceRun[]): SweptFigureOptions {
  return {
    id: '8',
    name: 'stage 1 vs Flink SQL',
    oursRate: 1000,
    runs,
    minRatio: 2,
    referenceName: (best) => `Flink p${best.settings['parallelism']}`,
    describe: (r) => `p${r.settings['parallelism']}`,
    context: 'JVM 25',
  };
}

describe('sweptFigure', () => {
  it('reports the fastest configuration and keeps every run', () => {
    const runs = [run(1, 300), run(2, 450)];
    const figure = sweptFigure(options(runs));
    expect(figure).toMatchObject({
      id: '8',
      value: 1000,
      reference: { name: 'Flink p2', value: 450, unit: 'events/s' },
      target: '>= 2.0x, same final metrics',
      met: true,
      runs,
    });
    expect(figure.ratio).toBeCloseTo(1000 / 450);
    expect(figure.failed).toBeUndefined();
    expect(figure.note).toBe(
      '2/2 configurations with identical final metrics; rates p1 300/s, p2 450/s; start-up of the best 20.0 s, excluded from its rate; JVM 25',
    );
  });

  it('is not met when stage 1 is below the target ratio', () => {
    const figure = sweptFigure(options([run(1, 600)]));
    expect(figure.met).toBe(false);
    expect(figure.failed).toBeUndefined();
  });

  it('fails when any configuration differs, and takes its reference from the identical ones', () => {
    const figure = sweptFigure(
      options([run(1, 100), run(2, 900, false, ['seller s-1 totalProducts: ours 3 flink 2'])]),
    );
    expect(figure.met).toBe(false);
    expect(figure.reference?.value).toBe(100);
    expect(figure.failed).toBe(
      '1 of 2 configurations did not end with our final metrics: p2: seller s-1 totalProducts: ours 3 flink 2',
    );
  });

  it('fails without a ratio when no configuration ran', () => {
    const crashed = sweptFigure(options([run(1, 0, false, ['bench: Flink job failed'])]));
    expect(crashed.met).toBe(false);
    expect(crashed.ratio).toBeUndefined();
    expect(crashed.failed).toContain('p1: bench: Flink job failed');
    const none = sweptFigure(options([]));
    expect(none).toMatchObject({
      met: false,
      failed: 'no configuration ran',
      reference: { name: 'no run', value: 0 },
    });
  });
});
