import type { RawMessage } from '@marketplace/worker-pool';
import type { IHeaders, KafkaMessage } from 'kafkajs';

/** The first value of a Kafka header (kafkajs gives arrays for repeated headers). */
function firstHeaderValue(value: IHeaders[string]): Buffer | string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A kafkajs message as the worker pool's raw input (buffers are copied by the pool before transfer). */
export function toRawMessage(message: KafkaMessage): RawMessage {
  const headers: Record<string, Uint8Array | string | undefined> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = firstHeaderValue(value);
  return { key: message.key, value: message.value, headers, offset: message.offset };
}
