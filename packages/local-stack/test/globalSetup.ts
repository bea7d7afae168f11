/**
 * Vitest global setup of the `integration` project: one local stack for the whole run.
 *
 * Reuses a stack that is already running instead of starting one, in this order:
 * 1. env KAFKA_BROKERS + DYNAMODB_ENDPOINT + S3_ENDPOINT (AWS_REGION / AWS_ACCESS_KEY_ID /
 *    AWS_SECRET_ACCESS_KEY optional), e.g. after `eval "$(pnpm stack env)"`;
 * 2. env LOCAL_STACK_ENV_FILE naming a file with those variables (`pnpm stack env > file`);
 * 3. the state file of `pnpm stack up` (`.local-stack/state.json`) when all its processes live.
 * Otherwise it starts Kafka, dynalite and S3Proxy and stops them in teardown.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import type { TestProject } from 'vitest/node';
import { DEFAULT_CREDENTIALS, DEFAULT_REGION } from '../src/defaults.js';
import { startLocalStack } from '../src/localStack.js';
import { httpAnswers } from '../src/readiness.js';
import { endpointsFromEnv, type LocalStackEndpoints, parseEnvFile, toEndpoints } from '../src/stackEnv.js';
import { liveProcesses, readState, stateDir } from '../src/stateFile.js';
import './providedContext.js';

const defaults = { region: DEFAULT_REGION, credentials: { ...DEFAULT_CREDENTIALS } };

function say(message: string): void {
  process.stderr.write(`[local-stack] ${message}\n`);
}

/** A stack that is already running, per the rules in this file's header, if any. */
export function findRunningStack(env: NodeJS.ProcessEnv = process.env): LocalStackEndpoints | undefined {
  const fromEnv = endpointsFromEnv(env, defaults);
  if (fromEnv) return fromEnv;
  if (env.LOCAL_STACK_ENV_FILE) {
    const fromFile = endpointsFromEnv(parseEnvFile(readFileSync(env.LOCAL_STACK_ENV_FILE, 'utf8')), defaults);
    if (!fromFile) throw new Error(`LOCAL_STACK_ENV_FILE=${env.LOCAL_STACK_ENV_FILE} names no endpoints`);
    return fromFile;
  }
  const state = readState(stateDir());
  if (state && liveProcesses(state).length === state.processes.length) return state.endpoints;
  return undefined;
}

/** Fails fast, with the endpoint named, when a stack to reuse does not answer. */
async function checkReachable(stack: LocalStackEndpoints): Promise<void> {
  for (const url of [stack.dynamodbEndpoint, stack.s3Endpoint]) {
    await httpAnswers(url, 3_000).catch((error: unknown) => {
      throw new Error(
        `local stack to reuse does not answer at ${url}; unset the env or run \`pnpm stack up\``,
        {
          cause: error,
        },
      );
    });
  }
  const admin = new Kafka({
    brokers: stack.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: 1 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    throw new Error(`local stack to reuse: no Kafka broker answers at ${stack.kafkaBrokers.join(',')}`, {
      cause: error,
    });
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const running = findRunningStack();
  if (running) {
    await checkReachable(running);
    say(`reusing the running stack (kafka ${running.kafkaBrokers.join(',')})`);
    project.provide('localStack', running);
    return undefined;
  }
  const stack = await startLocalStack({ onProgress: say });
  project.provide('localStack', toEndpoints(stack));
  return async () => {
    await stack.stop();
  };
}
