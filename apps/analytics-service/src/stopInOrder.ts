import type { Logger } from '@marketplace/options';
import { describeError } from './describeError.js';

/** One step of a shutdown: what it stops (named in the log line when it fails) and how. */
export interface StopStep {
  /** What the step does, completing `failed to …`, e.g. `stop the sink stage`. */
  readonly what: string;
  /** Stops it; may return nothing when there is nothing to stop. */
  run(): Promise<unknown> | unknown;
}

/**
 * Runs the steps of a shutdown one after another; the steps of an inner array run concurrently.
 * A step that fails is logged (`failed to <what>`, with the error) and the steps after it still
 * run, so one failure does not leave the rest running.
 * @throws the first failure, once every step has run.
 * @example
 * ```ts
 * await stopInOrder(
 *   [
 *     [{ what: 'stop the sink stage', run: () => sink.stop() }, { what: 'stop the aggregate stage', run: () => processor.stop() }],
 *     { what: 'disconnect the Kafka admin', run: () => admin.disconnect() },
 *   ],
 *   log,
 * );
 * ```
 */
export async function stopInOrder(
  steps: ReadonlyArray<StopStep | readonly StopStep[]>,
  log: Logger,
): Promise<void> {
  const errors: unknown[] = [];
  const attempt = async (step: StopStep): Promise<void> => {
    try {
      await step.run();
    } catch (error) {
      errors.push(error);
      log.error(`failed to ${step.what}`, { error: describeError(error) });
    }
  };
  for (const step of steps) {
    const together: readonly StopStep[] = 'run' in step ? [step] : step;
    await Promise.all(together.map(attempt));
  }
  if (errors.length > 0) throw errors[0];
}
