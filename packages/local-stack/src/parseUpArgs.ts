import { MAX_KAFKA_BROKERS } from './defaults.js';

/** Parses the arguments of `local-stack up`: `--brokers N` (1 when absent); an error message when invalid. */
export function parseUpArgs(args: readonly string[]): { brokers: number } | string {
  let brokers = 1;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [name, inline] = arg.split('=', 2) as [string, string | undefined];
    if (name !== '--brokers') return `unexpected argument: ${arg}`;
    const value = inline ?? args[++i];
    const parsed = value !== undefined && /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!(parsed >= 1 && parsed <= MAX_KAFKA_BROKERS)) {
      return `--brokers: expected an integer from 1 to ${MAX_KAFKA_BROKERS}, got ${JSON.stringify(value ?? '')}`;
    }
    brokers = parsed;
  }
  return { brokers };
}
