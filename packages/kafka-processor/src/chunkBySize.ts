import type { Message } from 'kafkajs';

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** Approximate encoded size of a record (payload plus a fixed per-record overhead). */
export function approximateSize(message: Message): number {
  let size = 64 + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size += Buffer.byteLength(name);
    for (const v of Array.isArray(value) ? value : [value]) size += byteLength(v);
  }
  return size;
}

/**
 * Splits records into consecutive chunks of at most `maxBytes` (approximately; a single larger
 * record gets a chunk of its own), so no produce request exceeds the broker's record-batch limit,
 * and of at most `maxRecords` records. Order is kept.
 */
export function chunkBySize(
  messages: readonly Message[],
  maxBytes: number,
  maxRecords = Number.POSITIVE_INFINITY,
): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let size = 0;
  for (const message of messages) {
    const next = approximateSize(message);
    if (current.length > 0 && (size + next > maxBytes || current.length >= maxRecords)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += next;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
