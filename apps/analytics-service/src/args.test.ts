import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { ArgumentsError } from './errors.js';

describe('parseArgs', () => {
  it('runs both stages, serving until stopped, by default', () => {
    expect(parseArgs([])).toEqual({ kind: 'run', role: 'all', once: false });
  });

  it('reads --role in both spellings and --once', () => {
    expect(parseArgs(['--role', 'sink', '--once'])).toEqual({ kind: 'run', role: 'sink', once: true });
    expect(parseArgs(['--role=aggregate'])).toEqual({ kind: 'run', role: 'aggregate', once: false });
  });

  it('ignores the -- separator that pnpm passes through', () => {
    expect(parseArgs(['--', '--once'])).toEqual({ kind: 'run', role: 'all', once: true });
  });

  it('reads the metrics subcommand', () => {
    expect(parseArgs(['metrics', 'seller', 's-1'])).toEqual({ kind: 'metrics', entity: 'seller', id: 's-1' });
    expect(parseArgs(['metrics', 'category', 'books'])).toEqual({
      kind: 'metrics',
      entity: 'category',
      id: 'books',
    });
    expect(parseArgs(['metrics', 'low-stock', 's-2'])).toEqual({
      kind: 'metrics',
      entity: 'low-stock',
      id: 's-2',
    });
  });

  it('reads the pipeline tools: new-epoch, rescale and reset, each with --yes, rescale with a partitioner', () => {
    expect(parseArgs(['new-epoch'])).toEqual({ kind: 'new-epoch', yes: false });
    expect(parseArgs(['new-epoch', '--yes'])).toEqual({ kind: 'new-epoch', yes: true });
    expect(parseArgs(['rescale', '--partitioner', 'crc32', '--yes'])).toEqual({
      kind: 'rescale',
      yes: true,
      partitioner: 'crc32',
    });
    expect(parseArgs(['rescale', '--partitioner=murmur2'])).toEqual({
      kind: 'rescale',
      yes: false,
      partitioner: 'murmur2',
    });
    expect(parseArgs(['reset', '--yes'])).toEqual({ kind: 'reset', yes: true, partitioner: undefined });
  });

  it('answers help', () => {
    expect(parseArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseArgs(['-h'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--role', 'both'], '--role: expected aggregate, sink or all, got "both"'],
    [['--role'], '--role: expected aggregate, sink or all, got ""'],
    [['--verbose'], 'unknown argument "--verbose"'],
    [['metrics'], 'metrics: expected seller, category or low-stock, got ""'],
    [['metrics', 'product', 'p'], 'metrics: expected seller, category or low-stock, got "product"'],
    [['metrics', 'seller'], 'metrics seller: missing the id'],
    [['metrics', 'seller', 'a', 'b'], 'metrics seller: unexpected "b"'],
    [['new-epoch', '--force'], 'new-epoch: unknown argument "--force"'],
    [['rescale', '--partitioner', 'fnv'], 'rescale --partitioner: expected murmur2 or crc32, got "fnv"'],
    [['rescale', '--partitioner'], 'rescale --partitioner: expected murmur2 or crc32, got ""'],
    [['reset', '--partitioner', 'crc32'], 'reset: unknown argument "--partitioner"'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(ArgumentsError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
