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
    priceCents: Count(
      "Price in minor units of `currency` (the currency's smallest unit: cents for USD and EUR, yen for JPY, which has no minor digits, fils for KWD, which has three), never a converted amount. Money is kept per currency: values and price sums of different currencies are never added together.",
    ),
    currency: Type.String({
      pattern: '^[A-Z]{3}$',
      description:
        'ISO 4217 code of `priceCents`, e.g. "USD", "JPY", "KWD": three upper-case letters (anything else is a schema violation). A well-formed code the pipeline does not know (e.g. "XTS") is accepted and kept as a currency of its own.',
    }),
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
    description:
      'When the change happened (ISO-8601 date-time with zone). Consumers compare it as an instant (normalised to UTC) and reject one more than 24 hours ahead of their clock.',
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

type Equivalent<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/**
 * Compile-time proof that the hand-written types in `types.ts` and the runtime schemas agree
 * (mutually assignable): `tsc` fails when one changes without the other.
 */
export type SchemaMatchesTypes = [
  Assert<Equivalent<Static<typeof ProductDataSchema>, ProductData>>,
  Assert<Equivalent<Static<typeof ProductDeletedDataSchema>, ProductDeletedData>>,
  Assert<Equivalent<Static<typeof ProductCreatedEventSchema>, ProductCreatedEvent>>,
  Assert<Equivalent<Static<typeof ProductUpdatedEventSchema>, ProductUpdatedEvent>>,
  Assert<Equivalent<Static<typeof ProductDeletedEventSchema>, ProductDeletedEvent>>,
  Assert<Equivalent<Static<typeof ProductEventSchema>, ProductEvent>>,
];

const compile = <T extends TSchema>(schema: T) => TypeCompiler.Compile(schema);

/**
 * Full checkers, one per event type (compiled once, at module load). They report the first
 * error with its path; the parser uses them only once the fast path has failed.
 */
export const eventCheckers = {
  'product.created': compile(ProductCreatedEventSchema),
  'product.updated': compile(ProductUpdatedEventSchema),
  'product.deleted': compile(ProductDeletedEventSchema),
} as const;

/** A deep copy of a TypeBox schema (symbol-keyed metadata included) without `pattern`s. */
export function withoutPatterns<T extends TSchema>(schema: T): T {
  const copy = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) return value.map(copy);
    const result: Record<PropertyKey, unknown> = {};
    for (const key of Reflect.ownKeys(value)) {
      if (key !== 'pattern') result[key] = copy((value as Record<PropertyKey, unknown>)[key]);
    }
    return result;
  };
  return copy(schema) as T;
}

/**
 * Hot-path checkers: the same schemas without their two string patterns (`occurredAt`,
 * `currency`), which {@link isDateTime} and {@link isCurrencyCode} check by hand at a fraction
 * of the cost of the regular expressions (tests prove they agree with the patterns).
 */
export const fastEventCheckers = {
  'product.created': compile(withoutPatterns(ProductCreatedEventSchema)),
  'product.updated': compile(withoutPatterns(ProductUpdatedEventSchema)),
  'product.deleted': compile(withoutPatterns(ProductDeletedEventSchema)),
} as const;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const ZERO = 48;
const HYPHEN = 45;
const PLUS = 43;
const COLON = 58;
const DOT = 46;
const UPPER_T = 84;
const UPPER_Z = 90;
const UPPER_A = 65;

/** The digit at `index`, or -1 (also past the end: `NaN` fails both comparisons). */
function digitAt(text: string, index: number): number {
  const value = text.charCodeAt(index) - ZERO;
  return value >= 0 && value <= 9 ? value : -1;
}

/** The two-digit number at `index` if it lies in [min, max], else -1. */
function numberAt(text: string, index: number, min: number, max: number): number {
  const tens = digitAt(text, index);
  const ones = digitAt(text, index + 1);
  const value = tens * 10 + ones;
  return tens < 0 || ones < 0 || value < min || value > max ? -1 : value;
}

/**
 * Whether `text` matches {@link DATE_TIME_PATTERN} and names an existing calendar day
 * (rejects e.g. `2026-02-30`, which `Date.parse` silently rolls over).
 */
export function isDateTime(text: string): boolean {
  const century = numberAt(text, 0, 0, 99);
  const yearOfCentury = numberAt(text, 2, 0, 99);
  const month = numberAt(text, 5, 1, 12);
  const day = numberAt(text, 8, 1, 31);
  if (
    century < 0 ||
    yearOfCentury < 0 ||
    month < 0 ||
    day < 0 ||
    text.charCodeAt(4) !== HYPHEN ||
    text.charCodeAt(7) !== HYPHEN ||
    text.charCodeAt(10) !== UPPER_T ||
    numberAt(text, 11, 0, 23) < 0 ||
    text.charCodeAt(13) !== COLON ||
    numberAt(text, 14, 0, 59) < 0 ||
    text.charCodeAt(16) !== COLON ||
    numberAt(text, 17, 0, 59) < 0
  ) {
    return false;
  }
  let index = 19;
  if (text.charCodeAt(index) === DOT) {
    const start = ++index;
    while (digitAt(text, index) >= 0) index++;
    if (index === start || index - start > 9) return false;
  }
  const zone = text.charCodeAt(index);
  const zoneValid =
    zone === UPPER_Z
      ? index + 1 === text.length
      : (zone === PLUS || zone === HYPHEN) &&
        index + 6 === text.length &&
        numberAt(text, index + 1, 0, 23) >= 0 &&
        text.charCodeAt(index + 3) === COLON &&
        numberAt(text, index + 4, 0, 59) >= 0;
  return zoneValid && day <= daysInMonth(century * 100 + yearOfCentury, month);
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1] as number;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

const isUpperAscii = (code: number): boolean => code >= UPPER_A && code <= UPPER_Z;

/** Whether `text` is three upper-case ASCII letters (the `currency` pattern). */
export function isCurrencyCode(text: string): boolean {
  return (
    text.length === 3 &&
    isUpperAscii(text.charCodeAt(0)) &&
    isUpperAscii(text.charCodeAt(1)) &&
    isUpperAscii(text.charCodeAt(2))
  );
}
