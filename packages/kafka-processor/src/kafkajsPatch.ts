import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** A fix of the workspace's kafkajs patch (`patches/kafkajs@2.2.4.patch`) that the loaded kafkajs lacks. */
export interface KafkajsPatchGap {
  /** Which fix: `READ_COMMITTED_ABORTED_FILTER`, `PRODUCE_RETRY_PER_PARTITION` or `UNDECODABLE_BATCH`. */
  fix: 'READ_COMMITTED_ABORTED_FILTER' | 'PRODUCE_RETRY_PER_PARTITION' | 'UNDECODABLE_BATCH';
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
 * the first record of the one aborted second through); the producer's send and the record batch
 * decoder are looked up for the per-partition retry and the undecodable-batch record. Services call it at start and refuse to run with a gap.
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
  const send = readFileSync(require.resolve('kafkajs/src/producer/sendMessages.js'), 'utf8');
  if (!send.includes('responsePerPartition')) {
    gaps.push({
      fix: 'PRODUCE_RETRY_PER_PARTITION',
      consequence:
        'a send retried after a partition leader moved to a broker that had already answered resolves without that partition (records lost from committed transactions)',
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
