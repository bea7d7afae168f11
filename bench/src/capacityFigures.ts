import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Bytes of a DynamoDB item as DynamoDB counts them for capacity units and storage: per attribute
 * the UTF-8 length of its name plus its value (strings: UTF-8 length; numbers: about one byte per
 * two significant digits plus one; booleans and nulls: one byte; maps, which hold money per
 * currency: 3 bytes plus, per entry, its name, its value and one byte). Only the types the metrics
 * table uses are counted exactly; other types count their JSON length.
 */
export function dynamoItemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) {
    const digits = value.N.replace(/^-/, '').replace(/\./, '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.M !== undefined) {
    let bytes = 3;
    for (const [name, entry] of Object.entries(value.M))
      bytes += Buffer.byteLength(name) + valueBytes(entry) + 1;
    return bytes;
  }
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * Bytes of a topic's log segments (`*.log`) on the local broker's disk: every `<topic>-<n>` folder
 * found under `root` (the local stack's folder). Includes record-batch headers, transaction
 * markers and any compaction the broker did; index files are left out (preallocated).
 */
export function topicLogBytes(root: string, topic: string): number {
  const partitionDir = new RegExp(`^${topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`);
  let bytes = 0;
  const walk = (dir: string, depth: number): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (partitionDir.test(entry.name)) {
        for (const file of readdirSync(path))
          if (file.endsWith('.log')) bytes += statSync(join(path, file)).size;
      } else if (depth < 4) walk(path, depth + 1);
    }
  };
  walk(root, 0);
  return bytes;
}
