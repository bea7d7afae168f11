/**
 * `name: message (HTTP status)` of an error for the log: AWS errors without a body (HeadBucket
 * 404) say little else. The message is left out when it only repeats the name; anything that is
 * not an `Error` is shown as `String(value)`.
 * @example
 * ```ts
 * describeError(Object.assign(new Error(''), { name: 'NotFound', $metadata: { httpStatusCode: 404 } })); // 'NotFound (HTTP 404)'
 * ```
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const text = error.message && error.message !== error.name ? `${error.name}: ${error.message}` : error.name;
  return status === undefined ? text : `${text} (HTTP ${status})`;
}
