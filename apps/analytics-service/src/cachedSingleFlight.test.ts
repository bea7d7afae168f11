import { describe, expect, it } from 'vitest';
import { cachedSingleFlight } from './cachedSingleFlight.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('cachedSingleFlight', () => {
  it('shares one call among concurrent callers', async () => {
    let calls = 0;
    const pending = deferred<string>();
    const check = cachedSingleFlight(
      () => {
        calls += 1;
        return pending.promise;
      },
      { ttlMs: 1000 },
    );

    const answers = Promise.all([check(), check(), check()]);
    pending.resolve('ok');

    expect(await answers).toEqual(['ok', 'ok', 'ok']);
    expect(calls).toBe(1);
  });

  it('reuses a settled result for ttlMs, then calls again', async () => {
    let now = 0;
    let calls = 0;
    const check = cachedSingleFlight(async () => ++calls, { ttlMs: 100, now: () => now });

    const first = await check();
    now = 99;
    const cached = await check();
    now = 100;
    const fresh = await check();

    expect([first, cached, fresh]).toEqual([1, 1, 2]);
  });

  it('shares a rejection with the callers waiting for it but does not cache it', async () => {
    let calls = 0;
    const check = cachedSingleFlight(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('down');
        return 'up';
      },
      { ttlMs: 1000 },
    );

    const results = await Promise.allSettled([check(), check()]);
    const retry = await check();

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(retry).toBe('up');
    expect(calls).toBe(2);
  });
});
