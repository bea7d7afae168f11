import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStackError } from './errors.js';

/** The Java servers resolved by Maven, each with a module folder under `maven/`. */
export type JavaServer = 'kafka' | 's3proxy';

/** Folder holding the aggregator `pom.xml` (same relative place from `src/` and `dist/`). */
export const MAVEN_DIR: string = fileURLToPath(new URL('../maven/', import.meta.url));

/** The `java` executable: `$JAVA_HOME/bin/java` when set, else `java` from PATH. */
export function javaCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Parses the major version out of `java -version` output (`"17.0.15"`, `"1.8.0_402"`). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/**
 * Checks that Java 17+ (and, when `needMaven`, Maven) can be run.
 * @throws {LocalStackError} code `PREREQUISITE_MISSING` with what to install.
 */
export function checkPrerequisites(needMaven: boolean): void {
  const java = spawnSync(javaCommand(), ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) {
    throw new LocalStackError(
      'PREREQUISITE_MISSING',
      `local-stack needs Java 17+ to run the Kafka broker and S3Proxy, but \`${javaCommand()}\` could not be run (${java.error?.message ?? `exit ${java.status}`}). Install a JDK 17+ and put it on PATH or set JAVA_HOME.`,
      { cause: java.error },
    );
  }
  const major = parseJavaMajor(`${java.stderr}${java.stdout}`);
  if (major !== undefined && major < 17) {
    throw new LocalStackError(
      'PREREQUISITE_MISSING',
      `local-stack needs Java 17+, found Java ${major}. Install a JDK 17+ and put it on PATH or set JAVA_HOME.`,
    );
  }
  if (needMaven) {
    const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
    if (mvn.error || mvn.status !== 0) {
      throw new LocalStackError(
        'PREREQUISITE_MISSING',
        `local-stack needs Maven 3.8+ to resolve the Kafka broker and S3Proxy into the local Maven cache, but \`mvn\` could not be run (${mvn.error?.message ?? `exit ${mvn.status}`}). Install Maven and put it on PATH.`,
        { cause: mvn.error },
      );
    }
  }
}

function classpathFile(server: JavaServer, mavenDir: string): string {
  return join(mavenDir, server, 'classpath.txt');
}

/**
 * Reads a resolved class path, or `undefined` when it is missing, older than its pom, or names a
 * jar that is no longer in the Maven cache.
 */
export function readClasspath(server: JavaServer, mavenDir: string = MAVEN_DIR): string | undefined {
  const file = classpathFile(server, mavenDir);
  if (!existsSync(file)) return undefined;
  const pomTime = Math.max(
    statSync(join(mavenDir, 'pom.xml')).mtimeMs,
    statSync(join(mavenDir, server, 'pom.xml')).mtimeMs,
  );
  if (statSync(file).mtimeMs < pomTime) return undefined;
  const classpath = readFileSync(file, 'utf8').trim();
  const jars = classpath.split(delimiter).filter(Boolean);
  if (jars.length === 0 || !jars.every((jar) => existsSync(jar))) return undefined;
  return classpath;
}

/** Options of {@link prepareJavaServers}. */
export interface PrepareOptions {
  /** Folder of the aggregator pom. @default MAVEN_DIR */
  mavenDir?: string;
  /** Re-run Maven even when the class paths are current. @default false */
  force?: boolean;
  /** Progress lines (Maven's own output is passed through line by line). */
  onProgress?: (message: string) => void;
}

/**
 * Resolves the Kafka broker and S3Proxy artifacts into the local Maven cache (first run: a few
 * minutes of downloads) and returns their class paths. A no-op when they are current.
 * @throws {LocalStackError} `PREREQUISITE_MISSING` (no Java 17+/Maven) or `MAVEN_RESOLVE_FAILED`.
 * @example
 * ```ts
 * // e.g. in a CI step before the tests, so that the first test does not wait for downloads
 * await prepareJavaServers({ onProgress: (line) => process.stderr.write(`${line}\n`) });
 * ```
 */
export async function prepareJavaServers(options: PrepareOptions = {}): Promise<Record<JavaServer, string>> {
  const mavenDir = options.mavenDir ?? MAVEN_DIR;
  const progress = options.onProgress ?? (() => {});
  const current = (): Partial<Record<JavaServer, string>> => ({
    kafka: readClasspath('kafka', mavenDir),
    s3proxy: readClasspath('s3proxy', mavenDir),
  });
  let paths = current();
  if (options.force || !paths.kafka || !paths.s3proxy) {
    checkPrerequisites(true);
    progress('resolving the Kafka broker and S3Proxy with Maven (the first run downloads ~100 MB)…');
    const output: string[] = [];
    const started = Date.now();
    let downloads = 0;
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('mvn', ['-B', '-f', join(mavenDir, 'pom.xml'), 'dependency:build-classpath'], {
        cwd: mavenDir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Progress without flooding: every 25th download, module headers, the result, errors,
      // and a heartbeat while Maven is quiet (a slow download).
      const heartbeat = setInterval(() => {
        const elapsed = Math.round((Date.now() - started) / 1000);
        progress(`maven: still resolving (${downloads} files downloaded, ${elapsed} s)`);
      }, 15_000);
      const onData = (chunk: Buffer): void => {
        for (const raw of chunk.toString('utf8').split('\n')) {
          const line = raw.replace(/^\[\w+\]\s*/, '').trimEnd();
          if (!line) continue;
          output.push(line);
          if (output.length > 200) output.shift();
          if (line.startsWith('Downloaded from')) {
            downloads += 1;
            if (downloads % 25 === 0) progress(`maven: ${downloads} files downloaded…`);
          } else if (/^Building |^BUILD |ERROR/.test(line)) {
            progress(`maven: ${line}`);
          }
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (error) => {
        clearInterval(heartbeat);
        reject(error);
      });
      child.once('close', (exitCode) => {
        clearInterval(heartbeat);
        resolve(exitCode);
      });
    }).catch((error: unknown) => {
      throw new LocalStackError('MAVEN_RESOLVE_FAILED', `could not run mvn: ${String(error)}`, {
        cause: error,
      });
    });
    paths = current();
    if (code !== 0 || !paths.kafka || !paths.s3proxy) {
      throw new LocalStackError(
        'MAVEN_RESOLVE_FAILED',
        `Maven could not resolve the local-stack servers (exit ${code}); last output:\n${output.slice(-30).join('\n')}`,
        { retryable: true },
      );
    }
  }
  return { kafka: paths.kafka as string, s3proxy: paths.s3proxy as string };
}
