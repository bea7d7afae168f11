import { createOptionChecks } from '@marketplace/options';
import { KafkaProcessorOptionsError } from './errors.js';

/** The option checks of this package: `(value, field, ...)`, throwing {@link KafkaProcessorOptionsError}. */
export const check = createOptionChecks((field, message) => new KafkaProcessorOptionsError(field, message));

const KAFKA_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** Throws `INVALID_OPTIONS` naming `field` unless `value` is a non-empty string of Kafka-safe characters. */
export function checkName(value: unknown, field: string): string {
  return check.string(value, field, KAFKA_NAME, '1-200 characters of [A-Za-z0-9._-]');
}
