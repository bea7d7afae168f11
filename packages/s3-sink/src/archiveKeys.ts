/** Where an archive object sits and what it holds, as encoded in its key. */
export interface ArchiveKeyParts {
  /** UTC day `yyyy-mm-dd` of the records' event time. */
  readonly day: string;
  /** UTC hour `HH` of the records' event time. */
  readonly hour: string;
  /** Source topic of the records. */
  readonly topic: string;
  /** Source partition of the records. */
  readonly partition: number;
  /** Offset of the first record in the object (decimal string). */
  readonly startOffset: string;
}

const OBJECT_SUFFIX = '.jsonl.gz';
const KEY_TAIL = /^dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/(.+)\+(\d+)\+(\d+)\.jsonl\.gz$/;
const DAY_MS = 86_400_000;

/** A prefix without leading/trailing slashes (`''` for the bucket root). */
export function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

/** `<prefix>/dt=YYYY-MM-DD/` (or `dt=YYYY-MM-DD/` at the bucket root). */
export function dayPrefix(prefix: string, day: string): string {
  return `${prefix === '' ? '' : `${prefix}/`}dt=${day}/`;
}

/** `<prefix>/dt=YYYY-MM-DD/hour=HH/<topic>+<partition>+<startOffset>.jsonl.gz`. */
export function archiveKey(prefix: string, parts: ArchiveKeyParts): string {
  return `${dayPrefix(prefix, parts.day)}hour=${parts.hour}/${parts.topic}+${parts.partition}+${parts.startOffset}${OBJECT_SUFFIX}`;
}

/** The parts of an archive key under `prefix`, or `undefined` for any other key. */
export function parseArchiveKey(prefix: string, key: string): ArchiveKeyParts | undefined {
  const head = prefix === '' ? '' : `${prefix}/`;
  if (!key.startsWith(head)) return undefined;
  const match = KEY_TAIL.exec(key.slice(head.length));
  if (match === null) return undefined;
  const [, day, hour, topic, partition, startOffset] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { day, hour, topic, partition: Number(partition), startOffset };
}

/** Day (`yyyy-mm-dd`) and hour (`HH`) of an instant, UTC. */
export function dayAndHour(timeMs: number): { day: string; hour: string } {
  const iso = new Date(timeMs).toISOString();
  return { day: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/** Every UTC day from the day of `fromMs` to the day of `toMs`, inclusive. */
export function daysBetween(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  for (let t = Math.floor(fromMs / DAY_MS) * DAY_MS; t <= toMs; t += DAY_MS) days.push(dayAndHour(t).day);
  return days;
}

/** Sorts archive objects by hour, then topic, partition and start offset (numerically). */
export function compareArchiveKeys(a: ArchiveKeyParts, b: ArchiveKeyParts): number {
  const ta = `${a.day}T${a.hour}`;
  const tb = `${b.day}T${b.hour}`;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.partition !== b.partition) return a.partition - b.partition;
  const oa = BigInt(a.startOffset);
  const ob = BigInt(b.startOffset);
  return oa === ob ? 0 : oa < ob ? -1 : 1;
}
