import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { productEventJsonSchema, productEventJsonSchemaText } from './jsonSchema.js';

const committedPath = new URL('../schema/product-event.v1.schema.json', import.meta.url);

describe('productEventJsonSchema', () => {
  it('equals the committed schema file (regenerate with `pnpm emit-schema`)', () => {
    expect(readFileSync(committedPath, 'utf8')).toBe(productEventJsonSchemaText());
  });

  it('describes the three event types with the contract constraints', () => {
    const variants = productEventJsonSchema['anyOf'] as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
    }[];

    expect(productEventJsonSchema['$schema']).toBe('http://json-schema.org/draft-07/schema#');
    expect(variants.map((variant) => variant.properties['type']?.['const'])).toEqual([
      'product.created',
      'product.updated',
      'product.deleted',
    ]);
    for (const variant of variants) {
      expect(variant.required).toEqual(
        expect.arrayContaining([
          'eventId',
          'type',
          'schemaVersion',
          'occurredAt',
          'productId',
          'version',
          'data',
        ]),
      );
      expect(variant.properties['occurredAt']).toMatchObject({ type: 'string', format: 'date-time' });
      expect(variant.properties['productId']).toMatchObject({ minLength: 1, maxLength: 128 });
      expect(variant).not.toHaveProperty('additionalProperties');
    }
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(productEventJsonSchema)).toBe(true);
    expect(Object.isFrozen(productEventJsonSchema['anyOf'])).toBe(true);
  });
});
