import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { javaCommand, MAVEN_DIR, parseJavaMajor, readClasspath } from './maven.js';

describe('parseJavaMajor', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_402"', 8],
    ['no version here', undefined],
  ])('reads %j as %s', (output, major) => {
    expect(parseJavaMajor(output)).toBe(major);
  });
});

describe('javaCommand', () => {
  it('prefers JAVA_HOME and falls back to java on PATH', () => {
    expect(javaCommand({ JAVA_HOME: '/opt/jdk' })).toBe(join('/opt/jdk', 'bin', 'java'));
    expect(javaCommand({})).toBe('java');
  });
});

describe('readClasspath', () => {
  let dir: string;
  let jar: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maven-test-'));
    mkdirSync(join(dir, 'kafka'));
    writeFileSync(join(dir, 'pom.xml'), '<project/>');
    writeFileSync(join(dir, 'kafka', 'pom.xml'), '<project/>');
    jar = join(dir, 'a.jar');
    writeFileSync(jar, '');
    const old = new Date(Date.now() - 60_000);
    for (const pom of [join(dir, 'pom.xml'), join(dir, 'kafka', 'pom.xml')]) utimesSync(pom, old, old);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns a class path written after the poms whose jars all exist', () => {
    writeFileSync(join(dir, 'kafka', 'classpath.txt'), `${jar}\n`);

    expect(readClasspath('kafka', dir)).toBe(jar);
  });

  it('asks for a new resolve when the class path is missing', () => {
    expect(readClasspath('kafka', dir)).toBeUndefined();
  });

  it('asks for a new resolve when a jar left the Maven cache', () => {
    writeFileSync(join(dir, 'kafka', 'classpath.txt'), `${jar}:${join(dir, 'gone.jar')}`);

    expect(readClasspath('kafka', dir)).toBeUndefined();
  });

  it('asks for a new resolve when the pom changed after the class path was written', () => {
    writeFileSync(join(dir, 'kafka', 'classpath.txt'), jar);
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'kafka', 'pom.xml'), later, later);

    expect(readClasspath('kafka', dir)).toBeUndefined();
  });

  it('finds the committed poms next to the sources', () => {
    expect(MAVEN_DIR.replaceAll('\\', '/')).toMatch(/packages\/local-stack\/maven\/$/);
  });
});
