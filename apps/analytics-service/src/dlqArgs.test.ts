import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { DLQ_DEFAULT_MAX_REDRIVES, DLQ_SHOW_DEFAULT_LIMIT, parseDlqArgs } from './dlqArgs.js';
import { ArgumentsError } from './errors.js';

describe('parseDlqArgs', () => {
  it('reads stats with filters in both spellings, repeated and comma-separated', () => {
    expect(
      parseArgs([
        'dlq',
        'stats',
        '--code',
        'PAYLOAD_TOO_LARGE,INVALID_JSON',
        '--code=KEY_MISMATCH',
        '--topic=product.created',
        '--partition',
        '2',
        '--from-offset',
        '10',
        '--to-offset=20',
        '--json',
      ]),
    ).toEqual({
      kind: 'dlq',
      action: 'stats',
      json: true,
      filter: {
        codes: ['PAYLOAD_TOO_LARGE', 'INVALID_JSON', 'KEY_MISMATCH'],
        topics: ['product.created'],
        partition: 2,
        fromOffset: 10n,
        toOffset: 20n,
      },
    });
  });

  it('reads show with its default and explicit limit', () => {
    expect(parseDlqArgs(['show'])).toEqual({
      kind: 'dlq',
      action: 'show',
      json: false,
      filter: {},
      limit: DLQ_SHOW_DEFAULT_LIMIT,
    });
    expect(parseDlqArgs(['show', '--limit', '5'])).toMatchObject({ limit: 5 });
  });

  it('reads redrive with its name, limit and dry run', () => {
    expect(parseDlqArgs(['redrive', '--name', 'fix-42', '--code', 'PAYLOAD_TOO_LARGE'])).toEqual({
      kind: 'dlq',
      action: 'redrive',
      json: false,
      filter: { codes: ['PAYLOAD_TOO_LARGE'] },
      name: 'fix-42',
      maxRedrives: DLQ_DEFAULT_MAX_REDRIVES,
      dryRun: false,
    });
    expect(parseDlqArgs(['redrive', '--name=x', '--max-redrives', '5', '--dry-run', '--json'])).toMatchObject(
      {
        maxRedrives: 5,
        dryRun: true,
        json: true,
      },
    );
  });

  it.each([
    [[], 'dlq: expected stats, show or redrive, got ""'],
    [['purge'], 'expected stats, show or redrive, got "purge"'],
    [['redrive'], '--name is required'],
    [['redrive', '--name', 'a b'], '--name: expected 1-100 characters'],
    [['redrive', '--name'], '--name: expected 1-100 characters'],
    [['redrive', '--name', 'n', '--max-redrives', '0'], '--max-redrives: expected an integer >= 1'],
    [['stats', '--limit', '3'], 'dlq stats: --limit is not an option of this command'],
    [['show', '--dry-run'], 'dlq show: --dry-run is not an option of this command'],
    [['show', '--name', 'x'], 'dlq show: --name is not an option'],
    [['stats', '--max-redrives', '2'], 'dlq stats: --max-redrives is not an option'],
    [['show', '--limit', '0'], '--limit: expected an integer >= 1, got "0"'],
    [['show', '--partition', '-1'], '--partition: expected an integer >= 0'],
    [['show', '--code'], '--code: expected a value'],
    [['show', '--topic', ','], '--topic: expected a value'],
    [['show', '--from-offset', '9', '--to-offset', '3'], 'must not be greater than --to-offset'],
    [['show', '--verbose'], 'dlq show: unknown argument "--verbose"'],
  ])('refuses %j: %s', (args, message) => {
    expect(() => parseDlqArgs(args)).toThrow(ArgumentsError);
    expect(() => parseDlqArgs(args)).toThrow(message);
  });
});
