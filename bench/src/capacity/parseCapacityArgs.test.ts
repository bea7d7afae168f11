import { describe, expect, it } from 'vitest';
import { parseCapacityArgs } from './parseCapacityArgs.js';
import { workloadFromArgs } from './workloadFromArgs.js';

describe('parseCapacityArgs', () => {
  it('reads plain numbers, separators and k/M/G suffixes', () => {
    const args = parseCapacityArgs([
      '--rate',
      '10k',
      '--products',
      '10_000_000',
      '--sellers',
      '2,500',
      '--reads',
      '0',
    ]);
    expect(args).toMatchObject({ rate: 10_000, products: 10_000_000, sellers: 2500, reads: 0, growth: 4 });
    expect(parseCapacityArgs(['--rate', '1.5', '--products', '1G']).products).toBe(1e9);
  });

  it('applies the workload defaults: sellers = products / 100, at most 1000 categories', () => {
    const args = parseCapacityArgs(['--rate', '100', '--products', '50']);
    expect(workloadFromArgs({ ...args, rate: 100, products: 50 })).toEqual({
      eventsPerSecond: 100,
      products: 50,
      sellers: 1,
      categories: 50,
      readsPerSecond: 100,
      growth: 4,
    });
  });

  it.each([
    [['--rate', '0', '--products', '10'], /--rate must be a number > 0, got "0"/],
    [['--rate=-5', '--products', '10'], /--rate must be a number > 0/],
    [['--rate', 'fast', '--products', '10'], /--rate must be a number > 0, got "fast"/],
    [['--rate', '10', '--products', '1.5'], /--products must be an integer >= 1/],
    [['--rate', '10', '--products', '10', '--growth', '0.5'], /--growth must be a number >= 1/],
    [['--rate', '10'], /missing --products/],
    [[], /missing --rate and --products/],
    [
      ['--rate', '10', '--products', '10', '--sellers', '11'],
      /--sellers \(11\) cannot exceed --products \(10\)/,
    ],
    [['--rate', '10', '--products', '10', '--categories', '11'], /--categories \(11\) cannot exceed/],
    [['--rate', '10', '--products', '10', '--speed'], /Unknown option '--speed'/],
    [['--rate'], /--rate/],
    [['--rate', '10', '--products', '10', '--out', 'x.md'], /--out goes with --doc/],
    [
      ['--doc', '--rate', '10'],
      /--doc prints the standard scenarios and takes only --from and --out, not --rate/,
    ],
  ])('rejects %j with a message naming the flag', (argv, message) => {
    expect(() => parseCapacityArgs(argv)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }),
    );
  });

  it('needs no workload for --doc or --help', () => {
    expect(parseCapacityArgs(['--doc', '--from', 'x.json'])).toMatchObject({
      doc: true,
      from: 'x.json',
      rate: undefined,
    });
    expect(parseCapacityArgs(['--help'])).toMatchObject({ help: true });
  });
});
