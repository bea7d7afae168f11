import { DecodeError } from './errors.js';
import { CURRENCY, parseJsonObject, readInteger, readString, readTimestamp } from './jsonFields.js';
import type { ProductState } from './types.js';

const CODE = 'INVALID_PRODUCT_STATE';

/**
 * Format of the changelog values {@link encodeProductState} writes: the first byte is this
 * version, followed by the fields in binary (layout in the package README, "Changelog value
 * format"). A value whose first byte is `{` (or JSON white space) is the JSON format written
 * before it; {@link decodeProductState} reads both and refuses any other first byte.
 */
export const PRODUCT_STATE_FORMAT = 1;

const FLAG_DELETED = 0b01;
const FLAG_ACTIVE = 0b10;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `String.prototype.isWellFormed` (ES2024, in every Node this runs on; not in the `lib` typings). */
function wellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Serialises a product state as the value of an `analytics.product-state` changelog record (key:
 * the product id), in the compact binary format {@link PRODUCT_STATE_FORMAT}:
 * `[1][flags][version][priceCents][quantity][productId][sellerId][category][currency][updatedAt]`,
 * integers as unsigned LEB128 varints, strings as a varint byte length and UTF-8 bytes, flags bit 0
 * = deleted, bit 1 = active. A state holding a string that UTF-8 cannot carry (a lone surrogate)
 * is written as JSON instead ({@link encodeProductStateJson}), which keeps it exactly.
 * @example
 * ```ts
 * messages.push({ key: state.productId, value: encodeProductState(state), partition: group });
 * ```
 */
export function encodeProductState(state: ProductState): Buffer {
  const { productId, sellerId, category, currency, updatedAt } = state;
  if (
    !(
      wellFormed(productId) &&
      wellFormed(sellerId) &&
      wellFormed(category) &&
      wellFormed(currency) &&
      wellFormed(updatedAt)
    )
  ) {
    return encodeProductStateJson(state);
  }
  const p = utf8Length(productId);
  const s = utf8Length(sellerId);
  const c = utf8Length(category);
  const cu = utf8Length(currency);
  const t = utf8Length(updatedAt);
  const size =
    2 +
    varintSize(state.version) +
    varintSize(state.priceCents) +
    varintSize(state.quantity) +
    varintSize(p) +
    p +
    varintSize(s) +
    s +
    varintSize(c) +
    c +
    varintSize(cu) +
    cu +
    varintSize(t) +
    t;
  const out = Buffer.allocUnsafe(size);
  out[0] = PRODUCT_STATE_FORMAT;
  out[1] = (state.deleted ? FLAG_DELETED : 0) | (state.status === 'active' ? FLAG_ACTIVE : 0);
  let at = writeVarint(out, 2, state.version);
  at = writeVarint(out, at, state.priceCents);
  at = writeVarint(out, at, state.quantity);
  at = writeString(out, at, productId, p);
  at = writeString(out, at, sellerId, s);
  at = writeString(out, at, category, c);
  at = writeString(out, at, currency, cu);
  writeString(out, at, updatedAt, t);
  return out;
}

/**
 * Serialises a product state as compact UTF-8 JSON with short field names, the changelog format
 * before {@link PRODUCT_STATE_FORMAT}:
 * `{"p":productId,"v":version,"s":sellerId,"c":category,"pc":priceCents,"cu":currency,"q":quantity,"st":status,"d":deleted,"t":updatedAt}`.
 * {@link decodeProductState} reads it; kept for tools that want a readable value.
 * @example
 * ```ts
 * const readable = encodeProductStateJson(state).toString('utf8');
 * ```
 */
export function encodeProductStateJson(state: ProductState): Buffer {
  return Buffer.from(
    JSON.stringify({
      p: state.productId,
      v: state.version,
      s: state.sellerId,
      c: state.category,
      pc: state.priceCents,
      cu: state.currency,
      q: state.quantity,
      st: state.status,
      d: state.deleted,
      t: state.updatedAt,
    }),
    'utf8',
  );
}

/**
 * Decodes and validates a changelog value: the binary format {@link PRODUCT_STATE_FORMAT} (first
 * byte `1`) or the older JSON format (first byte `{`; unknown extra fields are ignored; a string
 * is always read as JSON). The same rules hold for both: a state without a currency (written
 * before money was kept per currency) is refused, timestamps come back as canonical UTC text.
 * This is the decoder for tools that read `analytics.product-state`.
 * @throws {DecodeError} code `INVALID_PRODUCT_STATE`, with the JSON pointer of the offending field
 *   in `path` (the JSON format's short names, e.g. `/cu`; `''` for the whole value, e.g. an unknown
 *   format version, truncated or trailing bytes).
 * @example
 * ```ts
 * const state = decodeProductState(message.value);
 * ```
 */
export function decodeProductState(bytes: Uint8Array | string): ProductState {
  if (typeof bytes === 'string') return decodeJson(bytes);
  const first = bytes[0];
  if (first === PRODUCT_STATE_FORMAT) return decodeBinary(bytes);
  // `{`, or white space JSON allows before it.
  if (first === 0x7b || first === 0x20 || first === 0x0a || first === 0x0d || first === 0x09) {
    return decodeJson(bytes);
  }
  throw new DecodeError(
    CODE,
    '',
    first === undefined
      ? 'a product state cannot be empty'
      : `unknown product state format ${first} (this decoder reads ${PRODUCT_STATE_FORMAT} and JSON)`,
  );
}

function decodeJson(bytes: Uint8Array | string): ProductState {
  const root = parseJsonObject(bytes, CODE, 'a product state');
  const status = root['st'];
  if (status !== 'active' && status !== 'inactive') {
    throw new DecodeError(CODE, '/st', 'expected "active" or "inactive"');
  }
  const deleted = root['d'];
  if (typeof deleted !== 'boolean') throw new DecodeError(CODE, '/d', 'expected a boolean');
  const currency = root['cu'];
  // States written before money was kept per currency have no `cu`: their currency is unknown,
  // so they are refused rather than guessed.
  if (typeof currency !== 'string') throw currencyError();
  checkCurrency(currency, deleted);
  return {
    productId: readString(root, 'p', '', CODE, true),
    version: readInteger(root, 'v', '', CODE, 1),
    sellerId: readString(root, 's', '', CODE, true),
    category: readString(root, 'c', '', CODE, false),
    priceCents: readInteger(root, 'pc', '', CODE, 0),
    currency,
    quantity: readInteger(root, 'q', '', CODE, 0),
    status,
    deleted,
    updatedAt: readTimestamp(root, 't', '', CODE),
  };
}

function checkCurrency(currency: string, deleted: boolean): void {
  if (!(CURRENCY.test(currency) || (currency === '' && deleted))) throw currencyError();
}

function currencyError(): DecodeError {
  return new DecodeError(
    CODE,
    '/cu',
    "expected an ISO 4217 currency code (three upper-case letters; '' only for a tombstone); states written before per-currency money carry none",
  );
}

/** A cursor over a binary value; every read checks the bounds. */
interface Reader {
  readonly bytes: Buffer;
  at: number;
}

function decodeBinary(bytes: Uint8Array): ProductState {
  const r: Reader = {
    bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    at: 2,
  };
  const flags = bytes[1];
  if (flags === undefined || flags > (FLAG_DELETED | FLAG_ACTIVE)) {
    throw new DecodeError(CODE, '/d', 'expected flags 0 to 3 after the format byte');
  }
  const version = readVarint(r, '/v');
  if (version < 1) throw new DecodeError(CODE, '/v', 'expected a safe integer >= 1');
  const priceCents = readVarint(r, '/pc');
  const quantity = readVarint(r, '/q');
  const productId = readUtf8(r, '/p');
  if (productId === '') throw new DecodeError(CODE, '/p', 'expected a non-empty string');
  const sellerId = readUtf8(r, '/s');
  if (sellerId === '') throw new DecodeError(CODE, '/s', 'expected a non-empty string');
  const category = readUtf8(r, '/c');
  const currency = readUtf8(r, '/cu');
  const deleted = (flags & FLAG_DELETED) !== 0;
  checkCurrency(currency, deleted);
  const updatedAt = readTimestamp({ t: readUtf8(r, '/t') }, 't', '', CODE);
  if (r.at !== bytes.length) {
    throw new DecodeError(CODE, '', `${bytes.length - r.at} bytes after the last field`);
  }
  return {
    productId,
    version,
    sellerId,
    category,
    priceCents,
    currency,
    quantity,
    status: (flags & FLAG_ACTIVE) !== 0 ? 'active' : 'inactive',
    deleted,
    updatedAt,
  };
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) size += 1;
  return size;
}

/** Unsigned LEB128 of a safe integer >= 0 (arithmetic, not 32-bit bit operations). */
function writeVarint(out: Buffer, at: number, value: number): number {
  let v = value;
  let i = at;
  while (v >= 0x80) {
    out[i++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[i++] = v;
  return i;
}

/** UTF-8 byte length; ASCII text (nearly every field) is counted without a native call. */
function utf8Length(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text, 'utf8');
  }
  return text.length;
}

function writeString(out: Buffer, at: number, text: string, length: number): number {
  const start = writeVarint(out, at, length);
  if (length === text.length) {
    // ASCII: one byte per character.
    for (let i = 0; i < length; i++) out[start + i] = text.charCodeAt(i);
  } else {
    out.write(text, start, length, 'utf8');
  }
  return start + length;
}

function readVarint(r: Reader, path: string): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = r.bytes[r.at++];
    if (byte === undefined) throw new DecodeError(CODE, path, 'the value ends inside this field');
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
    scale *= 0x80;
  }
  if (!Number.isSafeInteger(value)) throw new DecodeError(CODE, path, 'expected a safe integer >= 0');
  return value;
}

function readUtf8(r: Reader, path: string): string {
  const length = readVarint(r, path);
  const start = r.at;
  const end = start + length;
  if (end > r.bytes.length) throw new DecodeError(CODE, path, 'the value ends inside this field');
  r.at = end;
  if (length === 0) return '';
  // Nearly every field is ASCII (ids, codes, timestamps): one native slice, no decoder call.
  let ascii = true;
  for (let i = start; i < end; i++) {
    if ((r.bytes[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return r.bytes.toString('latin1', start, end);
  try {
    return utf8.decode(r.bytes.subarray(start, end));
  } catch (cause) {
    throw new DecodeError(CODE, path, 'expected UTF-8 text', { cause });
  }
}
