import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Answer of a readiness check: ready, or the reasons why not. */
export interface Readiness {
  ready: boolean;
  /** Why the service is not ready (empty when ready). */
  reasons: string[];
}

/** What the HTTP endpoints read. */
export interface HttpHandlerOptions {
  /** Served on `/metrics`. */
  registry: Registry;
  /** Evaluated on every `/readyz`. */
  readiness: () => Promise<Readiness> | Readiness;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

/**
 * The request handler of the operations endpoints:
 * - `GET /healthz`: 200 while the process runs;
 * - `GET /readyz`: 200 when ready, 503 with `{ ready: false, reasons }` otherwise;
 * - `GET /metrics`: Prometheus text format of `registry`.
 * Anything else is 404 (405 for methods other than GET/HEAD).
 */
export function createHttpHandler(options: HttpHandlerOptions): Handler {
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { error: 'method not allowed' });
      return;
    }
    try {
      switch (path) {
        case '/healthz':
          sendJson(res, 200, { status: 'ok' });
          return;
        case '/readyz': {
          const readiness = await options.readiness();
          sendJson(res, readiness.ready ? 200 : 503, readiness);
          return;
        }
        case '/metrics':
          send(res, 200, options.registry.contentType, await options.registry.metrics());
          return;
        default:
          sendJson(res, 404, { error: 'not found', endpoints: ['/healthz', '/readyz', '/metrics'] });
      }
    } catch (error) {
      sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  };
}

/** A started HTTP server. */
export interface HttpServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly host: string;
  /** Stops accepting connections and closes idle ones. */
  close(): Promise<void>;
}

/**
 * Starts the operations HTTP server on `host:port` (port 0 picks a free port).
 * @throws the `listen` error (e.g. EADDRINUSE).
 */
export async function startHttpServer(
  handler: Handler,
  options: { host: string; port: number },
): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    void handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    port: address.port,
    host: options.host,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
