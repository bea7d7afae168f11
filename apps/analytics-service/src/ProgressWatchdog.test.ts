import { describe, expect, it } from 'vitest';
import { ProgressWatchdog } from './ProgressWatchdog.js';

describe('ProgressWatchdog', () => {
  it('reports nothing while a group with lag keeps committing', () => {
    const watchdog = new ProgressWatchdog(10_000, 0);

    watchdog.observe('g', 500, 100n, 0);
    watchdog.observe('g', 400, 200n, 8_000);
    watchdog.observe('g', 300, 300n, 16_000);

    expect(watchdog.stalled(24_000)).toEqual([]);
    expect(watchdog.reasons(24_000)).toEqual([]);
  });

  it('reports a group whose lag stays above zero while its offsets do not move for stallMs', () => {
    const watchdog = new ProgressWatchdog(10_000, 0);

    watchdog.observe('g', 500, 100n, 0);
    watchdog.observe('g', 800, 100n, 9_000);
    watchdog.observe('g', 900, 100n, 12_000);

    expect(watchdog.stalled(9_999)).toEqual([]);
    expect(watchdog.stalled(12_000)).toEqual([{ groupId: 'g', lag: 900, stalledMs: 12_000 }]);
    expect(watchdog.reasons(12_000)).toEqual([{ code: 'GROUP_STALLED', group: 'g' }]);
  });

  it('does not count a drained group as stalled, and recovers once offsets move again', () => {
    const watchdog = new ProgressWatchdog(10_000, 0);

    watchdog.observe('idle', 0, 100n, 0);
    watchdog.observe('idle', 0, 100n, 60_000);
    watchdog.observe('busy', 5, 7n, 0);
    watchdog.observe('busy', 5, 7n, 20_000);
    expect(watchdog.stalled(20_000).map((g) => g.groupId)).toEqual(['busy']);
    watchdog.observe('busy', 2, 10n, 21_000);

    expect(watchdog.stalled(21_000)).toEqual([]);
  });

  it('reports lag polls that keep failing', () => {
    const watchdog = new ProgressWatchdog(10_000, 0);
    watchdog.observe('g', 0, 1n, 1_000);

    expect(watchdog.reasons(10_999)).toEqual([]);
    expect(watchdog.reasons(31_000)).toEqual([{ code: 'LAG_UNKNOWN' }]);
  });

  it('reports the group whose lag polls fail while another group is still polled', () => {
    // Stage 1's coordinator frozen just after it drained its input: its last poll said lag 0, and
    // only stage 2's group is polled since.
    const watchdog = new ProgressWatchdog(10_000, 0);
    watchdog.observe('aggregate', 0, 100n, 1_000);
    watchdog.observe('sink', 0, 50n, 1_000);
    for (let t = 6_000; t <= 16_000; t += 5_000) watchdog.observe('sink', 0, 50n, t);

    expect(watchdog.reasons(10_999)).toEqual([]);
    expect(watchdog.reasons(11_000)).toEqual([{ code: 'LAG_UNKNOWN', group: 'aggregate' }]);
    watchdog.observe('aggregate', 40, 140n, 17_000);
    expect(watchdog.reasons(17_000)).toEqual([]);
  });
});
