import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive, removeOnExit, runToCompletion, spawnServer, stopPid } from './processes.js';
import { httpAnswers, startFailed, tailLog, waitUntilReady } from './readiness.js';

const node = process.execPath;
const sleeper = ['-e', 'console.log("up"); setInterval(() => {}, 1000)'];
const stubborn = [
  '-e',
  'process.on("SIGTERM", () => console.log("ignoring")); console.log("up"); setInterval(() => {}, 1000)',
];

describe('server processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'proc-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the output to the log file and stops the process (twice is fine)', async () => {
    const logFile = join(dir, 'a.log');
    const proc = spawnServer({
      component: 'dynamodb',
      command: node,
      args: sleeper,
      cwd: dir,
      logFile,
      detached: false,
    });
    await waitUntilReady(proc, async () => readFileSync(logFile, 'utf8').includes('up'), 10_000, 20);

    await Promise.all([proc.stop(), proc.stop()]);
    await proc.stop();

    expect(proc.hasExited()).toBe(true);
    expect(isAlive(proc.pid)).toBe(false);
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const logFile = join(dir, 'b.log');
    const proc = spawnServer({
      component: 's3',
      command: node,
      args: stubborn,
      cwd: dir,
      logFile,
      detached: false,
    });
    await waitUntilReady(proc, async () => readFileSync(logFile, 'utf8').includes('up'), 10_000, 20);

    await proc.stop(200);

    expect((await proc.exited).signal).toBe('SIGKILL');
  });

  it('stops a released detached process by PID, as `down` does', async () => {
    const logFile = join(dir, 'c.log');
    const proc = spawnServer({
      component: 'kafka',
      command: node,
      args: stubborn,
      cwd: dir,
      logFile,
      detached: true,
    });
    await waitUntilReady(proc, async () => readFileSync(logFile, 'utf8').includes('up'), 10_000, 20);
    proc.release();

    await stopPid(proc.pid, 200);

    expect(isAlive(proc.pid)).toBe(false);
    await stopPid(proc.pid, 200);
  });

  it('reports the exit code of a short command', async () => {
    const result = await runToCompletion(
      {
        component: 'kafka',
        command: node,
        args: ['-e', 'process.exit(3)'],
        cwd: dir,
        logFile: join(dir, 'd.log'),
      },
      10_000,
    );

    expect(result.code).toBe(3);
  });

  it('fails start-up with the component and log file when the process exits early', async () => {
    const logFile = join(dir, 'e.log');
    const proc = spawnServer({
      component: 'kafka',
      command: node,
      args: ['-e', 'console.error("java.net.BindException: Address already in use"); process.exit(1)'],
      cwd: dir,
      logFile,
      detached: false,
    });

    const failure = waitUntilReady(proc, async () => false, 10_000, 20);

    await expect(failure).rejects.toMatchObject({
      code: 'START_FAILED',
      component: 'kafka',
      logFile,
      retryable: true,
    });
    await expect(failure).rejects.toThrow(/Address already in use/);
  });

  it('times out with START_TIMEOUT when the server never becomes ready', async () => {
    const logFile = join(dir, 'f.log');
    const proc = spawnServer({
      component: 's3',
      command: node,
      args: sleeper,
      cwd: dir,
      logFile,
      detached: false,
    });

    await expect(
      waitUntilReady(
        proc,
        async () => {
          throw new Error('connection refused');
        },
        300,
        20,
      ),
    ).rejects.toMatchObject({ code: 'START_TIMEOUT', component: 's3', logFile });
    await proc.stop();
  });

  it('fails when the command does not exist', async () => {
    const logFile = join(dir, 'g.log');
    const proc = spawnServer({
      component: 's3',
      command: join(dir, 'no-such-java'),
      args: [],
      cwd: dir,
      logFile,
      detached: false,
    });

    await expect(waitUntilReady(proc, async () => false, 5_000, 20)).rejects.toMatchObject({
      code: 'START_FAILED',
    });
  });

  it('reports a detached server whose command does not exist as exited', async () => {
    const proc = spawnServer({
      component: 'dynamodb',
      command: join(dir, 'no-such-node'),
      args: [],
      cwd: dir,
      logFile: join(dir, 'h.log'),
      detached: true,
    });

    expect(await proc.exited).toEqual({ code: null, signal: null });
    expect(proc.hasExited()).toBe(true);
    await proc.stop();
  });

  it('on SIGHUP kills the attached servers and removes the registered folders, leaving the exit to the other handler', async () => {
    // Another handler (as the app installs one) decides about the exit: with it, this test process
    // survives the signal, which is what lets the hooks run here.
    const otherHandler = (): void => {};
    process.on('SIGHUP', otherHandler);
    try {
      const folder = mkdtempSync(join(tmpdir(), 'proc-hook-'));
      removeOnExit(folder);
      const logFile = join(dir, 'i.log');
      const proc = spawnServer({
        component: 's3',
        command: node,
        args: sleeper,
        cwd: dir,
        logFile,
        detached: false,
      });
      await waitUntilReady(proc, async () => readFileSync(logFile, 'utf8').includes('up'), 10_000, 20);

      process.emit('SIGHUP', 'SIGHUP');

      expect((await proc.exited).signal).toBe('SIGKILL');
      expect(existsSync(folder)).toBe(false);
    } finally {
      process.off('SIGHUP', otherHandler);
    }
  });

  it('keeps a folder whose removal was called off', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'proc-keep-'));
    const keep = removeOnExit(folder);
    keep();
    const otherHandler = (): void => {};
    process.on('SIGHUP', otherHandler);
    try {
      process.emit('SIGHUP', 'SIGHUP');

      expect(existsSync(folder)).toBe(true);
    } finally {
      process.off('SIGHUP', otherHandler);
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('readiness helpers', () => {
  it('shows the last lines of a log, or nothing when it cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tail-test-'));
    const error = startFailed('dynamodb', join(dir, 'missing.log'), 'boom');

    expect(tailLog(join(dir, 'missing.log'))).toBe('');
    expect(error.message).toContain('dynamodb failed to start: boom. Log: ');
    expect(error.retryable).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('treats a refused connection as not ready', async () => {
    await expect(httpAnswers('http://127.0.0.1:1/', 500)).rejects.toThrow();
  });
});
