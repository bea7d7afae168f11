/**
 * Hostile input on the operations port of the BUILT app (`dist/main.js`, production mode, stage 1
 * against the local stack): hundreds of malformed request lines, methods, paths and headers,
 * oversized headers, a connection flood and slow senders, all over raw `net` sockets on
 * 127.0.0.1. The service must stay up, answer `/healthz` afterwards and still stop gracefully.
 *
 * The generator is seeded; the seed is printed. Replay a failure with `HTTP_FUZZ_SEED=<seed>`.
 */
import { randomInt } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopicsAndWait } from '../../../packages/kafka-processor/src/prepareTopics.js';
import { kafkaClient, testStack, uniqueName } from '../../../packages/local-stack/test/clients.js';
import { type AppProcess, baseEnv, ensureBuilt, eventually, startApp } from './app.js';

const SEED =
  process.env.HTTP_FUZZ_SEED === undefined ? randomInt(2 ** 31) : Number(process.env.HTTP_FUZZ_SEED);
const CASES = 400;
const CONCURRENCY = 8;
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const MAX_CONNECTIONS = 32;
/** Client-side bound of one exchange: far beyond every server timeout, so the server closes first. */
const EXCHANGE_CAP_MS = 20_000;

const names = {
  app: uniqueName('fuzz-app'),
  created: uniqueName('fuzz-created'),
  updated: uniqueName('fuzz-updated'),
  deleted: uniqueName('fuzz-deleted'),
  productState: uniqueName('fuzz-state'),
  metricChanges: uniqueName('fuzz-changes'),
  deadLetter: uniqueName('fuzz-dlq'),
  lowStock: uniqueName('fuzz-lowstock'),
  reroute: uniqueName('fuzz-reroute'),
};

let kafka: Kafka | undefined;
let app: AppProcess | undefined;
let port = 0;

/** mulberry32: small, seedable, good enough to pick fuzz inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (max: number): number => Math.floor(random() * max);
const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));

const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'PATCH',
  'get',
  'G E T',
  '',
  'GETT',
  'PRI',
  'M-SEARCH',
  'A'.repeat(300),
  '\u0000GET',
  'GET\t',
];
const TARGETS = [
  '/healthz',
  '/readyz',
  '/metrics',
  '//[',
  '/[',
  'http://[::1',
  'http://a:b@c/readyz',
  '*',
  '',
  '/%',
  '/%zz',
  '/%00',
  '/..%2f..%2fetc%2fpasswd',
  '/healthz?x=[',
  '/readyz#[',
  '/metrics?%',
  '/\u00e9\u00e8',
  '/\u0000',
  `/${'a'.repeat(9000)}`,
  '//',
  '/healthz/',
  ' /healthz',
  '/healthz HTTP/1.1\r\nX: y',
];
const VERSIONS = [
  'HTTP/1.1',
  'HTTP/1.0',
  'HTTP/2.0',
  'HTTP/9.9',
  'HTTP/1.1x',
  'http/1.1',
  '',
  'HTTP/',
  'HTTP/1',
];
const HEADER_LINES = [
  'Host: 127.0.0.1',
  'Host: a\r\nHost: b',
  'Content-Length: 5',
  'Content-Length: -1',
  'Content-Length: 1, 2',
  'Content-Length: 99999999999999999999',
  'Content-Length: 3\r\nContent-Length: 4',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: gzip, chunked',
  'Transfer-Encoding: chunked\r\nContent-Length: 10',
  'Connection: close',
  'Connection: keep-alive',
  'Connection: upgrade\r\nUpgrade: websocket',
  'Expect: 100-continue',
  'X-Folded: a\r\n b',
  'Bad Header: x',
  ': no name',
  'X-Nul: a\u0000b',
  'X-Ctl: \u0001\u0002',
  'X-Utf8: \u00ff\u00fe',
  `X-Long: ${'v'.repeat(4000)}`,
  'Accept: */*',
  'Cookie: a=b; c=d',
];
const BODIES = ['', 'hello', '0\r\n\r\n', 'zz\r\nnot hex\r\n', '5\r\nabc', '\r\n\r\n\r\n'];

/** One generated malformed (or sometimes valid) request, as raw bytes. */
function generateRequest(): Buffer {
  switch (int(10)) {
    case 0:
      return bytes(1 + int(2000));
    case 1: {
      // A valid request with one part replaced by junk bytes.
      const junk = bytes(1 + int(40)).toString('latin1');
      return Buffer.from(`${pick(METHODS)} ${junk} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1');
    }
    case 2: {
      // Oversized headers (over Node's 16 KiB limit) or very many of them.
      const big = random() < 0.5;
      const headers = big
        ? `X-Big: ${'b'.repeat(16_384 + int(50_000))}\r\n`
        : Array.from({ length: 500 + int(3000) }, (_, i) => `X-H${i}: v\r\n`).join('');
      return Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\n${headers}\r\n`, 'latin1');
    }
    default: {
      const eol = random() < 0.9 ? '\r\n' : pick(['\n', '\r', '\n\r', '']);
      const headers = Array.from({ length: int(6) }, () => pick(HEADER_LINES));
      const lines = [`${pick(METHODS)} ${pick(TARGETS)} ${pick(VERSIONS)}`, ...headers];
      const text = `${lines.join(eol)}${eol}${eol}${pick(BODIES)}`;
      // Sometimes cut the request short.
      const cut = random() < 0.2 ? int(text.length) : text.length;
      return Buffer.from(text.slice(0, cut), random() < 0.5 ? 'latin1' : 'utf8');
    }
  }
}

interface Exchange {
  /** What the server sent back (latin1), possibly nothing. */
  answer: string;
  /** True when the server (not our cap) ended the connection. */
  closedByServer: boolean;
}

/** Opens a connection, lets `drive` write to it, collects the answer until the server closes it. */
function exchange(drive: (socket: Socket) => void): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let capped = false;
    const cap = setTimeout(() => {
      capped = true;
      socket.destroy();
    }, EXCHANGE_CAP_MS);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    // A reset by the server ends in 'close' like any other end.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(cap);
      resolve({ answer, closedByServer: !capped });
    });
    socket.on('connect', () => drive(socket));
  });
}

/** Sends `data`, half-closes, waits for the server to answer and close. */
function send(data: Buffer): Promise<Exchange> {
  return exchange((socket) => {
    socket.write(data);
    socket.end();
  });
}

/** Sends `text` one byte every `intervalMs` without ever finishing it (slowloris). */
function slowSend(text: string, intervalMs: number): Promise<Exchange> {
  let timer: NodeJS.Timeout | undefined;
  return exchange((socket) => {
    let i = 0;
    timer = setInterval(() => {
      if (socket.destroyed || i >= text.length) {
        clearInterval(timer);
        return;
      }
      socket.write(text[i] ?? '');
      i += 1;
    }, intervalMs);
    socket.once('close', () => clearInterval(timer));
  });
}

async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    results.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  }
  return results;
}

async function healthz(): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
}

/** Status code of a raw answer, or undefined when the server answered nothing (closed or reset). */
function statusOf(answer: string): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(answer);
  return match === null ? undefined : Number(match[1]);
}

beforeAll(async () => {
  console.info(`http fuzz seed: ${SEED} (replay with HTTP_FUZZ_SEED=${SEED})`);
  await ensureBuilt();
  kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  // kafkajs' own waitForLeaders gives up while a KRaft broker propagates new topics (seen under load).
  await createTopicsAndWait(
    admin,
    [names.created, names.updated, names.deleted].map((topic) => ({ topic, numPartitions: 1 })),
  );
  await admin.disconnect();
  app = startApp(
    baseEnv({
      KAFKA_BROKERS: testStack().kafkaBrokers.join(','),
      KAFKA_CREATE_TOPICS: 'true',
      APPLICATION_ID: names.app,
      TOPIC_PRODUCT_CREATED: names.created,
      TOPIC_PRODUCT_UPDATED: names.updated,
      TOPIC_PRODUCT_DELETED: names.deleted,
      TOPIC_PRODUCT_STATE: names.productState,
      TOPIC_METRIC_CHANGES: names.metricChanges,
      TOPIC_DEAD_LETTER: names.deadLetter,
      TOPIC_LOW_STOCK_ALERTS: names.lowStock,
      TOPIC_REROUTE: names.reroute,
      HTTP_PORT: '0',
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      WORKER_THREADS: '0',
      LOG_LEVEL: 'info',
    }),
    ['--role', 'aggregate'],
  );
  port = Number(new URL(await app.url()).port);
  await eventually('the app answers /healthz', async () => ((await healthz()) === 200 ? true : undefined));
}, 600_000);

afterAll(async () => {
  app?.kill();
  if (kafka !== undefined) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(names).filter((n) => n !== names.app) }).catch(() => {});
    await admin.disconnect();
  }
});

describe('operations HTTP port under hostile input (built app)', () => {
  it('survives the request line that used to kill it (GET //[ HTTP/1.1)', async () => {
    const { answer } = await send(Buffer.from('GET //[ HTTP/1.1\r\nHost: x\r\n\r\n'));

    expect(statusOf(answer)).toBe(404);
    expect(answer).toContain('"code":"NOT_FOUND"');
    expect(await healthz()).toBe(200);
  });

  it(`answers or closes ${CASES} seeded malformed requests without an internal error, and stays up`, async () => {
    const requests = Array.from({ length: CASES }, generateRequest);

    const results = await inBatches(requests, CONCURRENCY, send);

    const statuses = new Map<string, number>();
    for (const { answer } of results) {
      const key = String(statusOf(answer) ?? 'closed');
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
    console.info(`http fuzz seed ${SEED}: answers ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(results.every((r) => r.closedByServer)).toBe(true);
    expect(results.filter((r) => r.answer !== '' && statusOf(r.answer) === undefined)).toEqual([]);
    expect(statuses.get('500')).toBeUndefined();
    expect(app?.child.exitCode).toBeNull();
    expect(await healthz()).toBe(200);
  });

  it('closes slow senders at the headers and request timeouts and serves /healthz meanwhile', async () => {
    const slowHeaders = Array.from({ length: 8 }, () =>
      slowSend(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'s'.repeat(1000)}`, 100),
    );
    const slowBodies = Array.from({ length: 4 }, () =>
      slowSend(`GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n${'b'.repeat(1000)}`, 100),
    );
    const idle = Array.from({ length: 4 }, () => exchange(() => {}));

    const duringAttack = await healthz();
    const results = await Promise.all([...slowHeaders, ...slowBodies, ...idle]);

    expect(duringAttack).toBe(200);
    expect(results.every((r) => r.closedByServer)).toBe(true);
    expect(results.map((r) => statusOf(r.answer) ?? 'closed')).not.toContain(500);
    expect(await healthz()).toBe(200);
  });

  it('drops connections over HTTP_MAX_CONNECTIONS and recovers once the flood is gone', async () => {
    const flood = Array.from({ length: MAX_CONNECTIONS + 16 }, () => exchange(() => {}));

    const results = await Promise.all(flood);

    expect(results.every((r) => r.closedByServer)).toBe(true);
    expect(await healthz()).toBe(200);
  });

  it('still stops gracefully (exit 0) on SIGTERM after all of it', async () => {
    expect(app?.stderr()).not.toMatch(/uncaught|unhandled/i);

    const { code } = (await app?.terminate()) ?? { code: undefined };

    expect(code).toBe(0);
    expect(app?.stdout()).not.toMatch(/uncaught exception|unhandled promise rejection/);
  });
});
