// Writes schema/product-event.v1.schema.json from the TypeBox schemas (run: pnpm emit-schema).
// A unit test fails when the committed file differs from what this script would write.
import { writeFileSync } from 'node:fs';
import { productEventJsonSchemaText } from '../src/jsonSchema.js';

const target = new URL('../schema/product-event.v1.schema.json', import.meta.url);
writeFileSync(target, productEventJsonSchemaText());
process.stdout.write(`wrote ${target.pathname}\n`);
