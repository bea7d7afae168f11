import { describe, expect, it } from 'vitest';
import { createOptionChecks } from './createOptionChecks.js';
import { SILENT_LOGGER } from './logger.js';

class DemoOptionsError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly value: unknown,
  ) {
    super(`Invalid option "${field}": ${message}`);
  }
}

const check = createOptionChecks((field, message, value) => new DemoOptionsError(field, message, value));

function rejection(fn: () => unknown): DemoOptionsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DemoOptionsError) return error;
    throw error;
  }
  throw new Error('expected a DemoOptionsError');
}

describe('createOptionChecks', () => {
  it('returns valid values unchanged', () => {
    const date = new Date(0);
    const fn = () => 1;
    const client = { send: () => {} };
    expect(check.integer(5, 'n', 1, 10)).toBe(5);
    expect(check.integer(Number.MAX_SAFE_INTEGER, 'n', 0)).toBe(Number.MAX_SAFE_INTEGER);
    expect(check.positive(0.5, 'p')).toBe(0.5);
    expect(check.number(0, 'n', 0)).toBe(0);
    expect(check.number(1.5, 'n', 1, 2)).toBe(1.5);
    expect(check.boolean(false, 'b')).toBe(false);
    expect(check.string('abc', 's', /^[a-z]+$/, 'letters')).toBe('abc');
    expect(check.date(date, 'd')).toBe(date);
    expect(check.func(fn, 'f')).toBe(fn);
    expect(check.methods(client, 'client', ['send'])).toBe(client);
    expect(check.logger(console)).toBe(console);
    expect(check.logger(undefined)).toBe(SILENT_LOGGER);
  });

  it("throws the package's error naming the field, what was expected and what was given", () => {
    expect(rejection(() => check.integer(11, 'batchSize', 1, 10))).toMatchObject({
      field: 'batchSize',
      value: 11,
      message: 'Invalid option "batchSize": expected an integer from 1 to 10, got 11',
    });
    expect(rejection(() => check.integer(1.5, 'n', 0)).message).toContain(
      'expected an integer >= 0, got 1.5',
    );
    expect(rejection(() => check.integer('3', 'n', 0)).message).toContain('got "3"');
    expect(rejection(() => check.positive(0, 'p')).message).toContain('expected a positive number, got 0');
    expect(rejection(() => check.positive(Number.POSITIVE_INFINITY, 'p')).field).toBe('p');
    expect(rejection(() => check.positive('1', 'p')).field).toBe('p');
    expect(rejection(() => check.number(-1, 'minDelayMs', 0)).message).toContain(
      'expected a finite number >= 0, got -1',
    );
    expect(rejection(() => check.number(3, 'factor', 1, 2)).message).toContain(
      'expected a finite number from 1 to 2, got 3',
    );
    expect(rejection(() => check.number(Number.NaN, 'n', 0)).field).toBe('n');
    expect(rejection(() => check.number('1', 'n', 0)).field).toBe('n');
    expect(rejection(() => check.boolean('yes', 'b')).message).toContain('expected a boolean, got "yes"');
    expect(rejection(() => check.string('x'.repeat(100), 's', /^y$/, 'y')).message).toContain(
      `got "${'x'.repeat(64)}..."`,
    );
    expect(rejection(() => check.string(3, 's', /^3$/, 'a three')).message).toContain(
      'expected a three, got 3',
    );
    expect(rejection(() => check.date(new Date(Number.NaN), 'from')).message).toContain(
      'expected a valid Date, got an invalid Date',
    );
    expect(rejection(() => check.date('2026-01-01', 'from')).field).toBe('from');
    expect(rejection(() => check.func(3 as never, 'now')).message).toContain('expected a function, got 3');
    expect(rejection(() => check.methods({ send: 1 }, 'client', ['send'])).message).toContain(
      'expected an object with send(), got an object',
    );
    expect(rejection(() => check.methods(null, 'client', ['send'])).message).toContain('got null');
    expect(rejection(() => check.methods([], 'client', ['send'])).message).toContain('got an array');
    expect(rejection(() => check.methods(() => {}, 'client', ['send'])).message).toContain('got a function');
    expect(rejection(() => check.logger({ debug() {} } as never)).message).toContain(
      'expected a logger with debug(), info(), warn(), error(), got an object',
    );
    expect(rejection(() => check.logger('console' as never, 'log')).field).toBe('log');
  });
});
