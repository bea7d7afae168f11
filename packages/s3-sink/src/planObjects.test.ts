import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  categoryRecord,
  lowStockRecord,
  sellerRecord,
  TOPIC,
} from '../../aggregator/test/metricChangeRecords.js';
import { decodeRecordLine } from './archiveLines.js';
import { ArchiveRecordError } from './errors.js';
import { planObjects } from './planObjects.js';

const linesOf = (body: Buffer): string[] => gunzipSync(body).toString('utf8').trimEnd().split('\n');

describe('planObjects', () => {
  it('writes one object per source partition and hour, named after its first offset', () => {
    const batch = [
      sellerRecord(
        's-1',
        { totalProducts: 1 },
        { offset: 11, partition: 0, eventTime: '2026-11-25T17:59:00Z' },
      ),
      sellerRecord(
        's-1',
        { totalProducts: 2 },
        { offset: 12, partition: 0, eventTime: '2026-11-25T18:00:00Z' },
      ),
      categoryRecord(
        'books',
        { productCount: 1 },
        { offset: 5, partition: 1, eventTime: '2026-11-25T17:01:00Z' },
      ),
      lowStockRecord('s-1', 'p-1', null, { offset: 10, partition: 0, eventTime: '2026-11-25T17:00:00Z' }),
    ];

    const objects = planObjects(batch, 'metrics', 6);

    expect(objects.map((o) => [o.key, o.records])).toEqual([
      [`metrics/dt=2026-11-25/hour=17/${TOPIC}+0+10.jsonl.gz`, 2],
      [`metrics/dt=2026-11-25/hour=17/${TOPIC}+1+5.jsonl.gz`, 1],
      [`metrics/dt=2026-11-25/hour=18/${TOPIC}+0+12.jsonl.gz`, 1],
    ]);
    expect(linesOf(objects[0]?.body as Buffer).map((line) => decodeRecordLine(line).source.offset)).toEqual([
      '10',
      '11',
    ]);
  });

  it('encodes each record as one JSON line of format 2, money per currency as strings, and the source position', () => {
    const record = sellerRecord(
      's-1',
      { totalValue: { KWD: 4125n, USD: 98_765_432_109_876_543_210n } },
      { offset: 3 },
    );

    const [object] = planObjects([record], 'metrics', 6);
    const [line] = linesOf(object?.body as Buffer);

    expect(JSON.parse(line as string)).toMatchObject({
      format: 2,
      entity: 'seller',
      id: 's-1',
      values: { totalValue: { KWD: '4125', USD: '98765432109876543210' } },
      source: { topic: TOPIC, partition: 0, offset: '3' },
    });
    expect(decodeRecordLine(line as string)).toEqual(record);
  });

  it('produces identical bytes for the same batch, whatever its order', () => {
    const batch = [
      sellerRecord('s-1', { totalProducts: 1 }, { offset: 1 }),
      sellerRecord('s-2', { totalProducts: 2 }, { offset: 2 }),
    ];

    const first = planObjects(batch, 'metrics', 6);
    const again = planObjects([...batch].reverse(), 'metrics', 6);

    expect(again.map((o) => o.key)).toEqual(first.map((o) => o.key));
    expect(Buffer.compare(again[0]?.body as Buffer, first[0]?.body as Buffer)).toBe(0);
  });

  it('writes a gzip header without name or time and with a fixed OS byte', () => {
    const [object] = planObjects([sellerRecord('s-1', {}, { offset: 1 })], 'metrics', 6);
    const header = (object as { body: Buffer }).body.subarray(0, 10);

    expect([...header]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, header[8], 3]);
  });

  it('keeps the batch order of records that share an offset', () => {
    const batch = [
      sellerRecord('s-b', {}, { offset: 9 }),
      sellerRecord('s-a', {}, { offset: 9 }),
      sellerRecord('s-c', {}, { offset: 8 }),
    ];

    const [object] = planObjects(batch, 'metrics', 6);

    expect(linesOf(object?.body as Buffer).map((line) => decodeRecordLine(line).id)).toEqual([
      's-c',
      's-b',
      's-a',
    ]);
  });

  it('returns no object for an empty batch', () => {
    expect(planObjects([], 'metrics', 6)).toEqual([]);
  });

  it.each([
    ['no source', { source: undefined }],
    ['a negative partition', { source: { topic: TOPIC, partition: -1, offset: '1' } }],
    ['a non-decimal offset', { source: { topic: TOPIC, partition: 0, offset: 'x' } }],
    ['an unparsable event time', { eventTime: 'soon' }],
    ['values that cannot be encoded', { values: null }],
  ])('rejects a record with %s before writing anything', (_name, patch) => {
    const record = { ...sellerRecord('s-1', {}, { offset: 1 }), ...patch } as never;

    expect(() => planObjects([record], 'metrics', 6)).toThrow(ArchiveRecordError);
  });
});

describe('decodeRecordLine', () => {
  it.each([
    ['a JSON array', '[1]'],
    ['a line without source', '{"entity":"seller"}'],
    ['a source with a bad offset', '{"source":{"topic":"t","partition":0,"offset":"-1"}}'],
    ['a bad change', '{"entity":"seller","source":{"topic":"t","partition":0,"offset":"1"}}'],
    ['a null source', '{"source":null}'],
    ['a source without a topic', '{"source":{"partition":0,"offset":"1"}}'],
    ['a source with a fractional partition', '{"source":{"topic":"t","partition":0.5,"offset":"1"}}'],
    ['a source with a numeric offset', '{"source":{"topic":"t","partition":0,"offset":1}}'],
  ])('rejects %s', (_name, line) => {
    expect(() => decodeRecordLine(line)).toThrow(/./);
  });
});
