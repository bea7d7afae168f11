/**
 * The default export of an ESM-only dependency, whichever way it was loaded. Our ESM build gets
 * the function itself; our CJS build loads the dependency with `require()` of an ES module
 * (Node >= 20.19), which yields the module namespace, so the function is its `default`.
 */
export function interopDefault<T>(imported: T | { default: T }): T {
  return typeof imported === 'function' ? (imported as T) : (imported as { default: T }).default;
}
