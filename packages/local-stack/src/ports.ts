import { type AddressInfo, createServer } from 'node:net';

/** The loopback address every server of the stack listens on. */
export const LOOPBACK = '127.0.0.1';

/**
 * Finds a free TCP port on 127.0.0.1 by binding port 0 and releasing it. Another process may
 * take the port before the server binds it; start-up reports that as a retryable error.
 */
export function freePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      // A TCP server listening on an IP address always has an AddressInfo with the port it got.
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves `port`, or a free port when it is 0; several calls never return the same port. */
export async function choosePorts(requested: readonly number[], host: string = LOOPBACK): Promise<number[]> {
  const chosen: number[] = [];
  for (const port of requested) {
    let candidate = port;
    while (candidate === 0 || (port === 0 && chosen.includes(candidate))) candidate = await freePort(host);
    chosen.push(candidate);
  }
  return chosen;
}
