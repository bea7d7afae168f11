/**
 * The logger every `@marketplace/*` library takes as its `logger` option: `(message, fields?)`
 * per level. console fits as is; pino fits through a small adapter (pino takes the fields first).
 * Libraries are silent by default ({@link SILENT_LOGGER}).
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** A logger that drops everything: the default of every library. */
export const SILENT_LOGGER: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
