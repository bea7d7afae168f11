import { type PartitionerName, partitionForKey } from './partitioners.js';

/** A record as {@link routeRecords} needs it: its key bytes. */
export interface KeyedRecord {
  /** Message key (the productId); `null` or empty when the record has none. */
  readonly key: Uint8Array | null;
}

/** A record whose key belongs to another group. */
export interface MisroutedRecord<M> {
  readonly message: M;
  /** The group (partition index) that owns the key. */
  readonly owner: number;
}

/** How {@link routeRecords} split a batch. */
export interface RoutedRecords<M> {
  /**
   * What this group reduces, in batch order: the records whose key it owns, and the keyless
   * records (no usable key to route by), which the reduce turns into `MISSING_KEY` dead letters
   * as before. When nothing is misrouted this is the input array itself (no copy).
   */
  readonly local: readonly M[];
  /** Records whose key another group owns, in batch order. */
  readonly misrouted: readonly MisroutedRecord<M>[];
  /** How many of `local` have no usable key (missing or empty). */
  readonly keyless: number;
}

/**
 * The routing decision of stage 1, pure: the owner of a product is a function of its key,
 * `partitionForKey(partitioner, key, groupCount)`, never of the partition the record arrived on.
 * Splits the records of one batch of group `group` into the ones this group applies (owned, plus
 * keyless ones that stay coded dead letters) and the misrouted ones with their owner.
 */
export function routeRecords<M extends KeyedRecord>(
  messages: readonly M[],
  group: number,
  groupCount: number,
  partitioner: PartitionerName,
): RoutedRecords<M> {
  let local: M[] | undefined;
  const misrouted: MisroutedRecord<M>[] = [];
  let keyless = 0;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    const key = message.key;
    const owner =
      key === null || key.length === 0
        ? -1
        : groupCount === 1
          ? 0
          : partitionForKey(partitioner, key, groupCount);
    if (owner === -1) keyless++;
    if (owner === -1 || owner === group) {
      local?.push(message);
      continue;
    }
    // First misrouted record: the local list so far is every record before it.
    local ??= messages.slice(0, index);
    misrouted.push({ message, owner });
  }
  return { local: local ?? messages, misrouted, keyless };
}
