import { type PartitionerName, partitionForKey } from './partitioners.js';

/** Which partitioner the records of an input topic follow, judged on a sample. */
export interface PartitionerVerdict {
  /** The input topic. */
  topic: string;
  /**
   * The partitioner that predicted the partition of every sampled record, or `'neither'` when
   * neither did (the producers are mixed, or use another partitioner such as librdkafka's `fnv1a`).
   */
  follows: PartitionerName | 'neither';
  /** The partitioner stage 1 is configured with. */
  configured: PartitionerName;
  /** Sampled records: keyed records on which murmur2 and crc32 predict different partitions. */
  sampled: number;
  /** Of those, how many arrived where murmur2 (resp. crc32) puts them. */
  matches: Record<PartitionerName, number>;
}

/**
 * Judges, per input topic, which partitioner its producers use: for the first `sampleSize` keyed
 * records on which murmur2 and crc32 disagree (records they agree on tell nothing), it counts
 * which one predicts the partition the record arrived on. Reports once per topic.
 */
export class PartitionerSampler {
  readonly #configured: PartitionerName;
  readonly #sampleSize: number;
  readonly #topics = new Map<string, { sampled: number; murmur2: number; crc32: number; done: boolean }>();

  /**
   * @param configured The partitioner stage 1 routes by.
   * @param sampleSize Discriminating records per topic before judging. @default 200
   */
  constructor(configured: PartitionerName, sampleSize = 200) {
    this.#configured = configured;
    this.#sampleSize = sampleSize;
  }

  /**
   * Looks at records of `topic` that arrived on `partition` of a topic of `partitions` partitions.
   * @returns the verdict once, with the batch that completes the topic's sample; else `undefined`.
   */
  observe(
    topic: string,
    partition: number,
    partitions: number,
    messages: readonly { key: Uint8Array | null }[],
  ): PartitionerVerdict | undefined {
    if (partitions < 2) return undefined;
    let counts = this.#topics.get(topic);
    if (counts === undefined) {
      counts = { sampled: 0, murmur2: 0, crc32: 0, done: false };
      this.#topics.set(topic, counts);
    }
    if (counts.done) return undefined;
    for (const { key } of messages) {
      if (key === null || key.length === 0) continue;
      const byMurmur2 = partitionForKey('murmur2', key, partitions);
      const byCrc32 = partitionForKey('crc32', key, partitions);
      if (byMurmur2 === byCrc32) continue;
      counts.sampled++;
      if (byMurmur2 === partition) counts.murmur2++;
      if (byCrc32 === partition) counts.crc32++;
      if (counts.sampled >= this.#sampleSize) break;
    }
    if (counts.sampled < this.#sampleSize) return undefined;
    counts.done = true;
    const follows =
      counts.murmur2 === counts.sampled ? 'murmur2' : counts.crc32 === counts.sampled ? 'crc32' : 'neither';
    return {
      topic,
      follows,
      configured: this.#configured,
      sampled: counts.sampled,
      matches: { murmur2: counts.murmur2, crc32: counts.crc32 },
    };
  }
}
