import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type {
  ProductCreatedEvent,
  ProductData,
  ProductDeletedData,
  ProductDeletedEvent,
  ProductEvent,
  ProductUpdatedEvent,
} from './types.js';

/** Longest accepted id (productId, sellerId, category, eventId). */
export const MAX_ID_LENGTH = 128;

/**
 * RFC 3339 / ISO-8601 date-time with a mandatory time zone (`Z` or `±hh:mm`), fractions of a
 * second optional (1 to 9 digits). Field ranges are checked by the pattern; the day of the
 * month against the month's length is checked by {@link isValidCalendarDay}.
 */
export const DATE_TIME_PATTERN =
  '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,9})?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)$';

const Id = (description: string) => Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH, description });

const Count = (description: string) =>
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });

/** Product status. */
export const ProductStatusSchema = Type.Union([Type.Literal('active'), Type.Literal('inactive')], {
  description: 'Only active products count as activeProducts.',
});

/** Full product data of `product.created` and `product.updated`. Extra fields are allowed. */
export const ProductDataSchema = Type.Object(
  {
    sellerId: Id('Seller that owns the product.'),
    category: Id('Category of the product, e.g. "books".'),
    name: Type.String({ description: 'Display name.' }),
    priceCents: Count('Price in minor units of `currency`.'),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO-4217 code, e.g. "USD".' }),
    quantity: Count('Units in stock.'),
    status: ProductStatusSchema,
  },
  { description: 'Full product state after the change.' },
);

/** Data of `product.deleted`. Extra fields are allowed. */
export const ProductDeletedDataSchema = Type.Object(
  {
    sellerId: Id('Seller that owned the product.'),
    category: Type.Optional(Id('Category the product was in, when known.')),
  },
  { description: 'Identity of the deleted product.' },
);

const envelope = {
  eventId: Id('Unique id of the event (a UUID).'),
  schemaVersion: Type.Literal(1, { description: 'Contract version.' }),
  occurredAt: Type.String({
    pattern: DATE_TIME_PATTERN,
    description: 'When the change happened (ISO-8601 date-time with zone).',
  }),
  productId: Id('Product id; equals the Kafka record key.'),
  version: Type.Integer({
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'Revision of the product; increases by at least 1 with every change.',
  }),
};

/** `product.created`. */
export const ProductCreatedEventSchema = Type.Object(
  { ...envelope, type: Type.Literal('product.created'), data: ProductDataSchema },
  { title: 'ProductCreatedEvent' },
);

/** `product.updated` (creates the product when unknown). */
export const ProductUpdatedEventSchema = Type.Object(
  { ...envelope, type: Type.Literal('product.updated'), data: ProductDataSchema },
  { title: 'ProductUpdatedEvent' },
);

/** `product.deleted` (tombstones the product). */
export const ProductDeletedEventSchema = Type.Object(
  { ...envelope, type: Type.Literal('product.deleted'), data: ProductDeletedDataSchema },
  { title: 'ProductDeletedEvent' },
);

/** Any product event of contract version 1. */
export const ProductEventSchema = Type.Union(
  [ProductCreatedEventSchema, ProductUpdatedEventSchema, ProductDeletedEventSchema],
  { title: 'ProductEvent' },
);

// Compile-time proof that the hand-written types in types.ts and the runtime schemas agree.
type Equivalent<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type SchemaMatchesTypes = [
  Assert<Equivalent<Static<typeof ProductDataSchema>, ProductData>>,
  Assert<Equivalent<Static<typeof ProductDeletedDataSchema>, ProductDeletedData>>,
  Assert<Equivalent<Static<typeof ProductCreatedEventSchema>, ProductCreatedEvent>>,
  Assert<Equivalent<Static<typeof ProductUpdatedEventSchema>, ProductUpdatedEvent>>,
  Assert<Equivalent<Static<typeof ProductDeletedEventSchema>, ProductDeletedEvent>>,
  Assert<Equivalent<Static<typeof ProductEventSchema>, ProductEvent>>,
];

const compile = <T extends TSchema>(schema: T) => TypeCompiler.Compile(schema);

/** Compiled checkers, one per event type (compiled once, at module load). */
export const eventCheckers = {
  'product.created': compile(ProductCreatedEventSchema),
  'product.updated': compile(ProductUpdatedEventSchema),
  'product.deleted': compile(ProductDeletedEventSchema),
} as const;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const digit = (text: string, index: number): number => text.charCodeAt(index) - 48;

/**
 * Whether the day of a date-time that already matched {@link DATE_TIME_PATTERN} exists in its
 * month (rejects e.g. `2026-02-30`, which `Date.parse` silently rolls over).
 */
export function isValidCalendarDay(dateTime: string): boolean {
  const day = digit(dateTime, 8) * 10 + digit(dateTime, 9);
  if (day <= 28) return true;
  const month = digit(dateTime, 5) * 10 + digit(dateTime, 6);
  if (month !== 2) return day <= (DAYS_IN_MONTH[month - 1] as number);
  const year =
    digit(dateTime, 0) * 1000 + digit(dateTime, 1) * 100 + digit(dateTime, 2) * 10 + digit(dateTime, 3);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (leap ? 29 : 28);
}
