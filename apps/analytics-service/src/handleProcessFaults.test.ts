import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { handleProcessFaults } from './handleProcessFaults.js';

describe('handleProcessFaults', () => {
  it('logs an uncaught exception, then starts the shutdown', () => {
    const target = new EventEmitter();
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const stop = vi.fn();
    const error = new TypeError('Invalid URL');
    handleProcessFaults({ logger, stop, target });

    target.emit('uncaughtException', error, 'uncaughtException');

    expect(logger.error).toHaveBeenCalledWith('uncaught exception: stopping', {
      error,
      origin: 'uncaughtException',
    });
    expect(stop).toHaveBeenCalledWith('uncaught exception');
    expect(logger.error.mock.invocationCallOrder[0]).toBeLessThan(stop.mock.invocationCallOrder[0] ?? 0);
  });

  it('logs an unhandled rejection, then starts the shutdown', () => {
    const target = new EventEmitter();
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const stop = vi.fn();
    handleProcessFaults({ logger, stop, target });

    target.emit('unhandledRejection', 'reason', Promise.resolve());

    expect(logger.error).toHaveBeenCalledWith('unhandled promise rejection: stopping', { error: 'reason' });
    expect(stop).toHaveBeenCalledWith('unhandled rejection');
  });

  it('removes its handlers when disposed', () => {
    const target = new EventEmitter();
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const dispose = handleProcessFaults({ logger, stop: vi.fn(), target });

    dispose();

    expect(target.listenerCount('uncaughtException')).toBe(0);
    expect(target.listenerCount('unhandledRejection')).toBe(0);
  });

  it('installs on the process by default', () => {
    const before = process.listenerCount('unhandledRejection');
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const dispose = handleProcessFaults({ logger, stop: vi.fn() });
    const during = process.listenerCount('unhandledRejection');
    dispose();

    expect(during).toBe(before + 1);
    expect(process.listenerCount('unhandledRejection')).toBe(before);
  });
});
