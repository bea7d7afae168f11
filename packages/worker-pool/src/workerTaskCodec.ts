/**
 * Compact encoding of tasks and results for the worker-thread boundary.
 *
 * Task: every key, value and header byte of the batch is copied into ONE `ArrayBuffer` (Kafka
 * buffers may be views into a larger pooled buffer: transferring those would detach memory the
 * caller still uses, cloning them copies the whole pool), described by an `Int32Array` table;
 * both buffers are transferred, not cloned. Prior states travel as one flat array.
 *
 * Result: states as one flat array, invalid messages as one flat string array, counts as numbers.
 */
import type { ProductState } from '@marketplace/analytics-aggregator';
import type { ParseErrorCode, ProductEventType } from '@marketplace/product-events';
import type { WorkerErrorData } from './errors.js';
import type { ReduceOptions, Reduction } from './reduceBatch.js';
import type { InvalidMessage, RawHeaderValue, RawMessage, ReduceResult, ReduceTask } from './types.js';

/** Fields of a packed state, in order. */
const STATE_FIELDS = [
  'productId',
  'version',
  'sellerId',
  'category',
  'priceCents',
  'currency',
  'quantity',
  'status',
  'deleted',
  'updatedAt',
] as const satisfies readonly (keyof ProductState)[];

// Compile-time guard: a field added to ProductState must be added to STATE_FIELDS too.
type MissingStateField = Exclude<keyof ProductState, (typeof STATE_FIELDS)[number]>;
const everyStateFieldPacked: [MissingStateField] extends [never] ? true : never = true;
void everyStateFieldPacked;

const STATE_STRIDE = STATE_FIELDS.length;

/** States flattened: `STATE_FIELDS` of each state, one after the other. */
export type PackedStates = (string | number | boolean)[];

/** Per message in `WireTask.table`: key start/length, value start/length, first header, header count. */
const MESSAGE_STRIDE = 6;
/** Per header value in `WireTask.headerTable`: name index, start, length, kind. */
const HEADER_STRIDE = 4;
const NULL_LENGTH = -1;
const HEADER_UNDEFINED = 0;
const HEADER_BYTES = 1;
const HEADER_STRING = 2;

/**
 * Test-only fault injection: `exit` and `throw` make the worker thread die while running the
 * task (process.exit / uncaught exception); `fail` makes reducing throw inside the task.
 */
export type InjectedFault = 'exit' | 'throw' | 'fail' | 'hang';

/**
 * A task as it crosses into a worker thread. Offsets stay behind: the worker reports invalid
 * messages by index, and the calling thread maps indexes back to offsets.
 */
export interface WireTask {
  /** Number of messages. */
  count: number;
  /** All key, value and header bytes of the batch. Transferred. */
  bytes: ArrayBuffer;
  /** `MESSAGE_STRIDE` int32 per message. Its buffer is transferred. */
  table: Int32Array;
  /** `HEADER_STRIDE` int32 per header value. Its buffer is transferred. */
  headerTable: Int32Array;
  /** Distinct header names, indexed by `headerTable` (an array header repeats its name). */
  headerNames: string[];
  priorStates: PackedStates;
  /** `ReduceTask.maxFutureSkewMs`, when given. */
  maxFutureSkewMs?: number;
  /** `ReduceTask.maxEventBytes`. */
  maxEventBytes?: number;
  fault?: InjectedFault;
}

/** A result as it crosses back from a worker thread. */
export interface WireResult {
  states: PackedStates;
  /** Message index of each invalid message. */
  invalidIndexes: number[];
  /** code, path, message of each invalid message. */
  invalid: string[];
  /** applied, duplicate, stale, invalid, then byType in `EVENT_TYPES` order. */
  counts: number[];
  maxOccurredAt: string | null;
}

/** What the worker answers: a result, or the error as plain data. */
export type WireResponse = { ok: true; result: WireResult } | { ok: false; error: WorkerErrorData };

const EVENT_TYPES: readonly ProductEventType[] = ['product.created', 'product.updated', 'product.deleted'];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Largest batch the int32 table can describe. */
export const MAX_TASK_BYTES = 0x7fff_ffff;

/** Packs states into a flat array. */
export function packStates(states: Iterable<ProductState>): PackedStates {
  const packed: PackedStates = [];
  for (const state of states) {
    for (const field of STATE_FIELDS) packed.push(state[field]);
  }
  return packed;
}

/** Unpacks states packed by {@link packStates}. */
export function unpackStates(packed: PackedStates): ProductState[] {
  const states: ProductState[] = [];
  for (let i = 0; i < packed.length; i += STATE_STRIDE) {
    const state: Record<string, unknown> = {};
    for (let f = 0; f < STATE_STRIDE; f += 1) state[STATE_FIELDS[f] as string] = packed[i + f];
    states.push(state as unknown as ProductState);
  }
  return states;
}

/**
 * The prior states the batch needs. When the map is larger than the batch (e.g. a whole group's
 * state), only the states of the batch's keys are sent.
 */
function neededStates(task: ReduceTask): Iterable<ProductState> {
  if (task.priorStates.size <= task.messages.length) return task.priorStates.values();
  const needed = new Map<string, ProductState>();
  for (const message of task.messages) {
    if (message.key === null) continue;
    const id = decoder.decode(message.key);
    const state = task.priorStates.get(id);
    if (state !== undefined) needed.set(id, state);
  }
  return needed.values();
}

const byteLength = (value: Uint8Array | string | undefined): number =>
  value === undefined ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;

/**
 * Encodes a task for a worker: copies every byte into one new `ArrayBuffer`.
 * @returns the wire task and the list of buffers to transfer.
 * @throws {RangeError} when the batch holds more than {@link MAX_TASK_BYTES} bytes.
 */
export function encodeTask(task: ReduceTask): { wire: WireTask; transferList: ArrayBuffer[] } {
  const { messages } = task;
  const count = messages.length;
  // First pass: sizes.
  let total = 0;
  let headerCount = 0;
  for (let i = 0; i < count; i += 1) {
    const message = messages[i] as RawMessage;
    total += (message.key?.byteLength ?? 0) + (message.value?.byteLength ?? 0);
    const headers = message.headers;
    if (headers === undefined) continue;
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (Array.isArray(value)) {
        headerCount += value.length;
        for (const item of value) total += byteLength(item);
      } else {
        headerCount += 1;
        total += byteLength(value);
      }
    }
  }
  if (total > MAX_TASK_BYTES) {
    throw new RangeError(`batch of ${total} bytes exceeds the ${MAX_TASK_BYTES} bytes a task can carry`);
  }

  // Second pass: copy.
  const bytes = new Uint8Array(total);
  const table = new Int32Array(count * MESSAGE_STRIDE);
  const headerTable = new Int32Array(headerCount * HEADER_STRIDE);
  const headerNames: string[] = [];
  const nameIndex = new Map<string, number>();
  let position = 0;
  let header = 0;
  const putHeader = (name: string, value: Uint8Array | string | undefined): void => {
    let index = nameIndex.get(name);
    if (index === undefined) {
      index = headerNames.push(name) - 1;
      nameIndex.set(name, index);
    }
    const h = header * HEADER_STRIDE;
    header += 1;
    headerTable[h] = index;
    headerTable[h + 1] = position;
    if (value === undefined) {
      headerTable[h + 3] = HEADER_UNDEFINED;
    } else if (typeof value === 'string') {
      const { written } = encoder.encodeInto(value, bytes.subarray(position));
      headerTable[h + 2] = written;
      headerTable[h + 3] = HEADER_STRING;
      position += written;
    } else {
      bytes.set(value, position);
      headerTable[h + 2] = value.byteLength;
      headerTable[h + 3] = HEADER_BYTES;
      position += value.byteLength;
    }
  };
  for (let i = 0; i < count; i += 1) {
    const message = messages[i] as RawMessage;
    const at = i * MESSAGE_STRIDE;
    const { key, value, headers } = message;
    if (key === null) {
      table[at + 1] = NULL_LENGTH;
    } else {
      bytes.set(key, position);
      table[at] = position;
      table[at + 1] = key.byteLength;
      position += key.byteLength;
    }
    if (value === null) {
      table[at + 3] = NULL_LENGTH;
    } else {
      bytes.set(value, position);
      table[at + 2] = position;
      table[at + 3] = value.byteLength;
      position += value.byteLength;
    }
    const firstHeader = header;
    table[at + 4] = firstHeader;
    if (headers !== undefined) {
      for (const name of Object.keys(headers)) {
        const headerValue = headers[name];
        if (Array.isArray(headerValue)) {
          for (const item of headerValue) putHeader(name, item);
        } else {
          putHeader(name, headerValue);
        }
      }
    }
    table[at + 5] = header - firstHeader;
  }

  const wire: WireTask = {
    count,
    bytes: bytes.buffer,
    table,
    headerTable,
    headerNames,
    priorStates: packStates(neededStates(task)),
    ...(task.maxEventBytes === undefined ? {} : { maxEventBytes: task.maxEventBytes }),
  };
  if (task.maxFutureSkewMs !== undefined) wire.maxFutureSkewMs = task.maxFutureSkewMs;
  return { wire, transferList: [bytes.buffer, table.buffer, headerTable.buffer] };
}

/** A decoded wire task: messages as views into the task's one buffer, offsets left out. */
export interface DecodedTask {
  messages: Omit<RawMessage, 'offset'>[];
  priorStates: Map<string, ProductState>;
  /** Options of the reduction (`maxFutureSkewMs`, `maxEventBytes`). */
  options: ReduceOptions;
}

/** Decodes a wire task; keys, values and header bytes are views into `wire.bytes`. */
export function decodeTask(wire: WireTask): DecodedTask {
  const bytes = new Uint8Array(wire.bytes);
  const { table, headerTable, headerNames } = wire;
  const messages: Omit<RawMessage, 'offset'>[] = [];
  for (let index = 0; index < wire.count; index += 1) {
    const at = index * MESSAGE_STRIDE;
    const keyLength = table[at + 1] as number;
    const valueLength = table[at + 3] as number;
    const keyStart = table[at] as number;
    const valueStart = table[at + 2] as number;
    const message: Omit<RawMessage, 'offset'> = {
      key: keyLength === NULL_LENGTH ? null : bytes.subarray(keyStart, keyStart + keyLength),
      value: valueLength === NULL_LENGTH ? null : bytes.subarray(valueStart, valueStart + valueLength),
    };
    const firstHeader = table[at + 4] as number;
    const headerCount = table[at + 5] as number;
    if (headerCount > 0) {
      // No prototype: a header named `__proto__` must stay a header.
      const headers = Object.create(null) as Record<string, RawHeaderValue>;
      for (
        let h = firstHeader * HEADER_STRIDE;
        h < (firstHeader + headerCount) * HEADER_STRIDE;
        h += HEADER_STRIDE
      ) {
        const name = headerNames[headerTable[h] as number] as string;
        const start = headerTable[h + 1] as number;
        const kind = headerTable[h + 3];
        const raw = bytes.subarray(start, start + (headerTable[h + 2] as number));
        const value =
          kind === HEADER_UNDEFINED ? undefined : kind === HEADER_STRING ? decoder.decode(raw) : raw;
        if (!(name in headers)) {
          headers[name] = value;
          continue;
        }
        // A repeated name: the header was an array.
        const existing = headers[name];
        const list = Array.isArray(existing) ? existing : existing === undefined ? [] : [existing];
        if (value !== undefined) list.push(value);
        headers[name] = list;
      }
      message.headers = headers;
    }
    messages.push(message);
  }
  const priorStates = new Map<string, ProductState>();
  for (const state of unpackStates(wire.priorStates)) priorStates.set(state.productId, state);
  const options: ReduceOptions = {};
  if (wire.maxFutureSkewMs !== undefined) options.maxFutureSkewMs = wire.maxFutureSkewMs;
  if (wire.maxEventBytes !== undefined) options.maxEventBytes = wire.maxEventBytes;
  return { messages, priorStates, options };
}

/** Encodes a result for the way back. */
export function encodeResult(result: Reduction): WireResult {
  const invalidIndexes: number[] = [];
  const invalid: string[] = [];
  for (const entry of result.invalid) {
    invalidIndexes.push(entry.index);
    invalid.push(entry.code, entry.path, entry.message);
  }
  const { counts } = result;
  return {
    states: packStates(result.states),
    invalidIndexes,
    invalid,
    counts: [
      counts.applied,
      counts.duplicate,
      counts.stale,
      counts.invalid,
      ...EVENT_TYPES.map((type) => counts.byType[type]),
    ],
    maxOccurredAt: result.maxOccurredAt,
  };
}

/** Decodes a result encoded by {@link encodeResult}; `offsets` are the task's, by message index. */
export function decodeResult(wire: WireResult, offsets: (index: number) => string): ReduceResult {
  const invalid: InvalidMessage[] = [];
  wire.invalidIndexes.forEach((index, i) => {
    invalid.push({
      offset: offsets(index),
      code: wire.invalid[i * 3] as ParseErrorCode,
      path: wire.invalid[i * 3 + 1] as string,
      message: wire.invalid[i * 3 + 2] as string,
    });
  });
  const [applied, duplicate, stale, invalidCount, created, updated, deleted] = wire.counts as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    states: unpackStates(wire.states),
    invalid,
    counts: {
      applied,
      duplicate,
      stale,
      invalid: invalidCount,
      byType: { 'product.created': created, 'product.updated': updated, 'product.deleted': deleted },
    },
    maxOccurredAt: wire.maxOccurredAt,
  };
}
