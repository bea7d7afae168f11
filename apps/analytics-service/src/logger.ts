import { Writable } from 'node:stream';
import type { Logger } from '@marketplace/options';
import { type Logger as PinoLogger, pino } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { LogLevel } from './config.js';
import { requireDemoDependency } from './demoDependencies.js';

/**
 * Errors under `error` (the key every library uses) are logged with type, message, code and
 * stack; pino would write an Error as `{}`.
 */
const ERROR_SERIALIZERS = { error: pino.stdSerializers.err };

/**
 * The service's pino logger: JSON lines on stdout in production; in the demo, human-readable
 * (pino-pretty) on stderr so that the progress line on stdout stays readable. Both synchronous,
 * so nothing is lost when the process exits.
 * @throws {MissingDemoDependencyError} with `pretty` when pino-pretty is not installed (production image).
 */
export function createLogger(options: {
  level: LogLevel;
  pretty: boolean;
  /** Called before each pretty line is written (the demo erases its progress line). */
  beforeWrite?: () => void;
  /** Where pretty lines go. @default process.stderr */
  prettyStream?: NodeJS.WritableStream & { isTTY?: boolean };
}): PinoLogger {
  if (options.pretty) {
    // A development dependency, loaded only here (the demo): production images do not have it.
    const pretty = requireDemoDependency<typeof PinoPretty>('pino-pretty');
    const target = options.prettyStream ?? process.stderr;
    const beforeWrite = options.beforeWrite ?? (() => {});
    const destination = new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        beforeWrite();
        target.write(chunk, () => callback());
      },
    });
    return pino(
      { level: options.level, base: undefined, serializers: ERROR_SERIALIZERS },
      pretty({ destination, sync: true, colorize: target.isTTY === true, ignore: 'pid,hostname' }),
    );
  }
  return pino(
    { level: options.level, base: { service: 'analytics-service' }, serializers: ERROR_SERIALIZERS },
    pino.destination({ dest: 1, sync: true }),
  );
}

/** Adapts pino (`(object, message)`) to the libraries' `(message, context)` loggers. */
export function libraryLogger(logger: PinoLogger, component: string): Logger {
  const child = logger.child({ component });
  return {
    debug: (message, context) => child.debug(context ?? {}, message),
    info: (message, context) => child.info(context ?? {}, message),
    warn: (message, context) => child.warn(context ?? {}, message),
    error: (message, context) => child.error(context ?? {}, message),
  };
}
