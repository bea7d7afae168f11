import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { ArgumentsError } from './errors.js';

describe('pipeline commands on the command line', () => {
  it('parses new-epoch, rescale and reset with and without --yes', () => {
    expect(parseArgs(['new-epoch'])).toEqual({ kind: 'new-epoch', yes: false });
    expect(parseArgs(['new-epoch', '--yes'])).toEqual({ kind: 'new-epoch', yes: true });
    expect(parseArgs(['rescale'])).toEqual({ kind: 'rescale', yes: false, partitioner: undefined });
    expect(parseArgs(['rescale', '--yes', '--partitioner', 'crc32'])).toEqual({
      kind: 'rescale',
      yes: true,
      partitioner: 'crc32',
    });
    expect(parseArgs(['rescale', '--partitioner=murmur2'])).toMatchObject({ partitioner: 'murmur2' });
    expect(parseArgs(['reset', '--yes'])).toEqual({ kind: 'reset', yes: true, partitioner: undefined });
  });

  it('refuses unknown arguments and partitioners', () => {
    expect(() => parseArgs(['new-epoch', '--force'])).toThrow(ArgumentsError);
    expect(() => parseArgs(['rescale', '--partitioner', 'fnv'])).toThrow(
      /expected murmur2 or crc32, got "fnv"/,
    );
    expect(() => parseArgs(['reset', '--partitioner', 'crc32'])).toThrow(
      /reset: unknown argument "--partitioner"/,
    );
  });
});
