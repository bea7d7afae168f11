import { describe, expect, it } from 'vitest';
import { kafkajsPatchGaps } from './kafkajsPatch.js';

describe('kafkajsPatchGaps', () => {
  it('finds every fix of patches/kafkajs@2.2.4.patch in the kafkajs the workspace installs', () => {
    // Fails when a kafkajs upgrade or an install without pnpm drops the patch: exactly-once
    // (the read_committed filter) and hostile input (undecodable batches) depend on it.
    expect(kafkajsPatchGaps()).toEqual([]);
  });
});
