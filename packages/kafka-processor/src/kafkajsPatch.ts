import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** A fix of the workspace's kafkajs patch (`patches/kafkajs@2.2.4.patch`) that the loaded kafkajs lacks. */
export interface KafkajsPatchGap {
  /** Which fix: `READ_COMMITTED_ABORTED_FILTER` or `UNDECODABLE_BATCH`. */
  fix: 'READ_COMMITTED_ABORTED_FILTER' | 'UNDECODABLE_BATCH';
  /** What goes wrong without it. */
  consequence: string;
}

type AbortFilter = (input: {
  messages: Array<{ offset: string; key: Buffer | null; isControlRecord: boolean; batchContext: object }>;
  abortedTransactions: Array<{ producerId: string; firstOffset: string }>;
}) => unknown[];

/**
 * Checks the kafkajs this process loads for the fixes of the workspace's kafkajs patch, which
 * exactly-once and hostile input depend on: the read_committed filter of aborted transactions is
 * run on two overlapping transactions aborted in the other order (unpatched kafkajs 2.2.4 lets
 * the first record of the one aborted second through), and the record batch decoder is looked up
 * for the undecodable-batch record. Services call it at start and refuse to run with a gap.
 * @returns the missing fixes; empty when kafkajs is patched.
 * @example
 * const gaps = kafkajsPatchGaps();
 * if (gaps.length > 0) throw new Error(gaps.map((g) => g.consequence).join('; '));
 */
export function kafkajsPatchGaps(): KafkajsPatchGap[] {
  const require = createRequire(import.meta.url);
  const gaps: KafkajsPatchGap[] = [];
  const filter = require('kafkajs/src/consumer/filterAbortedMessages.js') as AbortFilter;
  const record = (offset: string, producerId: string) => ({
    offset,
    key: Buffer.from('k'),
    isControlRecord: false,
    batchContext: { producerId, inTransaction: true },
  });
  // Producer 2 opened at offset 0, producer 1 at 1; 1 aborted first, so the broker lists it first.
  const kept = filter({
    messages: [record('0', '2'), record('1', '1')],
    abortedTransactions: [
      { producerId: '1', firstOffset: '1' },
      { producerId: '2', firstOffset: '0' },
    ],
  });
  if (kept.length > 0) {
    gaps.push({
      fix: 'READ_COMMITTED_ABORTED_FILTER',
      consequence:
        'read_committed consumers receive records of aborted transactions when transactions of two producers overlap in a partition (exactly-once is lost)',
    });
  }
  const decoder = readFileSync(require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js'), 'utf8');
  if (!decoder.includes('undecodableBatch')) {
    gaps.push({
      fix: 'UNDECODABLE_BATCH',
      consequence:
        'one record batch that cannot be decompressed fails every fetch of its partition (the partition stalls)',
    });
  }
  return gaps;
}
