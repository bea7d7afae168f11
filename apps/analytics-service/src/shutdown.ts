import type { Logger } from '@marketplace/options';

/** Options of {@link handleShutdownSignals}. */
export interface ShutdownOptions {
  /** Bound of the graceful shutdown; after it the process is forced to exit with `forcedExitCode`. */
  timeoutMs: number;
  logger: Logger;
  /** Ends the process (injected in tests). @default process.exit */
  exit?: (code: number) => void;
  /** Signals handled. @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[];
  /** Exit code after a forced exit. @default 1 */
  forcedExitCode?: number;
}

/**
 * Runs `shutdown` on the first SIGTERM/SIGINT, then exits 0. If it throws or does not finish
 * within `timeoutMs`, or a second signal arrives, exits with `forcedExitCode` (1).
 * Returns `trigger`, to start the same shutdown from code (e.g. after the demo's `--once` report,
 * or with `exitCode` 1 after a permanent fault). A `trigger` with a non-zero code while a shutdown
 * already runs does not start another one, but the process then exits with that code.
 */
export function handleShutdownSignals(
  shutdown: (reason: string) => Promise<void>,
  options: ShutdownOptions,
): { trigger(reason: string, exitCode?: number): Promise<void>; shuttingDown(): boolean; dispose(): void } {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const forced = options.forcedExitCode ?? 1;
  let inProgress: Promise<void> | undefined;
  // A failure reported while a clean shutdown runs still ends the process with its code.
  let exitCodeWhenDone = 0;

  const trigger = (reason: string, exitCode = 0): Promise<void> => {
    exitCodeWhenDone = Math.max(exitCodeWhenDone, exitCode);
    if (inProgress !== undefined) return inProgress;
    options.logger.info('shutting down', { reason, timeoutMs: options.timeoutMs });
    const timer = setTimeout(() => {
      options.logger.error('graceful shutdown timed out, forcing exit', { timeoutMs: options.timeoutMs });
      exit(forced);
    }, options.timeoutMs);
    inProgress = shutdown(reason).then(
      () => {
        clearTimeout(timer);
        options.logger.info('shut down cleanly', { reason, exitCode: exitCodeWhenDone });
        exit(exitCodeWhenDone);
      },
      (error: unknown) => {
        clearTimeout(timer);
        options.logger.error('shutdown failed', {
          error: error instanceof Error ? error.message : String(error),
        });
        exit(forced);
      },
    );
    return inProgress;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (inProgress !== undefined) {
      options.logger.warn('second signal during shutdown, forcing exit', { signal });
      exit(forced);
      return;
    }
    void trigger(signal);
  };
  for (const signal of signals) process.on(signal, onSignal);

  return {
    trigger,
    shuttingDown: () => inProgress !== undefined,
    dispose: () => {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}
