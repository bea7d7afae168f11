import type { Kafka } from 'kafkajs';
import { RestoreError } from './errors.js';

/**
 * The wire side of the changelog restore: Fetch requests (version 4, read_committed) sent over
 * kafkajs' own broker connections (so TLS, SASL, the request timeout and reconnects stay
 * kafkajs'), with the response read by this module instead of kafkajs' decoder. kafkajs builds
 * an object per record (offsets through `Long`, headers, timestamps) and decodes a whole response
 * before the first record is handed over; the restore needs only key, value and offset, read in
 * place (docs/architecture.md#d21-the-restore-reads-fetch-responses-itself).
 *
 * kafkajs has no public API for a raw request, so this reaches two of its internals, by symbol
 * description, checked at first use: `Kafka`'s cluster factory and `Broker`'s request sender.
 * kafkajs is pinned (2.2.4, patched, `assertKafkajsPatched`), and {@link kafkajsWire} throws a
 * clear error if either is missing.
 */

/** Fetch API key and the version this reader speaks (the lowest Kafka 4 still serves). */
const FETCH_API_KEY = 1;
const FETCH_VERSION = 4;
const READ_COMMITTED = 1;

/** What this module needs of a kafkajs broker connection. */
interface WireBroker {
  send(request: WireRequest): Promise<Buffer>;
}

/** A kafkajs protocol request: encodes its body, hands back the raw response payload. */
export interface WireRequest {
  request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<EncodedBody> };
  response: { decode(payload: Buffer): Promise<Buffer>; parse(payload: Buffer): Promise<Buffer> };
  requestTimeout: number;
}

/** The shape kafkajs' request framing accepts as an encoded body (`Encoder#writeEncoder`). */
interface EncodedBody {
  readonly buf: Buffer;
  readonly buffer: Buffer;
}

interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<object>;
}

function symbolNamed(target: object, description: string): symbol {
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o)) {
    const found = Object.getOwnPropertySymbols(o).find((s) => s.description === description);
    if (found !== undefined) return found;
  }
  throw new Error(
    `kafkajs has no ${description}: the changelog restore needs kafkajs 2.2.4 (see docs/architecture.md#d21-the-restore-reads-fetch-responses-itself)`,
  );
}

/** A Fetch of no partitions: answered at once, it only opens the broker's fetch connection. */
const EMPTY_FETCH = { maxWaitMs: 0, maxBytes: 1, partitionMaxBytes: 1 };
const EMPTY_FETCH_TIMEOUT_MS = 30_000;

/** A connected cluster of a kafkajs client, with the leaders of one topic's partitions. */
export interface WireCluster {
  /**
   * Leader connection per node id and the partitions it leads among those asked for; its fetch
   * connection is open, so requests can be sent to it concurrently.
   */
  leaders(partitions: number[]): Promise<{ broker: WireBroker; partitions: number[] }[]>;
  disconnect(): Promise<void>;
}

/**
 * Opens a cluster of `kafka` (its brokers, TLS and SASL) for raw requests about `topic`.
 * @throws {Error} when the installed kafkajs lacks the internals this reader uses.
 */
export async function kafkajsWire(kafka: Kafka, topic: string): Promise<WireCluster> {
  const create = symbolNamed(kafka, 'private:Kafka:createCluster');
  const cluster = (kafka as unknown as Record<symbol, (o: object) => KafkajsCluster>)[create]!({
    allowAutoTopicCreation: false,
    isolationLevel: READ_COMMITTED,
  });
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
  } catch (error) {
    await cluster.disconnect().catch(() => {});
    throw error;
  }
  return {
    async leaders(partitions) {
      const byNode = cluster.findLeaderForPartitions(topic, partitions);
      return Promise.all(
        Object.entries(byNode).map(async ([nodeId, led]) => {
          const broker = await cluster.findBroker({ nodeId });
          const sendSymbol = symbolNamed(broker, 'private:Broker:sendRequest');
          const send = (broker as Record<symbol, (r: WireRequest) => Promise<Buffer>>)[sendSymbol]!.bind(
            broker,
          );
          // kafkajs opens a broker's fetch connection on the first Fetch, and concurrent first
          // requests would each open a socket (all but one leaked): one empty Fetch opens it.
          await send(fetchRequest(encodeFetchRequest(topic, [], EMPTY_FETCH), 0, EMPTY_FETCH_TIMEOUT_MS));
          return { broker: { send }, partitions: led };
        }),
      );
    },
    disconnect: () => cluster.disconnect(),
  };
}

/** One partition of a Fetch request. */
export interface FetchPosition {
  partition: number;
  offset: bigint;
}

/**
 * Encodes a Fetch v4 request body: read_committed, replica -1, the given positions of `topic`.
 * Exported for tests.
 */
export function encodeFetchRequest(
  topic: string,
  positions: readonly FetchPosition[],
  limits: { maxWaitMs: number; maxBytes: number; partitionMaxBytes: number },
): Buffer {
  const name = Buffer.from(topic, 'utf8');
  const body = Buffer.alloc(4 * 4 + 1 + 4 + 2 + name.length + 4 + positions.length * 16);
  let o = body.writeInt32BE(-1, 0);
  o = body.writeInt32BE(limits.maxWaitMs, o);
  o = body.writeInt32BE(1, o); // min_bytes
  o = body.writeInt32BE(limits.maxBytes, o);
  o = body.writeInt8(READ_COMMITTED, o);
  o = body.writeInt32BE(1, o); // one topic
  o = body.writeInt16BE(name.length, o);
  o += name.copy(body, o);
  o = body.writeInt32BE(positions.length, o);
  for (const { partition, offset } of positions) {
    o = body.writeInt32BE(partition, o);
    o = body.writeBigInt64BE(offset, o);
    o = body.writeInt32BE(limits.partitionMaxBytes, o);
  }
  return body;
}

/** A kafkajs protocol request carrying a Fetch v4 body whose response comes back raw. */
export function fetchRequest(body: Buffer, maxWaitMs: number, requestTimeoutMs: number): WireRequest {
  return {
    request: {
      apiKey: FETCH_API_KEY,
      apiVersion: FETCH_VERSION,
      apiName: 'Fetch',
      encode: async () => ({ buf: body, buffer: body }),
    },
    response: { decode: async (payload) => payload, parse: async (payload) => payload },
    requestTimeout: Math.max(requestTimeoutMs, maxWaitMs + 100),
  };
}

/** An aborted transaction listed by a Fetch response. */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** One partition of a Fetch response, its record bytes not yet read. */
export interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  aborted: AbortedTransaction[];
  records: Buffer;
}

/**
 * Reads a Fetch v4 response body (after the correlation id) down to each partition's record
 * bytes, which stay views into `payload`.
 * @throws {RangeError} when the body is shorter than its own lengths say.
 */
export function parseFetchResponse(payload: Buffer): FetchedPartition[] {
  const out: FetchedPartition[] = [];
  let o = 4; // throttle_time_ms
  const topics = payload.readInt32BE(o);
  o += 4;
  for (let t = 0; t < topics; t++) {
    o += 2 + payload.readInt16BE(o);
    const partitions = payload.readInt32BE(o);
    o += 4;
    for (let p = 0; p < partitions; p++) {
      const partition = payload.readInt32BE(o);
      const errorCode = payload.readInt16BE(o + 4);
      const highWatermark = payload.readBigInt64BE(o + 6);
      const lastStableOffset = payload.readBigInt64BE(o + 14);
      const abortedCount = payload.readInt32BE(o + 22);
      o += 26;
      const aborted: AbortedTransaction[] = [];
      for (let a = 0; a < abortedCount; a++) {
        aborted.push({ producerId: payload.readBigInt64BE(o), firstOffset: payload.readBigInt64BE(o + 8) });
        o += 16;
      }
      const size = payload.readInt32BE(o);
      o += 4;
      const length = Math.max(size, 0);
      if (o + length > payload.length) throw new RangeError('Fetch response shorter than its record set');
      out.push({
        partition,
        errorCode,
        highWatermark,
        lastStableOffset,
        aborted,
        records: payload.subarray(o, o + length),
      });
      o += length;
    }
  }
  return out;
}

/** Kafka's error codes a restore meets when a partition moves; named in its error. */
const ERROR_NAMES: Readonly<Record<number, string>> = {
  1: 'OFFSET_OUT_OF_RANGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  56: 'KAFKA_STORAGE_ERROR',
  74: 'FENCED_LEADER_EPOCH',
  75: 'UNKNOWN_LEADER_EPOCH',
  78: 'OFFSET_NOT_AVAILABLE',
};

/**
 * The part of a Fetch response for `partition`.
 * @throws {RestoreError} retryable, when the broker answered for it with an error or left it out.
 */
export function partitionOf(fetched: readonly FetchedPartition[], partition: number): FetchedPartition {
  const found = fetched.find((f) => f.partition === partition);
  if (found === undefined)
    throw new RestoreError([partition], 'the broker answered the changelog fetch without it');
  if (found.errorCode === 0) return found;
  const name = ERROR_NAMES[found.errorCode] ?? `error code ${found.errorCode}`;
  throw new RestoreError([partition], `the broker answered the changelog fetch with ${name}`);
}
