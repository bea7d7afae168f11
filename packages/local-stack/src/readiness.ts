import { readFileSync } from 'node:fs';
import { type LocalStackComponent, LocalStackError } from './errors.js';
import type { ManagedProcess } from './processes.js';

/** The last `lines` lines of a log file ('' when unreadable), for error messages. */
export function tailLog(logFile: string, lines = 20): string {
  try {
    const text = readFileSync(logFile, 'utf8');
    return text
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trimEnd();
  } catch {
    return '';
  }
}

/** The error for a server that exited or failed during start-up. */
export function startFailed(
  component: LocalStackComponent,
  logFile: string,
  reason: string,
  cause?: unknown,
) {
  const tail = tailLog(logFile);
  return new LocalStackError(
    'START_FAILED',
    `local-stack: ${component} failed to start: ${reason}. Log: ${logFile}${tail ? `\n--- last lines of ${logFile} ---\n${tail}` : ''}`,
    { component, logFile, cause, retryable: /Address already in use|BindException|EADDRINUSE/.test(tail) },
  );
}

/**
 * Polls `check` every `intervalMs` until it returns `true`, the process (or any of `procs`, the
 * nodes of a cluster) exits (`START_FAILED`) or `timeoutMs` passes (`START_TIMEOUT`).
 */
export async function waitUntilReady(
  procs: ManagedProcess | readonly ManagedProcess[],
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 150,
): Promise<void> {
  const all = Array.isArray(procs) ? (procs as readonly ManagedProcess[]) : [procs as ManagedProcess];
  const proc = all[0] as ManagedProcess;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const gone = all.find((p) => p.hasExited());
    if (gone) {
      const exit = await gone.exited;
      throw startFailed(
        gone.component,
        gone.logFile,
        `process exited (code ${exit.code}, signal ${exit.signal})`,
      );
    }
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await Promise.race([new Promise((r) => setTimeout(r, intervalMs)), ...all.map((p) => p.exited)]);
  }
  const tail = tailLog(proc.logFile);
  throw new LocalStackError(
    'START_TIMEOUT',
    `local-stack: ${proc.component} was not ready after ${timeoutMs} ms. Log: ${proc.logFile}${tail ? `\n--- last lines ---\n${tail}` : ''}`,
    { component: proc.component, logFile: proc.logFile, cause: lastError, retryable: true },
  );
}

/** `true` when an HTTP server answers at `url` with any status. */
export async function httpAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await response.arrayBuffer();
  return true;
}
