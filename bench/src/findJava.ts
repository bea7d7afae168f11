import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Java runtime the JVM references (Kafka Streams, Flink) run on. */
export interface JavaRuntime {
  /** Path of the `java` launcher (or plain `java`, found on PATH). */
  bin: string;
  /** The JDK's home directory, when known. */
  home?: string;
  /** How it was chosen. */
  source: 'BENCH_JAVA_HOME' | 'JVM directory' | 'JAVA_HOME' | 'PATH';
  /** `java -version` in one line, e.g. `openjdk version "25.0.3" 2026-04-21 LTS (Temurin-25.0.3+9)`. */
  version: string;
  /** Feature release (25 for 25.0.3), 0 when unknown. */
  feature: number;
}

/** The JVM directory searched for the newest JDK. */
export const DEFAULT_JVM_ROOT = '/usr/lib/jvm';

/** Feature release of a JDK from `JAVA_VERSION` in its `release` file (`"1.8.0_392"` is 8). */
export function featureOf(javaVersion: string): number {
  const parts = javaVersion.split(/[.+_-]/).map(Number);
  const first = parts[0] ?? Number.NaN;
  const feature = first === 1 ? (parts[1] ?? Number.NaN) : first;
  return Number.isInteger(feature) && feature > 0 ? feature : 0;
}

/** `JAVA_VERSION` of a JDK home (from its `release` file), or undefined when it is no JDK with a launcher. */
function jdkVersion(home: string): string | undefined {
  const release = join(home, 'release');
  if (!existsSync(join(home, 'bin', 'java')) || !existsSync(release)) return undefined;
  return /^JAVA_VERSION="([^"]+)"/m.exec(readFileSync(release, 'utf8'))?.[1];
}

/** Compares dotted versions numerically (`25.0.3` > `25.0.10` is false). */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+_-]/).map((s) => Number(s) || 0);
  const pb = b.split(/[.+_-]/).map((s) => Number(s) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The newest JDK under `root`: each entry with `bin/java` and a `release` file is a candidate,
 * ordered by its `JAVA_VERSION` (symbolic links to the same JDK count once).
 */
export function newestJdk(root: string): { home: string; javaVersion: string } | undefined {
  if (!existsSync(root)) return undefined;
  let best: { home: string; javaVersion: string } | undefined;
  for (const name of readdirSync(root).sort()) {
    const home = join(root, name);
    const javaVersion = jdkVersion(home);
    if (javaVersion === undefined) continue;
    if (!best || compareVersions(javaVersion, best.javaVersion) > 0) best = { home, javaVersion };
  }
  return best;
}

/** `java -version` of a launcher in one line (its first line and the runtime's build name). */
export function describeJava(bin: string): string {
  const out = spawnSync(bin, ['-version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) return `unknown (${bin} -version failed)`;
  const lines = out.stderr.split('\n').map((l) => l.trim());
  const build = /\(build ([^,)]+)/.exec(lines[1] ?? '')?.[1];
  return `${lines[0] ?? ''}${build ? ` (build ${build})` : ''}`;
}

/**
 * Picks the Java runtime of the JVM references, newest first: `BENCH_JAVA_HOME` when set (it
 * must be a JDK home with `bin/java`), else the newest JDK under `/usr/lib/jvm` (by the
 * `JAVA_VERSION` of each JDK's `release` file), else `JAVA_HOME`, else `java` on PATH.
 *
 * @param env - environment to read `BENCH_JAVA_HOME` and `JAVA_HOME` from
 * @param jvmRoot - directory searched for JDKs @default '/usr/lib/jvm'
 * @throws Error when `BENCH_JAVA_HOME` is set but holds no `bin/java`
 */
export function findJava(env: NodeJS.ProcessEnv = process.env, jvmRoot = DEFAULT_JVM_ROOT): JavaRuntime {
  const pick = (home: string | undefined, bin: string, source: JavaRuntime['source']): JavaRuntime => {
    const version = describeJava(bin);
    const quoted = /version "([^"]+)"/.exec(version)?.[1] ?? '';
    return { bin, ...(home ? { home } : {}), source, version, feature: featureOf(quoted) };
  };
  const forced = env['BENCH_JAVA_HOME'];
  if (forced) {
    const bin = join(forced, 'bin', 'java');
    if (!existsSync(bin)) throw new Error(`bench: BENCH_JAVA_HOME=${forced} has no bin/java`);
    return pick(forced, bin, 'BENCH_JAVA_HOME');
  }
  const newest = newestJdk(jvmRoot);
  if (newest) return pick(newest.home, join(newest.home, 'bin', 'java'), 'JVM directory');
  const javaHome = env['JAVA_HOME'];
  if (javaHome && existsSync(join(javaHome, 'bin', 'java')))
    return pick(javaHome, join(javaHome, 'bin', 'java'), 'JAVA_HOME');
  return pick(undefined, 'java', 'PATH');
}
