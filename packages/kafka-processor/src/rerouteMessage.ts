import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

/** Headers a rerouted record carries besides the original ones: where it was first consumed. */
export const REROUTE_HEADERS: Readonly<{
  sourceTopic: 'reroute-source-topic';
  sourcePartition: 'reroute-source-partition';
  sourceOffset: 'reroute-source-offset';
}> = Object.freeze({
  sourceTopic: 'reroute-source-topic',
  sourcePartition: 'reroute-source-partition',
  sourceOffset: 'reroute-source-offset',
});

/** Dead-letter code of a rerouted record that reached a group that does not own its key either. */
export const REROUTE_NOT_OWNER = 'REROUTE_NOT_OWNER';

/**
 * The record forwarded to the owner's partition of the reroute topic: original key, value,
 * timestamp and headers, plus {@link REROUTE_HEADERS} naming the original position.
 */
export function rerouteMessage(
  source: { topic: string; partition: number },
  message: KafkaMessage,
  owner: number,
): Message {
  return {
    key: message.key,
    value: message.value,
    partition: owner,
    timestamp: message.timestamp,
    headers: {
      ...message.headers,
      [REROUTE_HEADERS.sourceTopic]: source.topic,
      [REROUTE_HEADERS.sourcePartition]: String(source.partition),
      [REROUTE_HEADERS.sourceOffset]: message.offset,
    },
  };
}

/** Where a record was first consumed, and the record as it was there (offset and headers). */
export interface RerouteSource {
  topic: string;
  partition: number;
  /** The record with its original offset and without the reroute headers. */
  message: KafkaMessage;
}

function text(value: IHeaders[string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/**
 * Reads the original position of a record of the reroute topic (see {@link rerouteMessage}), so
 * its dead letter names the input it came from. `undefined` when the headers are missing or
 * malformed (the record was not written by stage 1).
 */
export function readRerouteSource(message: KafkaMessage): RerouteSource | undefined {
  const {
    [REROUTE_HEADERS.sourceTopic]: topicHeader,
    [REROUTE_HEADERS.sourcePartition]: partitionHeader,
    [REROUTE_HEADERS.sourceOffset]: offsetHeader,
    ...headers
  } = message.headers ?? {};
  const topic = text(topicHeader);
  const partition = Number(text(partitionHeader));
  const offset = text(offsetHeader);
  if (!topic || !Number.isInteger(partition) || partition < 0 || !offset || !/^\d+$/.test(offset))
    return undefined;
  return { topic, partition, message: { ...message, offset, headers } as KafkaMessage };
}
