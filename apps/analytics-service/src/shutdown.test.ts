import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handleShutdownSignals } from './shutdown.js';

const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
let dispose: (() => void) | undefined;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  dispose?.();
  vi.useRealTimers();
});

describe('handleShutdownSignals', () => {
  it('runs the shutdown once on SIGTERM and exits 0 when it finishes in time', async () => {
    const exit = vi.fn();
    const shutdown = vi.fn(async () => {});
    ({ dispose } = handleShutdownSignals(shutdown, { timeoutMs: 1000, logger, exit, signals: ['SIGUSR2'] }));

    process.emit('SIGUSR2', 'SIGUSR2');
    await vi.advanceTimersByTimeAsync(0);

    expect(shutdown).toHaveBeenCalledWith('SIGUSR2');
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('forces exit 1 when the shutdown does not finish within the bound', async () => {
    const exit = vi.fn();
    ({ dispose } = handleShutdownSignals(() => new Promise(() => {}), {
      timeoutMs: 1000,
      logger,
      exit,
      signals: ['SIGUSR2'],
    }));

    process.emit('SIGUSR2', 'SIGUSR2');
    await vi.advanceTimersByTimeAsync(999);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);

    expect(exit).toHaveBeenCalledWith(1);
  });

  it('exits 1 when the shutdown fails', async () => {
    const exit = vi.fn();
    ({ dispose } = handleShutdownSignals(() => Promise.reject(new Error('close failed')), {
      timeoutMs: 1000,
      logger,
      exit,
      signals: ['SIGUSR2'],
    }));

    process.emit('SIGUSR2', 'SIGUSR2');
    await vi.advanceTimersByTimeAsync(0);

    expect(exit).toHaveBeenCalledWith(1);
  });

  it('forces exit 1 on a second signal during shutdown', async () => {
    const exit = vi.fn();
    const shutdown = vi.fn(() => new Promise<void>(() => {}));
    ({ dispose } = handleShutdownSignals(shutdown, { timeoutMs: 1000, logger, exit, signals: ['SIGUSR2'] }));

    process.emit('SIGUSR2', 'SIGUSR2');
    process.emit('SIGUSR2', 'SIGUSR2');

    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('exits with the given code when triggered after a permanent fault', async () => {
    const exit = vi.fn();
    const handle = handleShutdownSignals(async () => {}, {
      timeoutMs: 1000,
      logger,
      exit,
      signals: ['SIGUSR2'],
    });
    dispose = handle.dispose;

    await handle.trigger('permanent fault', 1);

    expect(exit).toHaveBeenCalledWith(1);
  });

  it('runs the same shutdown when triggered from code', async () => {
    const exit = vi.fn();
    const shutdown = vi.fn(async () => {});
    const handle = handleShutdownSignals(shutdown, { timeoutMs: 1000, logger, exit, signals: ['SIGUSR2'] });
    dispose = handle.dispose;

    expect(handle.shuttingDown()).toBe(false);
    await Promise.all([handle.trigger('--once'), handle.trigger('again')]);

    expect(handle.shuttingDown()).toBe(true);
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(shutdown).toHaveBeenCalledWith('--once');
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('exits 1 when a fault is reported while a clean shutdown is already running', async () => {
    const exit = vi.fn();
    const shutdown = vi.fn(async () => {});
    const handle = handleShutdownSignals(shutdown, { timeoutMs: 1000, logger, exit, signals: ['SIGUSR2'] });
    dispose = handle.dispose;

    await Promise.all([handle.trigger('SIGTERM'), handle.trigger('unhandled rejection', 1)]);

    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('exits with the configured forced code when the shutdown rejects with a non-Error, logging it as text', async () => {
    const exit = vi.fn();
    const error = vi.fn();
    const handle = handleShutdownSignals(() => Promise.reject('socket closed'), {
      timeoutMs: 1000,
      logger: { ...logger, error },
      exit,
      signals: [],
      forcedExitCode: 70,
    });
    dispose = handle.dispose;

    await handle.trigger('test');

    expect(error).toHaveBeenCalledWith('shutdown failed', { error: 'socket closed' });
    expect(exit).toHaveBeenCalledWith(70);
  });

  it('listens to SIGTERM and SIGINT by default, and stops listening when disposed', () => {
    const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };

    const handle = handleShutdownSignals(async () => {}, { timeoutMs: 1000, logger });
    const during = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };
    handle.dispose();

    expect(during).toEqual({ term: before.term + 1, int: before.int + 1 });
    expect({ term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') }).toEqual(before);
    expect(handle.shuttingDown()).toBe(false);
  });
});
