import { decodeProductState, type ProductState } from '@marketplace/analytics-aggregator';

/**
 * Packs a group's latest changelog values (product id -> value bytes) into one `ArrayBuffer`
 * that a restore thread transfers to the main thread (moved, not cloned): per product a 32-bit
 * key length, the UTF-8 key, a 32-bit value length and the value.
 */
export function packStates(states: ReadonlyMap<string, Uint8Array>): ArrayBuffer {
  let size = 0;
  const keys: Buffer[] = [];
  for (const [key, value] of states) {
    const bytes = Buffer.from(key, 'utf8');
    keys.push(bytes);
    size += 8 + bytes.length + value.length;
  }
  const buffer = new ArrayBuffer(size);
  const out = Buffer.from(buffer);
  let at = 0;
  let index = 0;
  for (const value of states.values()) {
    const key = keys[index++]!;
    out.writeUInt32LE(key.length, at);
    out.set(key, at + 4);
    at += 4 + key.length;
    out.writeUInt32LE(value.length, at);
    out.set(value, at + 4);
    at += 4 + value.length;
  }
  return buffer;
}

/**
 * Reads what {@link packStates} wrote, decoding every value with `decodeProductState`.
 * @throws {DecodeError} code `INVALID_PRODUCT_STATE` when a value is not a product state.
 */
export function unpackStates(buffer: ArrayBuffer): Map<string, ProductState> {
  const bytes = Buffer.from(buffer);
  const states = new Map<string, ProductState>();
  let at = 0;
  while (at < bytes.length) {
    const keyLength = bytes.readUInt32LE(at);
    const key = bytes.toString('utf8', at + 4, at + 4 + keyLength);
    at += 4 + keyLength;
    const valueLength = bytes.readUInt32LE(at);
    states.set(key, decodeProductState(bytes.subarray(at + 4, at + 4 + valueLength)));
    at += 4 + valueLength;
  }
  return states;
}
