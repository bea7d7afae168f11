import { gzipSync } from 'node:zlib';
import type { MetricChangeRecord } from '@marketplace/analytics-aggregator';
import { archiveKey, dayAndHour } from './archiveKeys.js';
import { encodeRecordLine } from './archiveLines.js';
import { ArchiveRecordError } from './errors.js';

/** One object to write: its key, gzip JSON Lines body and record count. */
export interface PlannedObject {
  readonly key: string;
  readonly body: Buffer;
  readonly records: number;
}

const OFFSET = /^\d+$/;

/**
 * Groups a batch by source (topic, partition) and UTC hour of the event time into one object each,
 * records sorted by offset; the key names the first offset, so the same batch always gives the same
 * keys and the same bytes (gzip at a fixed level, no timestamp or file name in the header).
 *
 * @throws ArchiveRecordError (`INVALID_RECORD`) for a record without a usable source, event time or change.
 */
export function planObjects(
  batch: readonly MetricChangeRecord[],
  prefix: string,
  gzipLevel: number,
): PlannedObject[] {
  const groups = new Map<
    string,
    { topic: string; partition: number; day: string; hour: string; entries: Entry[] }
  >();
  for (const record of batch) {
    const { source } = record;
    const position = `${source?.topic}/${source?.partition}/${source?.offset}`;
    if (
      typeof source?.topic !== 'string' ||
      source.topic === '' ||
      !Number.isSafeInteger(source.partition) ||
      source.partition < 0 ||
      typeof source.offset !== 'string' ||
      !OFFSET.test(source.offset)
    ) {
      throw new ArchiveRecordError(
        position,
        'source must have a topic, a partition >= 0 and a decimal offset',
      );
    }
    const eventMs = typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : Number.NaN;
    if (Number.isNaN(eventMs)) throw new ArchiveRecordError(position, 'eventTime must be an ISO-8601 time');
    let line: string;
    try {
      line = encodeRecordLine(record);
    } catch (error) {
      throw new ArchiveRecordError(position, 'the metric change cannot be encoded', error);
    }
    const { day, hour } = dayAndHour(eventMs);
    const id = `${source.topic}\u0000${source.partition}\u0000${day}T${hour}`;
    let group = groups.get(id);
    if (group === undefined) {
      group = { topic: source.topic, partition: source.partition, day, hour, entries: [] };
      groups.set(id, group);
    }
    group.entries.push({ offset: BigInt(source.offset), line });
  }
  const objects: PlannedObject[] = [];
  for (const group of groups.values()) {
    // Stable sort: records of one offset keep their batch order.
    const entries = group.entries.sort((a, b) => (a.offset === b.offset ? 0 : a.offset < b.offset ? -1 : 1));
    const startOffset = (entries[0] as Entry).offset.toString();
    const text = `${entries.map((entry) => entry.line).join('\n')}\n`;
    objects.push({
      key: archiveKey(prefix, { ...group, startOffset }),
      body: gzip(text, gzipLevel),
      records: entries.length,
    });
  }
  // Keys are unique: one per (topic, partition, hour).
  return objects.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * gzip with a fixed level; the header has no name and no mtime (zlib writes 0), and the OS byte is
 * pinned to 3 (Unix) so the bytes do not depend on the platform zlib was built for. The deflate
 * stream itself is stable for a given zlib build (one Node.js version).
 */
function gzip(text: string, level: number): Buffer {
  const body = gzipSync(Buffer.from(text, 'utf8'), { level });
  body[9] = 3;
  return body;
}

interface Entry {
  offset: bigint;
  line: string;
}
