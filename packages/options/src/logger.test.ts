import { describe, expect, it } from 'vitest';
import { SILENT_LOGGER } from './logger.js';

describe('SILENT_LOGGER', () => {
  it('accepts every level and cannot be changed', () => {
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      expect(SILENT_LOGGER[level]('message', { field: 1 })).toBeUndefined();
    }
    expect(Object.isFrozen(SILENT_LOGGER)).toBe(true);
  });
});
