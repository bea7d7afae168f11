import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JavaRuntime } from './findJava.js';
import { JVM_MODULE_FLAGS, runJvmReference } from './runJvmReference.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A stand-in `java` launcher (a shell script): it records its arguments, prints `lines` one by
 * one, then waits to be stopped, recording that it got SIGTERM.
 */
function fakeJava(lines: readonly string[], exitCode?: number): { java: JavaRuntime; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'jvm-reference-'));
  dirs.push(dir);
  const bin = join(dir, 'java');
  const body = [
    '#!/bin/sh',
    `printf '%s\\n' "$@" > '${join(dir, 'args')}'`,
    `trap 'echo stopped > "${join(dir, 'signal')}"; exit 143' TERM`,
    ...lines.map((l) => `echo '${l}'`),
    exitCode === undefined ? 'while true; do sleep 0.05; done' : `exit ${exitCode}`,
  ].join('\n');
  writeFileSync(bin, `${body}\n`);
  chmodSync(bin, 0o755);
  return { java: { bin, source: 'PATH', version: 'fake', feature: 0 }, dir };
}

describe('runJvmReference', () => {
  it('passes heap, module flags, extra flags, classpath, main class and arguments in order', async () => {
    const { java, dir } = fakeJava(['{"state":"RUNNING"}', '{"state":"FINISHED"}']);
    await runJvmReference({
      java,
      classpath: '/a.jar:/b.jar',
      mainClass: 'marketplace.bench.Main',
      args: ['x', 'y'],
      heap: '512m',
      jvmFlags: ['-Dfoo=bar'],
      isRunning: (line) => line.includes('RUNNING'),
      done: async ({ nextLine }) => {
        await nextLine((line) => line.includes('FINISHED'));
      },
    });
    const args = readFileSync(join(dir, 'args'), 'utf8').trim().split('\n');
    expect(args[0]).toBe('-Xmx512m');
    expect(args.slice(2, 2 + JVM_MODULE_FLAGS.length)).toEqual(JVM_MODULE_FLAGS);
    expect(args.slice(2 + JVM_MODULE_FLAGS.length)).toEqual([
      '-Dfoo=bar',
      '-cp',
      '/a.jar:/b.jar',
      'marketplace.bench.Main',
      'x',
      'y',
    ]);
  });

  it('times start-up and work apart, and stops the process when the work is done', async () => {
    const { java, dir } = fakeJava(['starting', '{"state":"RUNNING"}', '{"state":"FINISHED"}']);
    const run = await runJvmReference({
      java,
      classpath: '',
      mainClass: 'Main',
      args: [],
      isRunning: (line) => line.includes('"RUNNING"'),
      done: async ({ nextLine }) => {
        expect(await nextLine((line) => line.includes('FINISHED'))).toBe('{"state":"FINISHED"}');
      },
    });
    expect(run.startupMs).toBeGreaterThan(0);
    expect(run.runMs).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(dir, 'signal'), 'utf8').trim()).toBe('stopped');
  });

  it('rejects with the error of done (here: the process exited first)', async () => {
    const { java } = fakeJava(['{"state":"RUNNING"}'], 3);
    await expect(
      runJvmReference({
        java,
        classpath: '',
        mainClass: 'Main',
        args: [],
        isRunning: () => false,
        done: async ({ exited }) => {
          throw new Error(`exited with ${await exited}`);
        },
      }),
    ).rejects.toThrow('exited with 3');
  });

  it('counts the whole time as work when no line says running', async () => {
    const { java } = fakeJava(['{"state":"FINISHED"}']);
    const run = await runJvmReference({
      java,
      classpath: '',
      mainClass: 'Main',
      args: [],
      isRunning: () => false,
      done: async ({ nextLine }) => {
        await nextLine((line) => line.includes('FINISHED'));
      },
    });
    expect(run.startupMs).toBe(0);
    expect(run.runMs).toBeGreaterThan(0);
  });
});
