import type { Role } from './config.js';
import { DLQ_USAGE, type DlqCommand, parseDlqArgs } from './dlqArgs.js';
import { NEW_EPOCH_USAGE, type NewEpochCommand, parseNewEpochArgs } from './epochCommand.js';
import { ArgumentsError } from './errors.js';
import { PIPELINE_USAGE, type PipelineCommand, parsePipelineArgs } from './pipelineCommand.js';

/** What the command line asks for. */
export type Command =
  | { kind: 'run'; role: Role; once: boolean }
  | { kind: 'metrics'; entity: 'seller' | 'category' | 'low-stock'; id: string }
  | DlqCommand
  | NewEpochCommand
  | PipelineCommand
  | { kind: 'help' };

/** Usage text printed by `--help` and after an argument error. */
export const USAGE = `Usage:
  analytics-service [--role aggregate|sink|all] [--once]
      Runs the service. Without KAFKA_BROKERS: the demo (local stack + generated stream).
      --role   stages to run in this process (default: all; the demo always runs both)
      --once   demo only: exit 0 right after the report instead of serving until Ctrl-C
  analytics-service metrics seller <sellerId>
  analytics-service metrics category <category>
  analytics-service metrics low-stock <sellerId>
      Prints the current metrics of one entity from DynamoDB as JSON.
${DLQ_USAGE}
${NEW_EPOCH_USAGE}
${PIPELINE_USAGE}
  analytics-service --help
Configuration comes from environment variables (see README).`;

const ROLES: readonly Role[] = ['aggregate', 'sink', 'all'];

/**
 * Parses the command line (without `node` and the script).
 * @throws ArgumentsError (code `INVALID_ARGUMENTS`) on anything it does not understand.
 */
export function parseArgs(argv: readonly string[]): Command {
  // `pnpm start -- --once` may pass the separator through.
  const args = argv.filter((arg) => arg !== '--');
  if (args.includes('--help') || args.includes('-h')) return { kind: 'help' };

  if (args[0] === 'dlq') return parseDlqArgs(args.slice(1));
  if (args[0] === 'new-epoch') return parseNewEpochArgs(args.slice(1));
  if (args[0] === 'rescale' || args[0] === 'reset') return parsePipelineArgs(args[0], args.slice(1));

  if (args[0] === 'metrics') {
    const [, entity, id, ...rest] = args;
    if (entity !== 'seller' && entity !== 'category' && entity !== 'low-stock') {
      throw new ArgumentsError(
        `metrics: expected seller, category or low-stock, got ${JSON.stringify(entity ?? '')}`,
      );
    }
    if (id === undefined || id === '') throw new ArgumentsError(`metrics ${entity}: missing the id`);
    if (rest.length > 0)
      throw new ArgumentsError(`metrics ${entity}: unexpected ${JSON.stringify(rest.join(' '))}`);
    return { kind: 'metrics', entity, id };
  }

  let role: Role = 'all';
  let once = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--once') {
      once = true;
    } else if (arg === '--role' || arg.startsWith('--role=')) {
      const value = arg === '--role' ? args[++i] : arg.slice('--role='.length);
      if (!ROLES.includes(value as Role)) {
        throw new ArgumentsError(
          `--role: expected aggregate, sink or all, got ${JSON.stringify(value ?? '')}`,
        );
      }
      role = value as Role;
    } else {
      throw new ArgumentsError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return { kind: 'run', role, once };
}
