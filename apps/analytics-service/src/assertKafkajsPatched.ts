import type { KafkajsPatchGap } from '@marketplace/kafka-processor';
import { ServiceError } from './errors.js';

/**
 * Refuses to run on a kafkajs that lacks fixes of the workspace's patch
 * (`patches/kafkajs@2.2.4.patch`): exactly-once and hostile input depend on them, so a build that
 * lost the patch (installed with npm, kafkajs upgraded) must not start.
 * @param gaps - what `kafkajsPatchGaps()` of `@marketplace/kafka-processor` found missing
 * @throws {ServiceError} code `KAFKAJS_UNPATCHED` naming every missing fix and what goes wrong without it.
 * @example
 * ```ts
 * assertKafkajsPatched(kafkajsPatchGaps());
 * ```
 */
export function assertKafkajsPatched(gaps: readonly KafkajsPatchGap[]): void {
  if (gaps.length === 0) return;
  throw new ServiceError(
    'KAFKAJS_UNPATCHED',
    `kafkajs lacks the fixes of patches/kafkajs@2.2.4.patch (install with pnpm from the workspace): ${gaps
      .map((gap) => `${gap.fix}: ${gap.consequence}`)
      .join('; ')}`,
  );
}
