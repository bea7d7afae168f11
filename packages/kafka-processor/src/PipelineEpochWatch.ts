import type { Admin, Kafka } from 'kafkajs';
import { InternalTopicError } from './errors.js';
import { readPipelineEpoch } from './pipelineEpoch.js';

/** Where {@link PipelineEpochWatch} reads the epoch. */
export interface PipelineEpochWatchOptions {
  readonly kafka: Kafka;
  /** The epoch topic (`epochTopic` option). */
  readonly topic: string;
  /** Prefix of the throwaway consumer group that reads the topic. */
  readonly groupIdPrefix: string;
  /** The connected admin client (called on every read). */
  readonly admin: () => Admin;
}

/**
 * The pipeline epoch as stage 1 last read it. A read is a cheap offsets request; the topic itself
 * is read again only when its end moved. The epoch never goes back.
 */
export class PipelineEpochWatch {
  readonly #options: PipelineEpochWatchOptions;
  #current = 0;
  /** High watermark of the epoch topic when it was last read. */
  #end = '';

  constructor(options: PipelineEpochWatchOptions) {
    this.#options = options;
  }

  /** The epoch of the last read (0 before the first, or when the topic does not exist). */
  get current(): number {
    return this.#current;
  }

  /**
   * Reads the current epoch and the epoch topic's end (the topic may not exist: epoch 0).
   * @throws {InternalTopicError} code `INTERNAL_TOPIC_INVALID` while a rescale or reset is staged but not finished.
   */
  async read(): Promise<number> {
    const { kafka, topic, groupIdPrefix } = this.#options;
    const admin = this.#options.admin();
    const end = (await admin.listTopics()).includes(topic)
      ? ((await admin.fetchTopicOffsets(topic))[0]?.high ?? '0')
      : '0';
    if (end !== this.#end) {
      const current = await readPipelineEpoch({ kafka, topic, groupIdPrefix });
      if (current?.phase === 'staged') {
        throw new InternalTopicError(
          topic,
          `a ${current.reason} to epoch ${current.epoch} has not finished: run it again (\`analytics-service ${current.reason} --yes\`) before starting the service`,
        );
      }
      this.#end = end;
      if ((current?.epoch ?? 0) > this.#current) this.#current = current!.epoch;
    }
    return this.#current;
  }
}
