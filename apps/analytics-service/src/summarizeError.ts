/** What of an error may be shown outside the process: identifiers and an HTTP status, no message. */
export interface ErrorSummary {
  /** `code` or `name` of the error when it looks like an identifier (e.g. `WRITE_FAILED`, `NotFound`). */
  error?: string;
  /** Identifier of the innermost `cause` when it differs (e.g. `ResourceNotFoundException`). */
  cause?: string;
  /** HTTP status of an AWS SDK error (`$metadata.httpStatusCode`) on the error or its cause chain. */
  status?: number;
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const MAX_DEPTH = 8;

function identifierOf(error: object): string | undefined {
  const { code, name } = error as { code?: unknown; name?: unknown };
  return [code, name].find(
    (candidate): candidate is string =>
      typeof candidate === 'string' && candidate !== 'Error' && IDENTIFIER.test(candidate),
  );
}

/**
 * Reduces an error to what a response body may carry: its `code` (or else its `name`) when that
 * is a short identifier, the same for the innermost cause, and the upstream HTTP status. Messages
 * never pass: AWS and Kafka messages can name accounts, principals and role ARNs. The full error
 * belongs in the log.
 */
export function summarizeError(error: unknown): ErrorSummary {
  const summary: ErrorSummary = {};
  let current: unknown = error;
  let innermost: string | undefined;
  for (let depth = 0; depth < MAX_DEPTH && typeof current === 'object' && current !== null; depth++) {
    const id = identifierOf(current);
    if (depth === 0 && id !== undefined) summary.error = id;
    if (id !== undefined) innermost = id;
    const status = (current as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
    if (typeof status === 'number' && Number.isInteger(status)) summary.status = status;
    current = (current as { cause?: unknown }).cause;
  }
  if (innermost !== undefined && innermost !== summary.error) summary.cause = innermost;
  return summary;
}
