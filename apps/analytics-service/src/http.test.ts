import { afterEach, describe, expect, it } from 'vitest';
import { createHttpHandler, type HttpServer, type Readiness, startHttpServer } from './http.js';
import { Telemetry } from './telemetry.js';

let server: HttpServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(readiness: () => Readiness | Promise<Readiness>, telemetry = new Telemetry()) {
  server = await startHttpServer(createHttpHandler({ registry: telemetry.registry, readiness }), {
    host: '127.0.0.1',
    port: 0,
  });
  return `http://127.0.0.1:${server.port}`;
}

describe('operations HTTP endpoints', () => {
  it('binds a free port when asked for port 0', async () => {
    await serve(() => ({ ready: true, reasons: [] }));

    expect(server?.port).toBeGreaterThan(0);
  });

  it('answers /healthz with 200 while the process runs', async () => {
    const base = await serve(() => ({ ready: false, reasons: ['starting'] }));

    const res = await fetch(`${base}/healthz`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503 and the reasons until ready, then 200', async () => {
    let readiness: Readiness = {
      ready: false,
      reasons: ['aggregate consumer not joined', 'DynamoDB unreachable'],
    };
    const base = await serve(() => readiness);

    const before = await fetch(`${base}/readyz`);
    const beforeBody = await before.json();
    readiness = { ready: true, reasons: [] };
    const after = await fetch(`${base}/readyz`);

    expect(before.status).toBe(503);
    expect(beforeBody).toEqual({
      ready: false,
      reasons: ['aggregate consumer not joined', 'DynamoDB unreachable'],
    });
    expect(after.status).toBe(200);
  });

  it('answers /readyz with 500 when the check itself throws', async () => {
    const base = await serve(() => Promise.reject(new Error('boom')));

    const res = await fetch(`${base}/readyz`);

    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'boom' });
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
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const base = await serve(() => ({ ready: true, reasons: [] }));

    const missing = await fetch(`${base}/nope`);
    const post = await fetch(`${base}/healthz`, { method: 'POST' });

    expect(missing.status).toBe(404);
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
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
