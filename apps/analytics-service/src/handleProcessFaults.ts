import type { Logger } from '@marketplace/options';

/** Options of {@link handleProcessFaults}. */
export interface ProcessFaultOptions {
  logger: Logger;
  /**
   * Starts the bounded graceful shutdown that ends with exit code 1 (`trigger(reason, 1)` of
   * `handleShutdownSignals`).
   */
  stop: (reason: string) => void;
  /** Emitter of `uncaughtException` / `unhandledRejection`. @default process */
  target?: NodeJS.EventEmitter;
}

/**
 * The process-wide policy for faults nothing else caught (an `uncaughtException` or an
 * `unhandledRejection`): log the error, then the bounded graceful shutdown, then exit 1. Node's
 * default would end the process at once, skipping the shutdown (batches in flight, clients).
 * Returns a function that removes the handlers.
 */
export function handleProcessFaults(options: ProcessFaultOptions): () => void {
  const target = options.target ?? process;
  const onException = (error: unknown, origin?: string): void => {
    options.logger.error('uncaught exception: stopping', { error, origin });
    options.stop('uncaught exception');
  };
  const onRejection = (reason: unknown): void => {
    options.logger.error('unhandled promise rejection: stopping', { error: reason });
    options.stop('unhandled rejection');
  };
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('uncaughtException', onException);
    target.off('unhandledRejection', onRejection);
  };
}
