export { createOptionChecks, type OptionChecks, type OptionsErrorFactory } from './createOptionChecks.js';
export { type Logger, SILENT_LOGGER } from './logger.js';
export { type Defined, type Merged, mergeOptions, stripUndefined } from './mergeOptions.js';
