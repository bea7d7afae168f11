import { DecodeError } from './errors.js';
import { CURRENCY, parseJsonObject, readInteger, readString, readTimestamp } from './jsonFields.js';
import type { ProductState } from './types.js';

const CODE = 'INVALID_PRODUCT_STATE';

/**
 * Serialises a product state as compact UTF-8 JSON, the value of an `analytics.product-state`
 * changelog record (key: the product id). Short field names keep the changelog small:
 * `{"p":productId,"v":version,"s":sellerId,"c":category,"pc":priceCents,"cu":currency,"q":quantity,"st":status,"d":deleted,"t":updatedAt}`.
 * @example
 * ```ts
 * messages.push({ key: state.productId, value: encodeProductState(state), partition: group });
 * ```
 */
export function encodeProductState(state: ProductState): Buffer {
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
 * Parses and validates what {@link encodeProductState} wrote (unknown extra fields are ignored).
 * A state without `cu` (written before money was kept per currency) is refused.
 * @throws {DecodeError} code `INVALID_PRODUCT_STATE`, with the JSON pointer of the offending field
 *   in `path`, when the bytes are not UTF-8 JSON of a valid product state.
 * @example
 * ```ts
 * const state = decodeProductState(message.value);
 * ```
 */
export function decodeProductState(bytes: Uint8Array | string): ProductState {
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
  if (typeof currency !== 'string' || !(CURRENCY.test(currency) || (currency === '' && deleted))) {
    throw new DecodeError(
      CODE,
      '/cu',
      "expected an ISO 4217 currency code (three upper-case letters; '' only for a tombstone); states written before per-currency money carry none",
    );
  }
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
