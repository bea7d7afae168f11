import { describe, expect, it } from 'vitest';
import { parseUpArgs } from './parseUpArgs.js';

describe('parseUpArgs', () => {
  it('starts one broker when no option is given', () => {
    expect(parseUpArgs([])).toEqual({ brokers: 1 });
  });

  it('reads --brokers N and --brokers=N', () => {
    expect(parseUpArgs(['--brokers', '3'])).toEqual({ brokers: 3 });
    expect(parseUpArgs(['--brokers=3'])).toEqual({ brokers: 3 });
  });

  it.each([[['--brokers']], [['--brokers', '0']], [['--brokers', '9']], [['--brokers', 'three']]])(
    'refuses %j naming the option',
    (args) => {
      expect(parseUpArgs(args)).toMatch(/^--brokers: expected an integer from 1 to 5/);
    },
  );

  it('refuses an unknown argument', () => {
    expect(parseUpArgs(['--nodes', '3'])).toBe('unexpected argument: --nodes');
  });
});
