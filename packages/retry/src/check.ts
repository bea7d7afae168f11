import { createOptionChecks } from '@marketplace/options';
import { RetryOptionsError } from './errors.js';

/** The option checks of this package: `(value, field, ...)`, throwing {@link RetryOptionsError}. */
export const check = createOptionChecks((field, message) => new RetryOptionsError(field, message));
