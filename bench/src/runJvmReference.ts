import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { JavaRuntime } from './findJava.js';

/**
 * Flags Flink needs on Java 17 and newer (reflection into the JDK, as its distribution's
 * `env.java.opts.all` sets them); harmless for Kafka Streams.
 */
export const JVM_MODULE_FLAGS: readonly string[] = Object.freeze([
  '--add-exports=java.base/sun.net.util=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.net=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=java.base/java.text=ALL-UNNAMED',
  '--add-opens=java.base/java.time=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED',
]);

/** What {@link runJvmReference} measured (milliseconds from `performance.now()`). */
export interface JvmRun {
  /** Process start to the `running` line (JVM start, classes, job or topology set-up). */
  startupMs: number;
  /** The `running` line to `done` (the work, excluding start-up). */
  runMs: number;
}

/** Options of {@link runJvmReference}. */
export interface JvmReferenceOptions {
  java: JavaRuntime;
  classpath: string;
  mainClass: string;
  args: readonly string[];
  /** Maximum heap. @default '1g' */
  heap?: string;
  /** More JVM flags (system properties), before the main class. @default [] */
  jvmFlags?: readonly string[];
  /** True for the stdout line that says the reference started working. */
  isRunning: (line: string) => boolean;
  /** Resolves when the work is done (e.g. the group committed the input's end offsets), or rejects. */
  done: (reference: RunningReference) => Promise<void>;
}

/** What {@link JvmReferenceOptions.done} can watch. */
export interface RunningReference {
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  /** Resolves with the first stdout line (from now on) that `matches` accepts. */
  nextLine: (matches: (line: string) => boolean) => Promise<string>;
}

/**
 * Starts a JVM reference, times its start-up (to the line `isRunning` recognises) and its work
 * (to `done`), then stops it (SIGTERM, awaited). The last 20 kB of its output go to stderr when
 * it fails.
 */
export async function runJvmReference(options: JvmReferenceOptions): Promise<JvmRun> {
  const started = performance.now();
  const child = spawn(
    options.java.bin,
    [
      `-Xmx${options.heap ?? '1g'}`,
      // Warnings and errors only: INFO logging would cost the reference time (and it has no reader).
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      ...JVM_MODULE_FLAGS,
      ...(options.jvmFlags ?? []),
      '-cp',
      options.classpath,
      options.mainClass,
      ...options.args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = 0;
  let log = '';
  let partial = '';
  const waiting = new Set<{ matches: (line: string) => boolean; resolve: (line: string) => void }>();
  const nextLine = (matches: (line: string) => boolean): Promise<string> =>
    new Promise((resolve) => waiting.add({ matches, resolve }));
  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    log = (log + text).slice(-20_000);
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (running === 0 && options.isRunning(line)) running = performance.now();
      for (const w of waiting) {
        if (w.matches(line)) {
          waiting.delete(w);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  });
  let ended = 0;
  try {
    await options.done({ exited, nextLine });
    ended = performance.now();
  } catch (error) {
    process.stderr.write(log);
    throw error;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
  const at = running || started;
  return { startupMs: at - started, runMs: ended - at };
}
