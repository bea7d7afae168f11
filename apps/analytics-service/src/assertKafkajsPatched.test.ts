import { kafkajsPatchGaps } from '@marketplace/kafka-processor';
import { describe, expect, it } from 'vitest';
import { assertKafkajsPatched } from './assertKafkajsPatched.js';
import { ServiceError } from './errors.js';

describe('assertKafkajsPatched', () => {
  it('lets the workspace kafkajs (patched) through', () => {
    expect(() => assertKafkajsPatched(kafkajsPatchGaps())).not.toThrow();
  });

  it('refuses a kafkajs with gaps (KAFKAJS_UNPATCHED), naming each missing fix and its consequence', () => {
    // What kafkajsPatchGaps() reports for an unpatched kafkajs 2.2.4 (two of its three gaps).
    const gaps = [
      { fix: 'READ_COMMITTED_ABORTED_FILTER', consequence: 'records of aborted transactions pass' },
      { fix: 'UNDECODABLE_BATCH', consequence: 'the partition stalls' },
    ] as const;

    let error: unknown;
    try {
      assertKafkajsPatched(gaps);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ code: 'KAFKAJS_UNPATCHED', retryable: false });
    expect((error as Error).message).toContain(
      'READ_COMMITTED_ABORTED_FILTER: records of aborted transactions pass; UNDECODABLE_BATCH: the partition stalls',
    );
  });
});
