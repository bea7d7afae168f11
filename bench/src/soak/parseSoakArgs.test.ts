import { describe, expect, it } from 'vitest';
import { DEFAULT_SOAK_ARGS, parseSoakArgs } from './parseSoakArgs.js';

describe('parseSoakArgs', () => {
  it('runs 10 minutes at 100 events/s on one broker by default', () => {
    expect(parseSoakArgs([])).toEqual(DEFAULT_SOAK_ARGS);
    expect(DEFAULT_SOAK_ARGS).toMatchObject({ minutes: 10, rate: 100, brokers: 1, out: 'docs/soak' });
  });

  it('reads --minutes, --rate, --brokers, --out in both spellings', () => {
    expect(
      parseSoakArgs(['--minutes', '3', '--rate=500', '--brokers', '3', '--out', '/tmp/x', '--seed', '9']),
    ).toEqual({
      ...DEFAULT_SOAK_ARGS,
      minutes: 3,
      rate: 500,
      brokers: 3,
      out: '/tmp/x',
      seed: 9,
    });
    expect(parseSoakArgs(['--sample-seconds', '2']).sampleSeconds).toBe(2);
  });

  it.each([
    [['--minutes', '0.5'], '--minutes: expected a number from 1 to 1440, got "0.5"'],
    [['--rate'], '--rate: expected a number from 1 to 100000, got ""'],
    [['--rate', 'fast'], '--rate: expected a number from 1 to 100000, got "fast"'],
    [['--out'], '--out: expected a folder'],
    [['--verbose', '1'], 'unknown flag --verbose'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseSoakArgs(argv)).toThrow(message);
  });
});
