export {
  DEFAULT_TOPICS,
  HEADERS,
  PRODUCT_EVENT_TYPES,
  type ProductTopics,
  SCHEMA_VERSION,
  topicForEventType,
} from './constants.js';
export { type EncodedProductEvent, encodeProductEvent } from './encode.js';
export {
  InvalidEventError,
  PRODUCT_EVENTS_ERROR_CODES,
  ProductEventsError,
  type ProductEventsErrorCode,
  ProductEventsOptionsError,
} from './errors.js';
export {
  DEFAULT_CURRENCY_MIX,
  DEFAULT_GENERATOR_OPTIONS,
  DEFAULT_REORDER_WINDOW,
  type GeneratedMessage,
  type GeneratorOptions,
  generateMarketplaceStream,
  MALFORMED_REASONS,
} from './generator.js';
export { productEventJsonSchema } from './jsonSchema.js';
export {
  DEFAULT_PARSE_OPTIONS,
  type HeaderValue,
  type ParseOptions,
  type ParseResult,
  parseProductEvent,
} from './parse.js';
export {
  MAX_QUOTED_LENGTH,
  PARSE_ERROR_CODES,
  type ParseErrorCode,
  type ProductEventParseError,
} from './parseErrors.js';
export {
  ProductCreatedEventSchema,
  ProductDataSchema,
  ProductDeletedDataSchema,
  ProductDeletedEventSchema,
  ProductEventSchema,
  ProductStatusSchema,
  ProductUpdatedEventSchema,
} from './schema.js';
export type {
  ProductCreatedEvent,
  ProductData,
  ProductDeletedData,
  ProductDeletedEvent,
  ProductEvent,
  ProductEventEnvelope,
  ProductEventType,
  ProductStatus,
  ProductUpdatedEvent,
} from './types.js';
