/**
 * Produces records with kcat, the librdkafka CLI (Debian package `kcat`): an independent producer
 * whose partitioner is chosen with `-X partitioner=...` (librdkafka's default is
 * `consistent_random`, i.e. crc32 of the key; `murmur2_random` is the Java client's murmur2).
 */
import { spawn } from 'node:child_process';

/** A librdkafka partitioner setting (`partitioner` property). */
export type LibrdkafkaPartitioner =
  | 'default'
  | 'consistent'
  | 'consistent_random'
  | 'murmur2'
  | 'murmur2_random'
  | 'fnv1a'
  | 'fnv1a_random';

/** A record kcat can send: key and value without newline, key without tab. */
export interface KcatRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** True when kcat can carry the record unchanged through its line-based input. */
export function kcatCanSend(record: KcatRecord): boolean {
  return (
    !record.key.includes('\t') &&
    !record.key.includes('\n') &&
    record.value.length > 0 &&
    !record.value.includes(0x0a)
  );
}

function run(args: string[], input: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr}`)),
    );
    child.stdin.end(input);
  });
}

/**
 * Produces `records` with kcat, in order per topic, using `partitioner` (unset: librdkafka's
 * default) and kcat's `extraArgs` (e.g. `-z lz4`, `-p 0`). kcat sets headers per invocation, so records are sent in runs of equal headers (in
 * order within each run); idempotence keeps kcat's retries from duplicating records.
 */
export async function produceWithKcat(
  brokers: readonly string[],
  records: readonly KcatRecord[],
  partitioner?: LibrdkafkaPartitioner,
  extraArgs: readonly string[] = [],
): Promise<void> {
  const runs = new Map<string, KcatRecord[]>();
  for (const record of records) {
    if (!kcatCanSend(record))
      throw new Error(`kcat cannot send the record with key ${JSON.stringify(record.key)}`);
    const id = JSON.stringify([record.topic, Object.entries(record.headers).sort()]);
    const run = runs.get(id);
    if (run) run.push(record);
    else runs.set(id, [record]);
  }
  for (const group of runs.values()) {
    const { topic, headers } = group[0]!;
    const args = ['-P', '-b', brokers.join(','), '-t', topic, '-K', '\t', '-X', 'enable.idempotence=true'];
    if (partitioner !== undefined) args.push('-X', `partitioner=${partitioner}`);
    args.push(...extraArgs);
    for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
    const input = Buffer.concat(
      group.flatMap((r) => [Buffer.from(`${r.key}\t`), r.value, Buffer.from('\n')]),
    );
    await run(args, input);
  }
}
