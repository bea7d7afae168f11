import { describe, expect, it } from 'vitest';
import { productState, rawMessage } from '../test/fixtures.js';
import type { RawMessage, ReduceResult } from './types.js';
import {
  decodeResult,
  decodeTask,
  encodeResult,
  encodeTask,
  MAX_TASK_BYTES,
  packStates,
  unpackStates,
} from './workerTaskCodec.js';

/** What a worker receives: the wire task after a real structured clone with transfer. */
function sendToWorker<T>(value: T, transferList: ArrayBuffer[]): T {
  return structuredClone(value, { transfer: transferList });
}

const text = (bytes: Uint8Array | null): string | null =>
  bytes === null ? null : Buffer.from(bytes).toString();

describe('encodeTask / decodeTask', () => {
  it('carries keys, values and every kind of header value across, and leaves offsets behind', () => {
    const messages: RawMessage[] = [
      rawMessage('p-1', '{"a":1}', '17', {
        'event-type': Buffer.from('product.updated'),
        'content-type': 'application/json',
        trace: [Buffer.from('a'), 'b'],
        empty: undefined,
        ['__proto__']: 'not a prototype',
      }),
      rawMessage(null, null, '18'),
      rawMessage('p-ü', 'välue', '9007199254740993', { 'content-type': 'application/json' }),
    ];

    const { wire, transferList } = encodeTask({
      topic: 'product.updated',
      partition: 3,
      messages,
      priorStates: new Map(),
    });
    const decoded = decodeTask(sendToWorker(wire, transferList));

    expect(decoded.options).toEqual({});
    expect(decoded.messages.map((m) => [text(m.key), text(m.value)])).toEqual([
      ['p-1', '{"a":1}'],
      [null, null],
      ['p-ü', 'välue'],
    ]);
    expect(decoded.messages.every((m) => !('offset' in m))).toBe(true);
    const headers = decoded.messages[0]?.headers ?? {};
    expect(text(headers['event-type'] as Uint8Array)).toBe('product.updated');
    expect(headers['content-type']).toBe('application/json');
    expect(
      (headers['trace'] as (Uint8Array | string)[]).map((v) => (typeof v === 'string' ? v : text(v))),
    ).toEqual(['a', 'b']);
    expect(headers['empty']).toBeUndefined();
    expect('empty' in headers).toBe(true);
    expect(Object.getPrototypeOf(headers)).toBeNull();
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('not a prototype');
    expect(decoded.messages[1]?.headers).toBeUndefined();
    expect(decoded.messages[2]?.headers?.['content-type']).toBe('application/json');
    expect(wire.headerNames).toEqual(['event-type', 'content-type', 'trace', 'empty', '__proto__']);
  });

  it('keeps the defined values of an array header holding undefined', () => {
    const listWithHoles = [undefined, Buffer.from('x'), undefined] as unknown as Uint8Array[];
    const message = rawMessage('p-1', '{}', 1, { h: listWithHoles });

    const decoded = decodeTask(
      encodeTask({ topic: 't', partition: 0, messages: [message], priorStates: new Map() }).wire,
    );

    expect(((decoded.messages[0]?.headers?.['h'] ?? []) as Uint8Array[]).map(text)).toEqual(['x']);
  });

  it('copies the bytes, so transferring never detaches or changes the caller buffers', () => {
    const pooled = Buffer.alloc(4096, 0x20);
    pooled.write('p-1', 100);
    pooled.write('{"v":1}', 200);
    const message: RawMessage = {
      key: pooled.subarray(100, 103),
      value: pooled.subarray(200, 207),
      offset: '1',
    };

    const { wire, transferList } = encodeTask({
      topic: 't',
      partition: 0,
      messages: [message],
      priorStates: new Map(),
    });
    const decoded = decodeTask(sendToWorker(wire, transferList));

    expect(pooled.buffer.byteLength).toBeGreaterThanOrEqual(4096);
    expect(text(message.key)).toBe('p-1');
    expect(text(message.value)).toBe('{"v":1}');
    expect(wire.bytes.byteLength).toBe(0); // transferred away: it was ours, not the caller's
    expect(text(decoded.messages[0]?.value ?? null)).toBe('{"v":1}');
  });

  it('puts every byte of the batch into one buffer and transfers only that buffer and its tables', () => {
    const messages = [rawMessage('p-1', 'abc', 1, { h: 'xy' }), rawMessage('p-22', 'defg', 2)];

    const { wire, transferList } = encodeTask({ topic: 't', partition: 0, messages, priorStates: new Map() });

    expect(wire.bytes.byteLength).toBe(3 + 3 + 2 + 4 + 4);
    expect(transferList).toEqual([wire.bytes, wire.table.buffer, wire.headerTable.buffer]);
  });

  it('sends only the prior states of the batch keys when given a larger state map', () => {
    const priorStates = new Map(['p-1', 'p-2', 'p-3', 'p-4'].map((id) => [id, productState(id, 1)]));
    const messages = [rawMessage('p-2', '{}', 1), rawMessage(null, '{}', 2), rawMessage('p-9', '{}', 3)];

    const decoded = decodeTask(encodeTask({ topic: 't', partition: 0, messages, priorStates }).wire);

    expect([...decoded.priorStates.keys()]).toEqual(['p-2']);
    expect(decoded.priorStates.get('p-2')).toEqual(productState('p-2', 1));
  });

  it('sends the whole prior state map when it is not larger than the batch', () => {
    const priorStates = new Map([['p-1', productState('p-1', 4, { deleted: true, category: '' })]]);

    const decoded = decodeTask(
      encodeTask({ topic: 't', partition: 0, messages: [rawMessage('x', '{}', 1)], priorStates }).wire,
    );

    expect(decoded.priorStates).toEqual(priorStates);
  });

  it('refuses a batch larger than an int32 table can describe', () => {
    const huge = { byteLength: MAX_TASK_BYTES + 1 } as Uint8Array;

    expect(() =>
      encodeTask({
        topic: 't',
        partition: 0,
        messages: [{ key: null, value: huge, offset: '1' }],
        priorStates: new Map(),
      }),
    ).toThrow(RangeError);
  });
});

describe('packStates / unpackStates', () => {
  it('round-trips states through one flat array', () => {
    const states = [
      productState('p-1', 1),
      productState('p-2', 7, { deleted: true, status: 'inactive', quantity: 0, currency: 'JPY' }),
    ];

    const packed = packStates(states);

    expect(packed).toHaveLength(20);
    expect(unpackStates(sendToWorker(packed, []))).toEqual(states);
  });
});

describe('encodeResult / decodeResult', () => {
  it('round-trips a result', () => {
    const result: ReduceResult = {
      states: [productState('p-1', 2)],
      invalid: [{ offset: '5', code: 'SCHEMA_VIOLATION', path: '/data/priceCents', message: 'must be >= 0' }],
      counts: {
        applied: 1,
        duplicate: 2,
        stale: 3,
        invalid: 1,
        byType: { 'product.created': 1, 'product.updated': 4, 'product.deleted': 1 },
      },
      maxOccurredAt: '2026-11-25T17:00:00.000Z',
    };

    const { invalid, ...rest } = result;
    const reduction = {
      ...rest,
      invalid: invalid.map(({ offset: _offset, ...entry }) => ({ ...entry, index: 2 })),
    };

    const decoded = decodeResult(
      sendToWorker(encodeResult(reduction), []),
      (index) => ['3', '4', '5'][index] as string,
    );

    expect(decoded).toEqual(result);
  });
});

describe('encodeTask: options', () => {
  it('carries maxFutureSkewMs to the worker', () => {
    const { wire, transferList } = encodeTask({
      topic: 'product.updated',
      partition: 0,
      messages: [rawMessage('p-1', '{}', '1')],
      priorStates: new Map(),
      maxFutureSkewMs: 60_000,
    });
    expect(decodeTask(sendToWorker(wire, transferList)).options).toEqual({ maxFutureSkewMs: 60_000 });
  });
});
