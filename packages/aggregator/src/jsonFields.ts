import { DecodeError } from './errors.js';

/** Error code a decoder reports. */
export type DecodeCode = 'INVALID_METRIC_CHANGE' | 'INVALID_PRODUCT_STATE';

/** A JSON object being read, with the JSON pointer it sits at. */
export type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * Parses UTF-8 bytes (or a string) as JSON and requires an object at the root.
 * @throws {DecodeError} with `code`, path `''`, when the bytes are not UTF-8, not JSON or not an object.
 */
export function parseJsonObject(bytes: Uint8Array | string, code: DecodeCode, what: string): JsonObject {
  let text: string;
  let parsed: unknown;
  try {
    text = typeof bytes === 'string' ? bytes : utf8.decode(bytes);
  } catch (cause) {
    throw new DecodeError(code, '', `${what} is not valid UTF-8`, { cause });
  }
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new DecodeError(code, '', `${what} is not valid JSON`, { cause });
  }
  return asObject(parsed, '', code, what);
}

/** Requires `value` to be a plain JSON object (not null, not an array). */
export function asObject(value: unknown, path: string, code: DecodeCode, what: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DecodeError(code, path, `expected ${what} as a JSON object`);
  }
  return value as JsonObject;
}

/** Reads a string field; `nonEmpty` rejects `''`. */
export function readString(
  object: JsonObject,
  key: string,
  path: string,
  code: DecodeCode,
  nonEmpty: boolean,
): string {
  const value = object[key];
  if (typeof value !== 'string' || (nonEmpty && value === '')) {
    throw new DecodeError(code, `${path}/${key}`, `expected a ${nonEmpty ? 'non-empty ' : ''}string`);
  }
  return value;
}

/**
 * Reads an ISO-8601 timestamp string (anything `Date.parse` understands) as canonical UTC text
 * (`YYYY-MM-DDTHH:mm:ss.sssZ`), which sorts like the instants it names: records written before
 * event times were normalised may carry offsets (`2026-11-25T23:30:00-05:00`).
 */
export function readTimestamp(object: JsonObject, key: string, path: string, code: DecodeCode): string {
  const value = object[key];
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new DecodeError(code, `${path}/${key}`, 'expected an ISO-8601 timestamp string');
  }
  const text = value as string;
  // The canonical form (all this pipeline writes) is kept without formatting it again.
  if (text.length === 24 && text.charCodeAt(19) === 0x2e && text.charCodeAt(23) === 0x5a) return text;
  return new Date(ms).toISOString();
}

/** Reads an integer in `[min, Number.MAX_SAFE_INTEGER]`. */
export function readInteger(
  object: JsonObject,
  key: string,
  path: string,
  code: DecodeCode,
  min: number,
): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new DecodeError(code, `${path}/${key}`, `expected a safe integer >= ${min}`);
  }
  return value;
}

/** Reads a non-negative integer written as a decimal string (a bigint on the wire). */
export function readDecimal(object: JsonObject, key: string, path: string, code: DecodeCode): bigint {
  const value = object[key];
  if (typeof value !== 'string' || !DECIMAL.test(value)) {
    throw new DecodeError(code, `${path}/${key}`, 'expected a non-negative integer as a decimal string');
  }
  return BigInt(value);
}

/** An ISO 4217 currency code as the event schema allows it: three upper-case ASCII letters. */
export const CURRENCY = /^[A-Z]{3}$/;

/**
 * Reads a per-currency map `{ "<code>": <value> }` (codes checked against {@link CURRENCY}, each
 * value read by `readValue`) into an object with keys in ascending order.
 */
export function readCurrencyMap<T>(
  object: JsonObject,
  key: string,
  path: string,
  code: DecodeCode,
  readValue: (map: JsonObject, currency: string, mapPath: string) => T,
): Record<string, T> {
  const mapPath = `${path}/${key}`;
  const map = asObject(object[key], mapPath, code, 'a map from currency code to amount');
  const result: Record<string, T> = {};
  for (const currency of Object.keys(map).sort()) {
    if (!CURRENCY.test(currency)) {
      throw new DecodeError(code, `${mapPath}/${currency}`, 'expected an ISO 4217 currency code as key');
    }
    result[currency] = readValue(map, currency, mapPath);
  }
  return result;
}
