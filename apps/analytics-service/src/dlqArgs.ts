import type { DeadLetterFilter } from '@marketplace/kafka-processor';
import { ArgumentsError } from './errors.js';

/** What `analytics-service dlq ...` asks for. */
export type DlqCommand =
  | { kind: 'dlq'; action: 'stats'; filter: DeadLetterFilter; json: boolean }
  | { kind: 'dlq'; action: 'show'; filter: DeadLetterFilter; json: boolean; limit: number }
  | {
      kind: 'dlq';
      action: 'redrive';
      filter: DeadLetterFilter;
      json: boolean;
      name: string;
      maxRedrives: number;
      dryRun: boolean;
    };

/** Default of `dlq show --limit`. */
export const DLQ_SHOW_DEFAULT_LIMIT = 100;
/** Default of `dlq redrive --max-redrives`. */
export const DLQ_DEFAULT_MAX_REDRIVES = 3;

/** Usage text of the `dlq` subcommands (part of the main usage). */
export const DLQ_USAGE = `  analytics-service dlq stats [filters] [--json]
      Counts the dead letters by error code, source topic, hour (UTC) and redrive count.
  analytics-service dlq show [filters] [--limit N] [--json]
      Prints dead letters with their reason and source position (default --limit ${DLQ_SHOW_DEFAULT_LIMIT}).
  analytics-service dlq redrive --name NAME [filters] [--max-redrives N] [--dry-run] [--json]
      Sends the selected dead letters back to their source topic and partition (key, value,
      original headers, x-redrive-count + 1), once per NAME (re-running NAME sends nothing twice);
      refuses records redriven N times already (default ${DLQ_DEFAULT_MAX_REDRIVES}). Progress on stderr.
    filters: --code CODE[,CODE] --topic SOURCE_TOPIC[,TOPIC] --partition N
             --from-offset N --to-offset N (source offsets, inclusive)
    Needs KAFKA_BROKERS (and the topic variables of the service).`;

const ACTIONS = ['stats', 'show', 'redrive'] as const;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

function integer(flag: string, value: string | undefined, min: number): number {
  if (value === undefined || !/^\d{1,15}$/.test(value) || Number(value) < min) {
    throw new ArgumentsError(`${flag}: expected an integer >= ${min}, got ${JSON.stringify(value ?? '')}`);
  }
  return Number(value);
}

function list(flag: string, value: string | undefined): string[] {
  const items = (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new ArgumentsError(`${flag}: expected a value`);
  return items;
}

/**
 * Parses the arguments after `dlq`.
 * @throws ArgumentsError (code `INVALID_ARGUMENTS`) on anything it does not understand.
 */
export function parseDlqArgs(args: readonly string[]): DlqCommand {
  const [action, ...rest] = args;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    throw new ArgumentsError(`dlq: expected stats, show or redrive, got ${JSON.stringify(action ?? '')}`);
  }
  const filter: { -readonly [K in keyof DeadLetterFilter]: DeadLetterFilter[K] } = {};
  let json = false;
  let limit: number | undefined;
  let name: string | undefined;
  let maxRedrives: number | undefined;
  let dryRun = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (flag === arg ? rest[++i] : arg.slice(eq + 1));
    const only = (allowed: boolean): void => {
      if (!allowed) throw new ArgumentsError(`dlq ${action}: ${flag} is not an option of this command`);
    };
    switch (flag) {
      case '--json':
        json = true;
        break;
      case '--code':
        filter.codes = [...(filter.codes ?? []), ...list(flag, value())];
        break;
      case '--topic':
        filter.topics = [...(filter.topics ?? []), ...list(flag, value())];
        break;
      case '--partition':
        filter.partition = integer(flag, value(), 0);
        break;
      case '--from-offset':
        filter.fromOffset = BigInt(integer(flag, value(), 0));
        break;
      case '--to-offset':
        filter.toOffset = BigInt(integer(flag, value(), 0));
        break;
      case '--limit':
        only(action === 'show');
        limit = integer(flag, value(), 1);
        break;
      case '--name': {
        only(action === 'redrive');
        const given = value();
        if (given === undefined || !NAME.test(given)) {
          throw new ArgumentsError(
            `--name: expected 1-100 characters of [A-Za-z0-9._-], got ${JSON.stringify(given ?? '')}`,
          );
        }
        name = given;
        break;
      }
      case '--max-redrives':
        only(action === 'redrive');
        maxRedrives = integer(flag, value(), 1);
        break;
      case '--dry-run':
        only(action === 'redrive');
        dryRun = true;
        break;
      default:
        throw new ArgumentsError(`dlq ${action}: unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (
    filter.fromOffset !== undefined &&
    filter.toOffset !== undefined &&
    filter.fromOffset > filter.toOffset
  ) {
    throw new ArgumentsError('--from-offset: must not be greater than --to-offset');
  }
  if (action === 'stats') return { kind: 'dlq', action, filter, json };
  if (action === 'show') return { kind: 'dlq', action, filter, json, limit: limit ?? DLQ_SHOW_DEFAULT_LIMIT };
  if (name === undefined) {
    throw new ArgumentsError(
      'dlq redrive: --name is required (it makes re-runs idempotent: the same name never sends a record twice)',
    );
  }
  return {
    kind: 'dlq',
    action: 'redrive',
    filter,
    json,
    name,
    maxRedrives: maxRedrives ?? DLQ_DEFAULT_MAX_REDRIVES,
    dryRun,
  };
}
