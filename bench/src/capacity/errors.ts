/** Every `code` a {@link CapacityError} can carry. */
export const CAPACITY_ERROR_CODES = Object.freeze([
  'INVALID_ARGUMENT',
  'BENCH_RESULTS_UNREADABLE',
  'FIGURE_MISSING',
] as const);

/**
 * Code of a {@link CapacityError}:
 * - `INVALID_ARGUMENT`: a command-line flag is unknown, missing or out of range (exit code 2);
 * - `BENCH_RESULTS_UNREADABLE`: the bench JSON cannot be read or parsed (exit code 1);
 * - `FIGURE_MISSING`: the bench JSON lacks a figure the plan needs, e.g. it predates it (exit code 1).
 */
export type CapacityErrorCode = (typeof CAPACITY_ERROR_CODES)[number];

/** The error of the capacity planner: a `code`, a message naming the flag, file or figure, and `cause`. */
export class CapacityError extends Error {
  override readonly name: string = 'CapacityError';
  /** What went wrong, from {@link CAPACITY_ERROR_CODES}. */
  readonly code: CapacityErrorCode;

  /** @param code see {@link CapacityErrorCode} */
  constructor(code: CapacityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
