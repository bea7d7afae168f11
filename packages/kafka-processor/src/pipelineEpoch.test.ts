import { describe, expect, it } from 'vitest';
import { InternalTopicError } from './errors.js';
import {
  decodeGroupEpochMarker,
  decodePipelineEpoch,
  EPOCH_HEADER,
  encodeGroupEpochMarker,
  encodePipelineEpoch,
  epochOfHeaders,
} from './pipelineEpoch.js';

describe('pipeline epoch records', () => {
  it('round-trips an epoch record, with and without the staged phase', () => {
    const epoch = {
      epoch: 3,
      partitions: 6,
      reason: 'rescale',
      startedAt: '2026-11-27T17:00:00.000Z',
    } as const;

    expect(decodePipelineEpoch('t', encodePipelineEpoch(epoch))).toEqual(epoch);
    expect(decodePipelineEpoch('t', encodePipelineEpoch({ ...epoch, phase: 'staged' }))).toEqual({
      ...epoch,
      phase: 'staged',
    });
  });

  it('refuses an epoch record of another format or with missing fields, never misreading it', () => {
    expect(() => decodePipelineEpoch('t', Buffer.from('{"format":2,"epoch":1}'))).toThrow(
      /epoch record has format 2; this version reads format 1/,
    );
    expect(() => decodePipelineEpoch('t', Buffer.from('{"format":1,"epoch":-1}'))).toThrow(
      InternalTopicError,
    );
    expect(() =>
      decodePipelineEpoch(
        't',
        Buffer.from('{"format":1,"epoch":1,"partitions":2,"reason":"reset","startedAt":"x","phase":"half"}'),
      ),
    ).toThrow(/lacks epoch/);
    expect(() => decodePipelineEpoch('t', Buffer.from('not json'))).toThrow(/not JSON/);
  });

  it('reads the epoch header of a metric change, 0 without one', () => {
    expect(epochOfHeaders(undefined)).toBe(0);
    expect(epochOfHeaders({})).toBe(0);
    expect(epochOfHeaders({ [EPOCH_HEADER]: Buffer.from('7') })).toBe(7);
    expect(epochOfHeaders({ [EPOCH_HEADER]: ['12'] })).toBe(12);
    expect(() => epochOfHeaders({ [EPOCH_HEADER]: 'x' })).toThrow(/not an epoch/);
  });

  it('round-trips a group epoch marker and refuses one without an epoch', () => {
    expect(decodeGroupEpochMarker(encodeGroupEpochMarker(4))).toBe(4);
    expect(() => decodeGroupEpochMarker(Buffer.from('{}'))).toThrow(/no epoch/);
  });
});
