import { ProductEventSchema } from './schema.js';

type JsonObject = { [key: string]: unknown };

/** Plain JSON copy of a TypeBox schema (drops TypeBox's symbol-keyed metadata). */
function toPlainJson(schema: unknown): JsonObject {
  return JSON.parse(JSON.stringify(schema)) as JsonObject;
}

function buildJsonSchema(): JsonObject {
  const body = toPlainJson(ProductEventSchema);
  for (const variant of body['anyOf'] as { properties: { occurredAt: JsonObject } }[]) {
    // TypeBox checks the pattern; other validators also get the standard format keyword.
    variant.properties.occurredAt['format'] = 'date-time';
  }
  return deepFreeze({
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:marketplace:schema:product-event:v1',
    description:
      'Product event, contract version 1. Kafka record key = productId; headers content-type: application/json, event-type: <type>, schema-version: 1. Unknown extra fields are allowed.',
    ...body,
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * The event contract v1 as JSON Schema (draft-07), for producers and consumers in other
 * languages. Generated from the same TypeBox schemas that {@link parseProductEvent} uses; also
 * published as `@marketplace/product-events/schema.json`. Deeply frozen.
 *
 * The parser additionally rejects dates that do not exist (e.g. `2026-02-30`), which a JSON
 * Schema `pattern` cannot express.
 */
export const productEventJsonSchema: Readonly<Record<string, unknown>> = buildJsonSchema();

/** The exact text of `schema/product-event.v1.schema.json` (2-space indent, final newline). */
export function productEventJsonSchemaText(): string {
  return `${JSON.stringify(productEventJsonSchema, null, 2)}\n`;
}
