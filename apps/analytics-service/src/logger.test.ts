import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, libraryLogger } from './logger.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

describe('createLogger', () => {
  it('writes human-readable lines in the demo, calling beforeWrite first (to erase the progress line)', async () => {
    const out = capture();
    const calls: string[] = [];
    const logger = createLogger({
      level: 'info',
      pretty: true,
      prettyStream: out.stream,
      beforeWrite: () => calls.push(`before:${out.text().length}`),
    });

    logger.info({ table: 't' }, 'table ready');
    await new Promise((resolve) => setImmediate(resolve));

    expect(out.text()).toContain('INFO');
    expect(out.text()).toContain('table ready');
    expect(out.text()).toContain('table: "t"');
    expect(calls).toEqual(['before:0']);
  });

  it('drops lines below the level', async () => {
    const out = capture();
    const logger = createLogger({ level: 'warn', pretty: true, prettyStream: out.stream });

    logger.info('hidden');
    await new Promise((resolve) => setImmediate(resolve));

    expect(out.text()).toBe('');
  });
});

describe('libraryLogger', () => {
  it('adapts (message, context) calls to pino with a component field', async () => {
    const out = capture();
    const logger = createLogger({ level: 'debug', pretty: true, prettyStream: out.stream });
    const lib = libraryLogger(logger, 'dynamodb-sink');

    lib.debug('d');
    lib.info('i', { rows: 3 });
    lib.warn('w');
    lib.error('e', { code: 'X' });
    await new Promise((resolve) => setImmediate(resolve));

    expect(out.text()).toMatch(/DEBUG.*d\n/);
    expect(out.text()).toMatch(/INFO.*i\n\s+component: "dynamodb-sink"\n\s+rows: 3/);
    expect(out.text()).toMatch(/WARN.*w/);
    expect(out.text()).toMatch(/ERROR.*e\n\s+component: "dynamodb-sink"\n\s+code: "X"/);
  });

  it('logs every level with and without a context, the component always present', async () => {
    const out = capture();
    const logger = createLogger({ level: 'debug', pretty: true, prettyStream: out.stream });
    const lib = libraryLogger(logger, 'aggregate');

    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      lib[level](`${level} alone`);
      lib[level](`${level} with context`, { thread: 1 });
    }
    await new Promise((resolve) => setImmediate(resolve));

    for (const level of ['DEBUG', 'INFO', 'WARN', 'ERROR']) {
      const alone = level.toLowerCase();
      expect(out.text()).toMatch(new RegExp(`${level}.*${alone} alone\\n\\s+component: "aggregate"\\n`));
      expect(out.text()).toMatch(
        new RegExp(`${level}.*${alone} with context\\n\\s+component: "aggregate"\\n\\s+thread: 1`),
      );
    }
  });

  it('logs an Error under `error` with its type and message (pino alone writes {})', async () => {
    const out = capture();
    const logger = createLogger({ level: 'info', pretty: true, prettyStream: out.stream });

    libraryLogger(logger, 'sink').warn('skipping', {
      error: Object.assign(new TypeError('bad record'), { code: 'INVALID_RECORD' }),
    });
    await new Promise((resolve) => setImmediate(resolve));

    expect(out.text()).toContain('bad record');
    expect(out.text()).toContain('TypeError');
    expect(out.text()).toContain('INVALID_RECORD');
  });
});
