/** `options` without its `undefined` values. */
export type Defined<O> = { [K in keyof O]?: Exclude<O[K], undefined> };

/** The result of {@link mergeOptions}: every default present, the caller's other options kept. */
export type Merged<D, O> = Omit<O, keyof D> & {
  [K in keyof D]: K extends keyof O ? D[K] | Exclude<O[K], undefined> : D[K];
};

/**
 * A copy of `options` without its `undefined` values (`{ a: undefined }` is the same as `{}`),
 * so that spreading it over defaults never replaces a default with `undefined`.
 */
export function stripUndefined<O extends object>(options: O | null | undefined): Defined<O> {
  if (options === undefined || options === null) return {};
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Defined<O>;
}

/**
 * The one way a library resolves its options: the caller's defined values over the package's
 * frozen `DEFAULT_*` object. Validate the result afterwards (with {@link createOptionChecks}),
 * once, at construction.
 * @example
 * const resolved = mergeOptions(DEFAULT_SINK_OPTIONS, options); // then check each field
 */
export function mergeOptions<D extends object, O extends object>(
  defaults: D,
  options: O | null | undefined,
): Merged<D, O> {
  return { ...defaults, ...stripUndefined(options) } as Merged<D, O>;
}
