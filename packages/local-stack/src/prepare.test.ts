import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPrerequisites, MAVEN_DIR, prepareJavaServers } from './maven.js';

// Fake `java` and `mvn` executables on a PATH of their own stand in for missing or broken tools.
describe('prepareJavaServers with fake tools', () => {
  let root: string;
  let bin: string;
  let mavenDir: string;
  const saved = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME };

  /** A fake `mvn` that answers `mvn -v` and runs `script` for the resolve. */
  function maven(script: string): void {
    tool('mvn', `if [ "$1" = "-v" ]; then echo "Apache Maven 3.9.9"; exit 0; fi\n${script}`);
  }

  function tool(name: string, script: string): void {
    const file = join(bin, name);
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'prepare-test-'));
    bin = join(root, 'bin');
    mkdirSync(bin);
    mavenDir = join(root, 'maven');
    cpSync(MAVEN_DIR, mavenDir, { recursive: true, filter: (src) => !src.endsWith('classpath.txt') });
    process.env.PATH = bin;
    delete process.env.JAVA_HOME;
    tool('java', 'echo \'openjdk version "17.0.15" 2025-04-15\' >&2');
  });

  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.JAVA_HOME === undefined) delete process.env.JAVA_HOME;
    else process.env.JAVA_HOME = saved.JAVA_HOME;
    rmSync(root, { recursive: true, force: true });
  });

  it('says Java 17+ is needed when java is missing', () => {
    rmSync(join(bin, 'java'));

    expect(() => checkPrerequisites(false)).toThrow(
      expect.objectContaining({ code: 'PREREQUISITE_MISSING', message: expect.stringMatching(/Java 17\+/) }),
    );
  });

  it('refuses a Java older than 17', () => {
    tool('java', 'echo \'openjdk version "11.0.2" 2019-01-15\' >&2');

    expect(() => checkPrerequisites(false)).toThrow(/found Java 11/);
  });

  it('says Maven is needed when mvn is missing and the class paths are not resolved yet', async () => {
    await expect(prepareJavaServers({ mavenDir })).rejects.toMatchObject({
      code: 'PREREQUISITE_MISSING',
      message: expect.stringMatching(/Maven 3\.8\+/),
    });
  });

  it('quotes Maven output when the resolve fails', async () => {
    maven('echo "[ERROR] Could not resolve dependencies for project x"; exit 1');

    await expect(prepareJavaServers({ mavenDir })).rejects.toMatchObject({
      code: 'MAVEN_RESOLVE_FAILED',
      retryable: true,
      message: expect.stringContaining('Could not resolve dependencies'),
    });
  });

  it('returns the class paths Maven wrote, reports progress, and skips Maven the next time', async () => {
    const jar = join(root, 'server.jar');
    writeFileSync(jar, '');
    maven(
      [
        'echo "[INFO] Building local-stack-kafka 1.0.0"',
        'echo "[INFO] Downloaded from central: https://example.invalid/a.jar"',
        `printf %s "${jar}" > "${join(mavenDir, 'kafka', 'classpath.txt')}"`,
        `printf %s "${jar}" > "${join(mavenDir, 's3proxy', 'classpath.txt')}"`,
        'echo "[INFO] BUILD SUCCESS"',
      ].join('\n'),
    );
    const progress: string[] = [];

    const first = await prepareJavaServers({ mavenDir, onProgress: (m) => progress.push(m) });
    rmSync(join(bin, 'mvn'));
    const second = await prepareJavaServers({ mavenDir });

    expect(first).toEqual({ kafka: jar, s3proxy: jar });
    expect(second).toEqual(first);
    expect(progress).toContain('maven: Building local-stack-kafka 1.0.0');
    expect(progress).toContain('maven: BUILD SUCCESS');
    expect(existsSync(join(mavenDir, 'kafka', 'classpath.txt'))).toBe(true);
  });
});
