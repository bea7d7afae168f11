import { isUtf8 } from 'node:buffer';
import { createOptionChecks } from '@marketplace/options';
import type { ValueError } from '@sinclair/typebox/errors';
import { HEADERS, SCHEMA_VERSION } from './constants.js';
import { ProductEventsOptionsError } from './errors.js';

import { MAX_QUOTED_LENGTH, type ParseErrorCode, type ProductEventParseError } from './parseErrors.js';
import { eventCheckers, fastEventCheckers, isCurrencyCode, isDateTime } from './schema.js';
import type { ProductData, ProductEvent, ProductEventType } from './types.js';

/** The option checks of the parser: `(value, field, ...)`, throwing {@link ProductEventsOptionsError}. */
const check = createOptionChecks((field, message) => new ProductEventsOptionsError(field, message));

/** Default limits of {@link parseProductEvent}. */
export const DEFAULT_PARSE_OPTIONS: Readonly<{
  maxBytes: 1_048_576;
  maxDepth: 32;
  maxFutureSkewMs: 86_400_000;
}> = Object.freeze({
  maxBytes: 1_048_576,
  maxDepth: 32,
  maxFutureSkewMs: 86_400_000,
});

/** Result of {@link parseProductEvent}: the typed event, or why there is none. */
export type ParseResult = { ok: true; event: ProductEvent } | { ok: false; error: ProductEventParseError };

/** A Kafka header value as kafkajs delivers it (repeated headers arrive as an array). */
export type HeaderValue = string | Uint8Array | (string | Uint8Array)[] | undefined;

/** Options of {@link parseProductEvent}. */
export interface ParseOptions {
  /**
   * The Kafka record key. When given, it must equal `productId` (`KEY_MISMATCH`); `null` or an
   * empty key fails with `MISSING_KEY`. When omitted (`undefined`), the key is not checked.
   */
  key?: string | Uint8Array | null;
  /**
   * The Kafka record headers. When an `event-type` header is present it must equal the
   * event's `type` (`HEADER_MISMATCH`); repeated values must all equal it.
   */
  headers?: Record<string, HeaderValue>;
  /**
   * Largest accepted payload in UTF-8 bytes (bytes and string input; an already-parsed object
   * is not measured).
   * @default 1_048_576
   */
  maxBytes?: number;
  /**
   * Deepest accepted nesting of objects and arrays; the event object itself is depth 1.
   * @default 32
   */
  maxDepth?: number;
  /**
   * How far `occurredAt` may lie ahead of `now()`, in ms; later events fail with
   * `EVENT_TIME_IN_FUTURE` (they would pin a group's watermark, hourly history and TTLs).
   * @default 86_400_000 (24 hours)
   */
  maxFutureSkewMs?: number;
  /**
   * The current time in epoch ms (injectable for tests).
   * @default Date.now
   */
  now?: () => number;
}

type Parsed = Record<string, unknown>;

interface Limits {
  maxBytes: number;
  maxDepth: number;
  maxFutureSkewMs: number;
  now: () => number;
}

const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({ ...DEFAULT_PARSE_OPTIONS, now: Date.now });
type EventChecker = (typeof eventCheckers)[keyof typeof eventCheckers];

const createdChecker: EventChecker = fastEventCheckers['product.created'];
const updatedChecker: EventChecker = fastEventCheckers['product.updated'];
const deletedChecker: EventChecker = fastEventCheckers['product.deleted'];

const fail = (code: ParseErrorCode, path: string, message: string): ParseResult => ({
  ok: false,
  error: { code, path, message },
});

/**
 * Parses and validates one product event (contract v1, docs/architecture.md#event-contract).
 *
 * Accepts the raw Kafka record value (`Buffer`/`Uint8Array`), a JSON string, or an already
 * parsed value. Checks, in this order: size (`PAYLOAD_TOO_LARGE`), UTF-8 (`INVALID_UTF8`,
 * bytes only), JSON syntax (`INVALID_JSON`), nesting depth (`TOO_DEEP`), object
 * (`NOT_AN_OBJECT`), known `type` (`UNKNOWN_TYPE`), `schemaVersion` 1
 * (`UNSUPPORTED_SCHEMA_VERSION`), the schema of that type (`SCHEMA_VIOLATION`, with the JSON
 * pointer of the first problem), event time not beyond `now() + maxFutureSkewMs`
 * (`EVENT_TIME_IN_FUTURE`), the record key (`MISSING_KEY`, `KEY_MISMATCH`) and the
 * `event-type` header (`HEADER_MISMATCH`). Unknown extra fields are allowed and kept.
 *
 * `occurredAt` comes back normalised to the canonical UTC instant
 * (`Date.prototype.toISOString()`, `YYYY-MM-DDTHH:mm:ss.sssZ`: offsets applied, fractions cut to
 * milliseconds), so that its text sorts like the instant it names; an instant outside the years
 * 0000-9999 in UTC is a `SCHEMA_VIOLATION`.
 *
 * It never throws on bad input: every problem comes back as `{ ok: false, error }`. The
 * returned event is the parsed object itself (not copied, not frozen, `occurredAt` normalised in
 * place).
 *
 * @param value - record value bytes, JSON text, or a parsed value
 * @param options - key, headers and limits, see {@link ParseOptions}
 * @returns `{ ok: true, event }` or `{ ok: false, error }`
 * @throws {ProductEventsOptionsError} `INVALID_OPTIONS` only when `maxBytes`/`maxDepth` is not a
 *   positive integer, `maxFutureSkewMs` not an integer >= 0 or `now` not a function (a
 *   programming error, never caused by the input)
 * @example
 * const result = parseProductEvent(message.value, { key: message.key, headers: message.headers });
 * if (result.ok) apply(result.event);
 * else deadLetter(message, result.error.code, result.error.path, result.error.message);
 */
export function parseProductEvent(value: unknown, options?: ParseOptions): ParseResult {
  let limits = DEFAULT_LIMITS;
  if (
    options !== undefined &&
    (options.maxBytes !== undefined ||
      options.maxDepth !== undefined ||
      options.maxFutureSkewMs !== undefined ||
      options.now !== undefined)
  ) {
    limits = {
      maxBytes: check.integer(options.maxBytes ?? DEFAULT_LIMITS.maxBytes, 'maxBytes', 1),
      maxDepth: check.integer(options.maxDepth ?? DEFAULT_LIMITS.maxDepth, 'maxDepth', 1),
      maxFutureSkewMs: check.integer(
        options.maxFutureSkewMs ?? DEFAULT_LIMITS.maxFutureSkewMs,
        'maxFutureSkewMs',
        0,
      ),
      now: check.func(options.now ?? DEFAULT_LIMITS.now, 'now'),
    };
  }
  try {
    return parseChecked(value, options, limits);
  } catch (error) {
    // Only reachable with hostile already-parsed input (throwing getters, revoked proxies).
    return fail('SCHEMA_VIOLATION', '', `The value could not be read: ${errorMessage(error)}`);
  }
}

function parseChecked(value: unknown, options: ParseOptions | undefined, limits: Limits): ParseResult {
  const { maxBytes, maxDepth } = limits;
  let parsed: unknown = value;
  // Already parsed values are always walked; text only when its bracket count allows it.
  let mayBeTooDeep = true;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    let text: string;
    if (typeof value === 'string') {
      // A UTF-16 code unit takes 1 to 3 UTF-8 bytes: count exactly only when it matters.
      if (value.length > maxBytes || (value.length * 3 > maxBytes && Buffer.byteLength(value) > maxBytes)) {
        return fail('PAYLOAD_TOO_LARGE', '', `Payload exceeds maxBytes (${maxBytes} bytes)`);
      }
      text = value;
    } else {
      if (value.byteLength > maxBytes) {
        return fail(
          'PAYLOAD_TOO_LARGE',
          '',
          `Payload of ${value.byteLength} bytes exceeds maxBytes (${maxBytes} bytes)`,
        );
      }
      const bytes = Buffer.isBuffer(value)
        ? value
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      // The decoder replaces every invalid sequence with U+FFFD, so text without one came from
      // valid UTF-8 (for ASCII text V8 answers that search at once); only text with one (which
      // valid input may also hold) needs the strict check.
      text = bytes.toString(); // no argument: Node's fastest UTF-8 decode path
      if (text.indexOf(REPLACEMENT_CHARACTER) !== -1 && !isUtf8(bytes)) {
        return fail('INVALID_UTF8', '', 'Payload is not valid UTF-8');
      }
    }
    // Nesting depth cannot exceed the number of '{' and '[' (native indexOf, no allocation):
    // a typical event has 2, so the depth walk after parsing is skipped on the hot path.
    mayBeTooDeep = bracketCountExceeds(text, maxDepth);
    // JSON.parse of deeply nested text is superlinear (about 12 ms for 16k levels): scan the
    // exact depth of large payloads before parsing. Small ones are walked after parsing, which
    // yields the JSON pointer of the offending container.
    if (mayBeTooDeep && text.length > PRESCAN_MIN_LENGTH && textExceedsDepth(text, maxDepth)) {
      return fail('TOO_DEEP', '', `Nesting exceeds maxDepth (${maxDepth})`);
    }
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return fail('INVALID_JSON', '', `Payload is not valid JSON: ${errorMessage(error)}`);
    }
  }

  if (mayBeTooDeep) {
    const deepPath = tooDeepPath(parsed, maxDepth);
    if (deepPath !== null) {
      return fail('TOO_DEEP', toPointer(deepPath), `Nesting exceeds maxDepth (${maxDepth})`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('NOT_AN_OBJECT', '', `Expected a JSON object, got ${describe(parsed)}`);
  }

  const event = parsed as Parsed;
  const type = event['type'];
  let checker: EventChecker;
  switch (type) {
    case 'product.created':
      checker = createdChecker;
      break;
    case 'product.updated':
      checker = updatedChecker;
      break;
    case 'product.deleted':
      checker = deletedChecker;
      break;
    default:
      return fail('UNKNOWN_TYPE', '/type', `Unknown event type ${describe(type)}`);
  }
  if (event['schemaVersion'] !== SCHEMA_VERSION) {
    return fail(
      'UNSUPPORTED_SCHEMA_VERSION',
      '/schemaVersion',
      `Unsupported schemaVersion ${describe(event['schemaVersion'])}; this parser supports ${SCHEMA_VERSION}`,
    );
  }
  if (
    !checker.Check(event) ||
    !isDateTime(event['occurredAt'] as string) ||
    (type !== 'product.deleted' && !isCurrencyCode((event['data'] as ProductData).currency))
  ) {
    return schemaViolation(type, event);
  }
  const occurredAt = canonicalInstant(event['occurredAt'] as string);
  if (occurredAt === null) {
    return fail(
      'SCHEMA_VIOLATION',
      '/occurredAt',
      `Expected an instant within the years 0000-9999 in UTC at /occurredAt, got ${describe(event['occurredAt'])}`,
    );
  }
  event['occurredAt'] = occurredAt;
  const latest = latestAcceptedInstant(limits);
  if (latest !== null && occurredAt > latest) {
    return fail(
      'EVENT_TIME_IN_FUTURE',
      '/occurredAt',
      `occurredAt ${occurredAt} lies more than ${limits.maxFutureSkewMs} ms ahead of now (latest accepted ${latest})`,
    );
  }

  const productId = event['productId'] as string;
  if (options !== undefined) {
    const key = options.key;
    if (key !== undefined) {
      if (key === null || key.length === 0) {
        return fail(
          'MISSING_KEY',
          '',
          `The record has no key; expected the productId ${JSON.stringify(productId)}`,
        );
      }
      if (!sameText(key, productId)) {
        return fail(
          'KEY_MISMATCH',
          '/productId',
          `Record key ${quote(key)} does not equal productId ${JSON.stringify(productId)}`,
        );
      }
    }
    const header = options.headers?.[HEADERS.eventType];
    // `!= null`: a header without a value (null from some clients) counts as absent.
    if (header != null) {
      const mismatch = Array.isArray(header)
        ? header.find((headerValue) => !sameText(headerValue, type))
        : sameText(header, type)
          ? undefined
          : header;
      if (mismatch !== undefined) {
        return fail(
          'HEADER_MISMATCH',
          '/type',
          `Header ${HEADERS.eventType} ${quote(mismatch)} does not equal type "${type}"`,
        );
      }
    }
  }
  return { ok: true, event: event as unknown as ProductEvent };
}

const REPLACEMENT_CHARACTER = '\ufffd';

/** Payloads longer than this (UTF-16 code units) get their depth checked before parsing. */
const PRESCAN_MIN_LENGTH = 8192;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Whether the text holds more than `limit` opening brackets (inside strings too). */
function bracketCountExceeds(text: string, limit: number): boolean {
  let count = 0;
  for (let index = text.indexOf('{'); index !== -1; index = text.indexOf('{', index + 1)) {
    if (++count > limit) return true;
  }
  for (let index = text.indexOf('['); index !== -1; index = text.indexOf('[', index + 1)) {
    if (++count > limit) return true;
  }
  return false;
}

/** Whether JSON text nests objects/arrays deeper than `maxDepth` (brackets in strings ignored). */
function textExceedsDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === BACKSLASH) index++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The first schema error of an event that failed the fast path, from the full checker. */
function schemaViolation(type: ProductEventType, event: Parsed): ParseResult {
  const first: ValueError | undefined = eventCheckers[type].Errors(event).First();
  if (first !== undefined) return fail('SCHEMA_VIOLATION', first.path, schemaMessage(first));
  // The patterns all match, so the date names a day that does not exist, e.g. February 30.
  return fail(
    'SCHEMA_VIOLATION',
    '/occurredAt',
    `Expected an existing calendar date at /occurredAt, got ${describe(event['occurredAt'])}`,
  );
}

/**
 * The path of the first object/array nested deeper than `remaining` levels, or null.
 * Recursion is bounded by maxDepth, so hostile (even cyclic) objects cannot blow the stack;
 * the path is only built on failure, so the valid path allocates nothing.
 */
function tooDeepPath(value: unknown, remaining: number): string[] | null {
  if (typeof value !== 'object' || value === null) return null;
  if (remaining === 0) return [];
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const path = tooDeepPath(value[index], remaining - 1);
      if (path !== null) {
        path.unshift(String(index));
        return path;
      }
    }
    return null;
  }
  for (const name in value) {
    const path = tooDeepPath((value as Parsed)[name], remaining - 1);
    if (path !== null) {
      path.unshift(name);
      return path;
    }
  }
  return null;
}

function toPointer(segments: readonly string[]): string {
  let pointer = '';
  for (const segment of segments) pointer += `/${segment.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  return pointer;
}

/** Compares a key/header (string or UTF-8 bytes) with a string without allocating for ASCII. */
function sameText(actual: string | Uint8Array, expected: string): boolean {
  if (typeof actual === 'string') return actual === expected;
  if (actual.length === expected.length) {
    let index = 0;
    for (; index < expected.length; index++) {
      const code = expected.charCodeAt(index);
      if (code >= 0x80) break;
      if (actual[index] !== code) return false;
    }
    if (index === expected.length) return true;
  }
  // Non-ASCII (or different lengths with multi-byte characters): compare decoded text.
  const bytes = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  return isUtf8(bytes) && bytes.toString('utf8') === expected;
}

/**
 * A key or header value quoted for an error message: at most {@link MAX_QUOTED_LENGTH}
 * characters, with its full size when cut (only a prefix of the bytes is decoded).
 */
function quote(value: string | Uint8Array): string {
  const isText = typeof value === 'string';
  const length = isText ? value.length : value.byteLength;
  const shown = Math.min(length, MAX_QUOTED_LENGTH);
  const text = isText
    ? value.slice(0, shown)
    : Buffer.from(value.buffer, value.byteOffset, shown).toString('utf8');
  if (length <= MAX_QUOTED_LENGTH) return JSON.stringify(text);
  return `${JSON.stringify(`${text}…`)} (${length} ${isText ? 'characters' : 'bytes'})`;
}

/**
 * `occurredAt` (already checked by {@link isDateTime}) as `YYYY-MM-DDTHH:mm:ss.sssZ`, or null
 * when the instant falls outside the years 0000-9999 in UTC. Producers of this platform write
 * the canonical form already: it is returned as is, without parsing (the hot path).
 */
function canonicalInstant(occurredAt: string): string | null {
  if (
    occurredAt.length === 24 &&
    occurredAt.charCodeAt(19) === DOT &&
    occurredAt.charCodeAt(23) === UPPER_Z
  ) {
    return occurredAt;
  }
  const canonical = new Date(Date.parse(occurredAt)).toISOString();
  // Years before 0000 or after 9999 take a sign and six digits ('-000001-…', '+010000-…').
  return canonical.length === 24 ? canonical : null;
}

/** The last result of {@link latestAcceptedInstant} (recomputed at most once per ms). */
let latestCache: { ms: number; text: string | null } = { ms: Number.NaN, text: null };

/**
 * `now() + maxFutureSkewMs` as canonical text, or null when it lies past the year 9999 (no
 * valid instant can be later). Canonical texts compare like their instants.
 */
function latestAcceptedInstant(limits: Limits): string | null {
  const ms = limits.now() + limits.maxFutureSkewMs;
  if (ms !== latestCache.ms) {
    latestCache = { ms, text: ms >= LAST_CANONICAL_MS ? null : new Date(ms).toISOString() };
  }
  return latestCache.text;
}

/** 10000-01-01T00:00:00.000Z: the first instant whose ISO text is not 24 characters long. */
const LAST_CANONICAL_MS = Date.UTC(10_000, 0, 1);
const DOT = 0x2e;
const UPPER_Z = 0x5a;

function schemaMessage(error: ValueError): string {
  const options = error.schema.anyOf as { const?: unknown }[] | undefined;
  const expected =
    options?.every((option) => 'const' in option) === true
      ? `Expected one of ${options.map((option) => JSON.stringify(option.const)).join(', ')}`
      : error.message;
  // The root is known to be an object here, so the path always names a field.
  return `${expected} at ${error.path}, got ${describe(error.value)}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  }
  return `${typeof value} ${String(value)}`;
}

/** Longest excerpt of an error raised while reading the input (JSON.parse quotes the input). */
const MAX_CAUSE_LENGTH = 200;

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > MAX_CAUSE_LENGTH ? `${message.slice(0, MAX_CAUSE_LENGTH)}…` : message;
}
