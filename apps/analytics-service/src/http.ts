import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, SILENT_LOGGER } from '@marketplace/options';
import type { Registry } from 'prom-client';
import { CONFIG_DEFAULTS } from './config.js';

/** Why the service is not ready; the `code` of a {@link ReadinessReason}. */
export const READINESS_CODES = [
  'STARTING',
  'SHUTTING_DOWN',
  'AGGREGATE_NOT_JOINED',
  'SINK_NOT_JOINED',
  'AGGREGATE_STAGE_FAILED',
  'SINK_STAGE_FAILED',
  'KAFKA_UNAVAILABLE',
  'DYNAMODB_TABLE_UNAVAILABLE',
  'S3_BUCKET_UNAVAILABLE',
  // A consumer group with lag committed nothing for READINESS_STALL_MS (`group` names it).
  'GROUP_STALLED',
  // Consumer lag could not be read for READINESS_STALL_MS (of any group, or of `group`).
  'LAG_UNKNOWN',
] as const;

/** One of {@link READINESS_CODES}. */
export type ReadinessCode = (typeof READINESS_CODES)[number];

/**
 * One reason why the service is not ready. Only codes: what the upstream said (AWS or Kafka
 * messages, which can name accounts and role ARNs) goes to the logs, never into a response.
 */
export interface ReadinessReason {
  code: ReadinessCode;
  /** Short error identifier of the failed check (e.g. `NotFound`, `AccessDenied`, `TIMEOUT`), when known. */
  error?: string;
  /** Short identifier of the innermost cause, when it differs (e.g. `ResourceNotFoundException`). */
  cause?: string;
  /** HTTP status the upstream answered with, when known. */
  status?: number;
  /** The consumer group concerned (`GROUP_STALLED`; `LAG_UNKNOWN` when only that group's polls fail). */
  group?: string;
}

/** Answer of a readiness check: ready, or the reasons why not. */
export interface Readiness {
  ready: boolean;
  /** Why the service is not ready (empty when ready). */
  reasons: ReadinessReason[];
}

/** `code` of every error body the HTTP endpoints answer with. */
export const HTTP_ERROR_CODES = [
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'NOT_READY',
  'READINESS_TIMEOUT',
  'INTERNAL_ERROR',
] as const;

/** One of {@link HTTP_ERROR_CODES}. */
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

/** The endpoints served. */
export const HTTP_ENDPOINTS = Object.freeze(['/healthz', '/readyz', '/metrics'] as const);

/** What the HTTP endpoints read. */
export interface HttpHandlerOptions {
  /** Served on `/metrics`. */
  registry: Registry;
  /** Evaluated on `/readyz` (the service makes it single-flight and caches its probes). */
  readiness: () => Promise<Readiness> | Readiness;
  /** Where the details of failed requests go (never into the response). @default silent */
  logger?: Logger;
  /**
   * Bound of one readiness evaluation; past it `/readyz` answers 503 `READINESS_TIMEOUT`.
   * @default 5000
   */
  readinessTimeoutMs?: number;
}

/** A request handler that never rejects: every failure is answered (or the socket destroyed) and logged. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Path of a request target, without query or fragment. Plain string work: it cannot throw. */
export function requestPath(target: string | undefined): string {
  const url = target ?? '/';
  let end = url.length;
  for (const separator of ['?', '#']) {
    const at = url.indexOf(separator);
    if (at !== -1 && at < end) end = at;
  }
  return url.slice(0, end);
}

/** Whether the request announces a body (none of the endpoints reads one). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
): void {
  const headers: Record<string, string> = { 'content-type': contentType, 'cache-control': 'no-store' };
  // A body nobody reads would be drained by Node: close the connection after the answer instead.
  if (hasBody(req)) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  send(req, res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: HttpErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(req, res, status, { code, message, ...extra });
}

const TIMED_OUT = Symbol('timed out');

async function withTimeout<T>(work: Promise<T> | T, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The request handler of the operations endpoints:
 * - `GET /healthz`: 200 `{"status":"ok"}` while the process runs;
 * - `GET /readyz`: 200 `{"ready":true,"reasons":[]}` when ready, else 503
 *   `{"ready":false,"code":"NOT_READY","reasons":[{"code":...}]}`;
 * - `GET /metrics`: Prometheus text format of `registry`.
 *
 * Anything else is 404 `NOT_FOUND` (405 `METHOD_NOT_ALLOWED` for methods other than GET/HEAD). A
 * failure while answering is 500 `INTERNAL_ERROR`. Error bodies are `{"code","message"}` with a
 * fixed message; the details are logged. The handler never rejects, whatever the request.
 */
export function createHttpHandler(options: HttpHandlerOptions): HttpHandler {
  const logger = options.logger ?? SILENT_LOGGER;
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 5000;
  return async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        sendError(req, res, 405, 'METHOD_NOT_ALLOWED', 'only GET and HEAD are allowed');
        return;
      }
      switch (requestPath(req.url)) {
        case '/healthz':
          sendJson(req, res, 200, { status: 'ok' });
          return;
        case '/readyz': {
          const readiness = await withTimeout(options.readiness(), readinessTimeoutMs);
          if (readiness === TIMED_OUT) {
            logger.warn('readiness check timed out', { timeoutMs: readinessTimeoutMs });
            sendError(req, res, 503, 'READINESS_TIMEOUT', 'the readiness check did not finish in time');
          } else if (readiness.ready) {
            sendJson(req, res, 200, { ready: true, reasons: [] });
          } else {
            sendJson(req, res, 503, { ready: false, code: 'NOT_READY', reasons: readiness.reasons });
          }
          return;
        }
        case '/metrics':
          send(req, res, 200, options.registry.contentType, await options.registry.metrics());
          return;
        default:
          sendError(req, res, 404, 'NOT_FOUND', 'no such endpoint', { endpoints: HTTP_ENDPOINTS });
      }
    } catch (error) {
      logger.error('HTTP request failed', { method: req.method, path: requestPath(req.url), error });
      if (res.headersSent) res.destroy();
      else sendError(req, res, 500, 'INTERNAL_ERROR', 'the request failed; see the service log');
    }
  };
}

/** Options of {@link startHttpServer}; the bounds default to the `HTTP_*` values of `CONFIG_DEFAULTS`. */
export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Node `headersTimeout`: time to send the request line and headers. @default 10000 */
  headersTimeoutMs?: number;
  /** Node `requestTimeout`: time to send the whole request; also the idle bound of a socket. @default 30000 */
  requestTimeoutMs?: number;
  /** Node `keepAliveTimeout`: idle time of a kept-alive connection. @default 5000 */
  keepAliveTimeoutMs?: number;
  /** Node `maxConnections`: further connections are closed at once. @default 64 */
  maxConnections?: number;
  /** Where a handler failure that escaped the handler goes. @default silent */
  logger?: Logger;
}

/** A started HTTP server. */
export interface HttpServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly host: string;
  /** Stops accepting connections and closes open ones. */
  close(): Promise<void>;
}

/**
 * Starts the operations HTTP server on `host:port` with explicit bounds: headers, request and
 * keep-alive timeouts (checked every second rather than Node's 30 s), a socket idle timeout and a
 * connection cap. Malformed requests are answered 400 (oversized headers 431, too slow 408) by
 * Node and the connection is closed; nothing a client sends can reject into the process.
 * @throws the `listen` error (e.g. EADDRINUSE).
 */
export async function startHttpServer(handler: HttpHandler, options: HttpServerOptions): Promise<HttpServer> {
  const logger = options.logger ?? SILENT_LOGGER;
  const headersTimeout = options.headersTimeoutMs ?? CONFIG_DEFAULTS.HTTP_HEADERS_TIMEOUT_MS;
  const requestTimeout = options.requestTimeoutMs ?? CONFIG_DEFAULTS.HTTP_REQUEST_TIMEOUT_MS;
  const server: Server = createServer({
    headersTimeout,
    requestTimeout,
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? CONFIG_DEFAULTS.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  server.maxConnections = options.maxConnections ?? CONFIG_DEFAULTS.HTTP_MAX_CONNECTIONS;
  // A socket with no traffic at all (e.g. waiting for an answer that never comes) is destroyed.
  server.setTimeout(requestTimeout);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch((error: unknown) => {
      logger.error('HTTP handler failed', { error });
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error('HTTP server error', { error }));
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
