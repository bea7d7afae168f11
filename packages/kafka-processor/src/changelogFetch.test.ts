import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  encodeFetchRequest,
  type FetchedPartition,
  fetchRequest,
  kafkajsWire,
  parseFetchResponse,
  partitionOf,
} from './changelogFetch.js';
import { RestoreError } from './errors.js';

describe('encodeFetchRequest', () => {
  it('writes a Fetch v4 body: read_committed, replica -1, one topic with each position', () => {
    const body = encodeFetchRequest(
      'analytics.product-state',
      [
        { partition: 2, offset: 0n },
        { partition: 5, offset: 123_456_789_012n },
      ],
      { maxWaitMs: 250, maxBytes: 1000, partitionMaxBytes: 500 },
    );
    const topic = 'analytics.product-state';
    expect(body.readInt32BE(0)).toBe(-1); // replica
    expect(body.readInt32BE(4)).toBe(250);
    expect(body.readInt32BE(8)).toBe(1); // min bytes
    expect(body.readInt32BE(12)).toBe(1000);
    expect(body[16]).toBe(1); // read_committed
    expect(body.readInt32BE(17)).toBe(1);
    expect(body.readInt16BE(21)).toBe(topic.length);
    expect(body.toString('utf8', 23, 23 + topic.length)).toBe(topic);
    let o = 23 + topic.length;
    expect(body.readInt32BE(o)).toBe(2);
    o += 4;
    expect([body.readInt32BE(o), body.readBigInt64BE(o + 4), body.readInt32BE(o + 12)]).toEqual([2, 0n, 500]);
    o += 16;
    expect([body.readInt32BE(o), body.readBigInt64BE(o + 4), body.readInt32BE(o + 12)]).toEqual([
      5,
      123_456_789_012n,
      500,
    ]);
    expect(body.length).toBe(o + 16);
  });

  it('wraps the body as a kafkajs request whose response comes back as raw bytes', async () => {
    const body = Buffer.from([1, 2, 3]);
    const request = fetchRequest(body, 250, 30_000);
    expect(request.request).toMatchObject({ apiKey: 1, apiVersion: 4, apiName: 'Fetch' });
    expect((await request.request.encode()).buffer).toBe(body);
    const payload = Buffer.from([9]);
    expect(await request.response.parse(await request.response.decode(payload))).toBe(payload);
    expect(request.requestTimeout).toBe(30_000);
    expect(fetchRequest(body, 60_000, 30_000).requestTimeout).toBe(60_100);
  });
});

/** A Fetch v4 response body, written field by field from the protocol's description. */
function response(
  partitions: {
    partition: number;
    errorCode?: number;
    aborted?: [bigint, bigint][] | null;
    records: Buffer | null;
  }[],
): Buffer {
  const parts: Buffer[] = [];
  const int32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    parts.push(b);
  };
  const int64 = (v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    parts.push(b);
  };
  int32(0); // throttle
  int32(1); // topics
  const name = Buffer.from('t');
  parts.push(Buffer.from([0, name.length]), name);
  int32(partitions.length);
  for (const p of partitions) {
    int32(p.partition);
    parts.push(Buffer.from([0, p.errorCode ?? 0]));
    int64(100n); // high watermark
    int64(90n); // last stable offset
    if (p.aborted === null || p.aborted === undefined) int32(-1);
    else {
      int32(p.aborted.length);
      for (const [producerId, firstOffset] of p.aborted) {
        int64(producerId);
        int64(firstOffset);
      }
    }
    if (p.records === null) int32(-1);
    else {
      int32(p.records.length);
      parts.push(p.records);
    }
  }
  return Buffer.concat(parts);
}

describe('parseFetchResponse', () => {
  it('reads every partition: error code, watermarks, aborted transactions and a view of its records', () => {
    const parsed = parseFetchResponse(
      response([
        { partition: 3, aborted: [[7n, 40n]], records: Buffer.from('abc') },
        { partition: 4, errorCode: 6, aborted: null, records: null },
      ]),
    );
    expect(parsed.map((p) => ({ ...p, records: p.records.toString() }))).toEqual([
      {
        partition: 3,
        errorCode: 0,
        highWatermark: 100n,
        lastStableOffset: 90n,
        aborted: [{ producerId: 7n, firstOffset: 40n }],
        records: 'abc',
      },
      { partition: 4, errorCode: 6, highWatermark: 100n, lastStableOffset: 90n, aborted: [], records: '' },
    ]);
  });

  it('refuses a body shorter than the record set it announces', () => {
    const bytes = response([{ partition: 0, records: Buffer.from('abcdef') }]);
    expect(() => parseFetchResponse(bytes.subarray(0, bytes.length - 2))).toThrow(RangeError);
  });
});

describe('partitionOf', () => {
  const fetched = (partition: number, errorCode: number): FetchedPartition => ({
    partition,
    errorCode,
    highWatermark: 0n,
    lastStableOffset: 0n,
    aborted: [],
    records: Buffer.alloc(0),
  });
  const failure = (run: () => unknown): RestoreError | undefined => {
    try {
      run();
    } catch (e) {
      return e as RestoreError;
    }
    return undefined;
  };

  it("returns the asked partition's part of a response", () => {
    const ok = fetched(2, 0);
    expect(partitionOf([fetched(1, 0), ok], 2)).toBe(ok);
  });

  it('fails retryably on a partition with an error, by name when Kafka names it, or left out', () => {
    const error = failure(() => partitionOf([fetched(2, 6)], 2));
    expect(error).toBeInstanceOf(RestoreError);
    expect(error).toMatchObject({ groups: [2], retryable: true, code: 'RESTORE_FAILED' });
    expect(error!.message).toContain('NOT_LEADER_OR_FOLLOWER');
    expect(failure(() => partitionOf([fetched(2, 99)], 2))?.message).toContain('error code 99');
    expect(failure(() => partitionOf([fetched(1, 0)], 2))).toMatchObject({
      groups: [2],
      retryable: true,
      message: expect.stringContaining('answered the changelog fetch without it'),
    });
  });
});

describe('kafkajsWire', () => {
  it('says which kafkajs internal is missing instead of failing on undefined', async () => {
    await expect(kafkajsWire({} as Kafka, 't')).rejects.toThrow(
      'kafkajs has no private:Kafka:createCluster: the changelog restore needs kafkajs 2.2.4',
    );
  });
});
