#!/usr/bin/env node
import { parseArgs, USAGE } from './args.js';
import { loadConfig, type ServiceConfig } from './config.js';
import { ArgumentsError, ConfigError } from './errors.js';

/** Exit codes of the process. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, badConfig: 2 });

async function main(argv: readonly string[]): Promise<number> {
  let command: ReturnType<typeof parseArgs>;
  try {
    command = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof ArgumentsError)) throw error;
    process.stderr.write(`analytics-service: ${error.message}\n\n${USAGE}\n`);
    return EXIT.badConfig;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }

  let config: ServiceConfig;
  try {
    config =
      command.kind === 'metrics'
        ? loadConfig(process.env, { purpose: 'metrics' })
        : loadConfig(process.env, { role: command.role });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`analytics-service: ${error.message}\n`);
    return EXIT.badConfig;
  }
  process.stderr.write(`analytics-service: ${config.mode} mode is not wired yet\n`);
  return EXIT.failed;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `analytics-service: fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = EXIT.failed;
  },
);
