import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createHttpHandler,
  type HttpServer,
  type HttpServerOptions,
  type Readiness,
  requestPath,
  startHttpServer,
} from './http.js';
import { Telemetry } from './Telemetry.js';

let server: HttpServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

async function serve(
  readiness: () => Readiness | Promise<Readiness>,
  telemetry = new Telemetry(),
  options: Partial<HttpServerOptions> & { readinessTimeoutMs?: number } = {},
) {
  const { readinessTimeoutMs, ...serverOptions } = options;
  server = await startHttpServer(
    createHttpHandler({
      registry: telemetry.registry,
      readiness,
      logger,
      ...(readinessTimeoutMs === undefined ? {} : { readinessTimeoutMs }),
    }),
    { host: '127.0.0.1', port: 0, logger, ...serverOptions },
  );
  return `http://127.0.0.1:${server.port}`;
}

/** Sends `data` on a raw connection and resolves with everything the server answered until it closed. */
function rawExchange(port: number, data: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    // A reset (the server dropped the connection) ends in 'close' like any other end.
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer));
    socket.write(data);
  });
}

describe('operations HTTP endpoints', () => {
  it('binds a free port when asked for port 0', async () => {
    await serve(() => ({ ready: true, reasons: [] }));

    expect(server?.port).toBeGreaterThan(0);
  });

  it('answers /healthz with 200 while the process runs', async () => {
    const base = await serve(() => ({ ready: false, reasons: [{ code: 'STARTING' }] }));

    const res = await fetch(`${base}/healthz`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503, code NOT_READY and the coded reasons until ready, then 200', async () => {
    let readiness: Readiness = {
      ready: false,
      reasons: [{ code: 'AGGREGATE_NOT_JOINED' }, { code: 'DYNAMODB_TABLE_UNAVAILABLE', error: 'TIMEOUT' }],
    };
    const base = await serve(() => readiness);

    const before = await fetch(`${base}/readyz`);
    const beforeBody = await before.json();
    readiness = { ready: true, reasons: [] };
    const after = await fetch(`${base}/readyz`);

    expect(before.status).toBe(503);
    expect(beforeBody).toEqual({
      ready: false,
      code: 'NOT_READY',
      reasons: [{ code: 'AGGREGATE_NOT_JOINED' }, { code: 'DYNAMODB_TABLE_UNAVAILABLE', error: 'TIMEOUT' }],
    });
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ ready: true, reasons: [] });
  });

  it('answers 500 INTERNAL_ERROR without the error text when the check throws, and logs the error', async () => {
    const secret = 'User: arn:aws:sts::123456789012:assumed-role/analytics is not authorized';
    const base = await serve(() => Promise.reject(new Error(secret)));

    const res = await fetch(`${base}/readyz`);
    const text = await res.text();

    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ code: 'INTERNAL_ERROR', message: expect.any(String) });
    expect(text).not.toContain('arn:aws');
    expect(logger.error).toHaveBeenCalledWith(
      'HTTP request failed',
      expect.objectContaining({ path: '/readyz', error: new Error(secret) }),
    );
  });

  it('answers 503 READINESS_TIMEOUT when the readiness check does not finish in time', async () => {
    const base = await serve(() => new Promise<Readiness>(() => {}), new Telemetry(), {
      readinessTimeoutMs: 20,
    });

    const res = await fetch(`${base}/readyz`);

    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'READINESS_TIMEOUT' });
  });

  it('serves Prometheus metrics including process defaults and pipeline counters', async () => {
    const telemetry = new Telemetry();
    telemetry.recordEvents('product.created', 3);
    telemetry.recordInvalid('INVALID_JSON', 2);
    telemetry.recordSkipped('duplicate', 1);
    telemetry.recordBatch('aggregate', 0.02);
    telemetry.recordDynamoWrite(10, 4);
    telemetry.recordS3Write(1, 512);
    telemetry.setConsumerLag('g', 'product.created', 0, 7);
    telemetry.setPoolSource(() => ({ threads: 4, busy: 1, queued: 2, completed: 9 }));
    let threads = [
      { thread: 0, utilization: 0.5, heapUsedBytes: 40_000_000 },
      { thread: 1, utilization: 0.25, heapUsedBytes: 30_000_000 },
    ];
    telemetry.setStreamThreadSource(() => threads);
    const base = await serve(() => ({ ready: true, reasons: [] }), telemetry);

    const res = await fetch(`${base}/metrics`);
    const text = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('analytics_events_total{type="product.created"} 3');
    expect(text).toContain('analytics_events_invalid_total{code="INVALID_JSON"} 2');
    expect(text).toContain('analytics_events_skipped_total{reason="duplicate"} 1');
    expect(text).toContain('analytics_batch_duration_seconds_count{stage="aggregate"} 1');
    expect(text).toContain('analytics_consumer_lag{group="g",topic="product.created",partition="0"} 7');
    expect(text).toContain('analytics_dynamodb_rows_written_total 10');
    expect(text).toContain('analytics_s3_objects_written_total 1');
    expect(text).toContain('analytics_worker_pool_utilization_ratio 0.25');
    expect(text).toContain('analytics_worker_pool_queued 2');
    expect(text).toContain('analytics_worker_pool_tasks_completed_total 9');
    expect(text).toContain('analytics_stream_thread_utilization_ratio{thread="0"} 0.5');
    expect(text).toContain('analytics_stream_thread_utilization_ratio{thread="1"} 0.25');
    expect(text).toContain('analytics_stream_thread_heap_used_bytes{thread="1"} 30000000');

    // A thread that stopped reporting (it stopped or died) loses its series.
    threads = [threads[0]!];
    const later = await (await fetch(`${base}/metrics`)).text();
    expect(later).toContain('analytics_stream_thread_heap_used_bytes{thread="0"} 40000000');
    expect(later).not.toContain('thread="1"');
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const base = await serve(() => ({ ready: true, reasons: [] }));

    const missing = await fetch(`${base}/nope`);
    const post = await fetch(`${base}/healthz`, { method: 'POST' });

    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      code: 'NOT_FOUND',
      endpoints: ['/healthz', '/readyz', '/metrics'],
    });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await post.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
  });

  it('answers a request target that is not a valid URL instead of crashing (GET //[ HTTP/1.1)', async () => {
    await serve(() => ({ ready: true, reasons: [] }));

    const answer = await rawExchange(
      server?.port ?? 0,
      'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const health = await fetch(`http://127.0.0.1:${server?.port}/healthz`);

    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(health.status).toBe(200);
  });

  it('ignores the query string and fragment of a path', async () => {
    const base = await serve(() => ({ ready: true, reasons: [] }));

    const res = await fetch(`${base}/healthz?x=[`);

    expect(res.status).toBe(200);
    expect(requestPath('/readyz#frag?x')).toBe('/readyz');
    expect(requestPath('/metrics?a#b')).toBe('/metrics');
    expect(requestPath(undefined)).toBe('/');
  });

  it('closes the connection after answering a request that carries a body it does not read', async () => {
    await serve(() => ({ ready: true, reasons: [] }));

    const answer = await rawExchange(
      server?.port ?? 0,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial body',
    );

    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.toLowerCase()).toContain('connection: close');
  });

  it('closes a connection that does not finish its headers within headersTimeoutMs', async () => {
    await serve(() => ({ ready: true, reasons: [] }), new Telemetry(), {
      headersTimeoutMs: 200,
      requestTimeoutMs: 200,
    });

    // Resolves only once the server closed the socket (the test's own timeout bounds the wait).
    const answer = await rawExchange(server?.port ?? 0, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');

    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('closes connections over maxConnections at once', async () => {
    await serve(() => ({ ready: true, reasons: [] }), new Telemetry(), { maxConnections: 1 });
    const port = server?.port ?? 0;
    const holder = connect(port, '127.0.0.1');
    await new Promise((resolve) => holder.once('connect', resolve));
    holder.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');

    const refused = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    holder.destroy();

    expect(refused).toBe('');
  });

  it('answers oversized headers with 431 and keeps serving', async () => {
    await serve(() => ({ ready: true, reasons: [] }));

    const answer = await rawExchange(
      server?.port ?? 0,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    const health = await fetch(`http://127.0.0.1:${server?.port}/healthz`);

    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(health.status).toBe(200);
  });

  it('destroys the socket and logs when a handler rejects after all (a handler from elsewhere)', async () => {
    server = await startHttpServer(() => Promise.reject(new Error('handler bug')), {
      host: '127.0.0.1',
      port: 0,
      logger,
    });

    const answer = await rawExchange(server.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');

    expect(answer).toBe('');
    expect(logger.error).toHaveBeenCalledWith('HTTP handler failed', { error: new Error('handler bug') });
  });

  it('fails to start with the listen error when the port is taken', async () => {
    await serve(() => ({ ready: true, reasons: [] }));
    const port = server?.port ?? 0;

    await expect(
      startHttpServer(
        createHttpHandler({
          registry: new Telemetry().registry,
          readiness: () => ({ ready: true, reasons: [] }),
        }),
        {
          host: '127.0.0.1',
          port,
        },
      ),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
