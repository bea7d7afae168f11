import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { choosePorts, freePort } from './ports.js';

describe('ports', () => {
  it('finds a port that can then be bound on 127.0.0.1', async () => {
    const port = await freePort();
    const server = createServer();

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    server.close();
    expect(port).toBeGreaterThan(0);
  });

  it('keeps requested ports and fills zeros with distinct free ports', async () => {
    const ports = await choosePorts([0, 12_345, 0, 0]);

    expect(ports[1]).toBe(12_345);
    const chosen = [ports[0], ports[2], ports[3]];
    expect(new Set(chosen).size).toBe(3);
    expect(chosen.every((p) => p !== undefined && p > 0 && p !== 12_345)).toBe(true);
  });
});
