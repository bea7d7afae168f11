import { type Logger as PinoLogger, pino } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config.js';

/**
 * The service's pino logger: JSON lines on stdout in production; in the demo, human-readable
 * (pino-pretty) on stderr so that the progress line on stdout stays readable. Both synchronous,
 * so nothing is lost when the process exits.
 */
export function createLogger(options: { level: LogLevel; pretty: boolean }): PinoLogger {
  if (options.pretty) {
    return pino(
      { level: options.level, base: undefined },
      pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY === true, ignore: 'pid,hostname' }),
    );
  }
  return pino(
    { level: options.level, base: { service: 'analytics-service' } },
    pino.destination({ dest: 1, sync: true }),
  );
}

/** The logger shape every `@marketplace/*` library takes: `(message, context?)`. */
export interface LibraryLogger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** Adapts pino (`(object, message)`) to the libraries' `(message, context)` loggers. */
export function libraryLogger(logger: PinoLogger, component: string): LibraryLogger {
  const child = logger.child({ component });
  return {
    debug: (message, context) => child.debug(context ?? {}, message),
    info: (message, context) => child.info(context ?? {}, message),
    warn: (message, context) => child.warn(context ?? {}, message),
    error: (message, context) => child.error(context ?? {}, message),
  };
}
