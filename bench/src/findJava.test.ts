import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeJava, featureOf, findJava, newestJdk } from './findJava.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'find-java-'));
  dirs.push(dir);
  return dir;
}

/** A fake JDK home: a `release` file and a `bin/java` script that prints a `-version` banner. */
function fakeJdk(root: string, name: string, javaVersion: string | undefined): string {
  const home = join(root, name);
  mkdirSync(join(home, 'bin'), { recursive: true });
  if (javaVersion !== undefined) writeFileSync(join(home, 'release'), `JAVA_VERSION="${javaVersion}"\n`);
  const bin = join(home, 'bin', 'java');
  writeFileSync(
    bin,
    `#!/bin/sh\necho 'openjdk version "${javaVersion}" 2026-04-21 LTS' >&2\necho 'OpenJDK Runtime Environment Fake (build ${javaVersion}+1-LTS)' >&2\n`,
  );
  chmodSync(bin, 0o755);
  return home;
}

describe('featureOf', () => {
  it('reads the feature release, old 1.x numbering included', () => {
    expect(featureOf('25.0.3')).toBe(25);
    expect(featureOf('17')).toBe(17);
    expect(featureOf('1.8.0_392')).toBe(8);
    expect(featureOf('')).toBe(0);
    expect(featureOf('abc')).toBe(0);
  });
});

describe('newestJdk', () => {
  it('picks the highest JAVA_VERSION and ignores entries that are no JDK', () => {
    const root = tempDir();
    fakeJdk(root, 'java-17-openjdk-amd64', '17.0.15');
    const newest = fakeJdk(root, 'temurin-25-jdk-amd64', '25.0.3');
    fakeJdk(root, 'temurin-25-old', '25.0.1');
    fakeJdk(root, 'broken', undefined);
    mkdirSync(join(root, 'openjdk-17'));
    symlinkSync(join(root, 'java-17-openjdk-amd64'), join(root, 'java-1.17.0-openjdk-amd64'));
    expect(newestJdk(root)).toEqual({ home: newest, javaVersion: '25.0.3' });
  });

  it('compares versions by number, not as text', () => {
    const root = tempDir();
    const newest = fakeJdk(root, 'a', '25.0.10');
    fakeJdk(root, 'b', '25.0.9');
    expect(newestJdk(root)?.home).toBe(newest);
  });

  it('returns undefined for a missing or empty directory', () => {
    expect(newestJdk(join(tempDir(), 'missing'))).toBeUndefined();
    expect(newestJdk(tempDir())).toBeUndefined();
  });
});

describe('describeJava', () => {
  it('puts the version line and the build in one line', () => {
    const home = fakeJdk(tempDir(), 'jdk', '25.0.3');
    expect(describeJava(join(home, 'bin', 'java'))).toBe(
      'openjdk version "25.0.3" 2026-04-21 LTS (build 25.0.3+1-LTS)',
    );
  });

  it('says unknown when the launcher does not run', () => {
    expect(describeJava(join(tempDir(), 'no-java'))).toMatch(/^unknown/);
  });
});

describe('findJava', () => {
  it('prefers BENCH_JAVA_HOME over the newest JDK of the JVM directory', () => {
    const root = tempDir();
    fakeJdk(root, 'jdk25', '25.0.3');
    const forced = fakeJdk(tempDir(), 'jdk21', '21.0.5');
    const java = findJava({ BENCH_JAVA_HOME: forced }, root);
    expect(java).toMatchObject({ home: forced, source: 'BENCH_JAVA_HOME', feature: 21 });
    expect(java.bin).toBe(join(forced, 'bin', 'java'));
  });

  it('fails clearly when BENCH_JAVA_HOME has no bin/java', () => {
    const empty = tempDir();
    expect(() => findJava({ BENCH_JAVA_HOME: empty }, tempDir())).toThrow(/BENCH_JAVA_HOME=.*no bin\/java/);
  });

  it('takes the newest JDK of the JVM directory over JAVA_HOME', () => {
    const root = tempDir();
    const newest = fakeJdk(root, 'jdk25', '25.0.3');
    const javaHome = fakeJdk(tempDir(), 'jdk17', '17.0.15');
    expect(findJava({ JAVA_HOME: javaHome }, root)).toMatchObject({
      home: newest,
      source: 'JVM directory',
      feature: 25,
      version: 'openjdk version "25.0.3" 2026-04-21 LTS (build 25.0.3+1-LTS)',
    });
  });

  it('falls back to JAVA_HOME, then to java on PATH', () => {
    const javaHome = fakeJdk(tempDir(), 'jdk17', '17.0.15');
    const noJdks = join(tempDir(), 'missing');
    expect(findJava({ JAVA_HOME: javaHome }, noJdks)).toMatchObject({
      home: javaHome,
      source: 'JAVA_HOME',
      feature: 17,
    });
    const onPath = findJava({ JAVA_HOME: join(tempDir(), 'nothing') }, noJdks);
    expect(onPath.bin).toBe('java');
    expect(onPath.source).toBe('PATH');
    expect(onPath.home).toBeUndefined();
  });
});
