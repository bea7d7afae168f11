export type { Logger } from '@marketplace/options';
export { coordinatorPartition, partitionLeaders, transactionCoordinator } from './coordinators.js';
export {
  DEFAULT_CREDENTIALS,
  DEFAULT_DYNAMO_OPTIONS,
  DEFAULT_KAFKA_OPTIONS,
  DEFAULT_REGION,
  DEFAULT_S3_OPTIONS,
  type DynamoOptions,
  type KafkaOptions,
  MAX_KAFKA_BROKERS,
  type S3Options,
} from './defaults.js';
export {
  LOCAL_STACK_ERROR_CODES,
  type LocalStackComponent,
  LocalStackError,
  type LocalStackErrorCode,
  type LocalStackErrorInit,
  LocalStackOptionsError,
} from './errors.js';
export { KafkaNode } from './KafkaNode.js';
export { type LocalStack, type LocalStackProcess, startLocalStack } from './localStack.js';
export { type PrepareOptions, prepareJavaServers } from './maven.js';
export type { StartLocalStackOptions } from './options.js';
export {
  ENV_NAMES,
  endpointsFromEnv,
  formatEnvExports,
  type LocalStackEndpoints,
  parseEnvFile,
  toEndpoints,
  toEnvVars,
} from './stackEnv.js';
