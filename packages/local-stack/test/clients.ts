/**
 * Clients for integration tests, built from the endpoints the global setup provides. Other
 * packages import this file as `../../../local-stack/test/clients.js`.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import type { LocalStackEndpoints } from './providedContext.js';

export type { LocalStackEndpoints };

/** The endpoints of the local stack of this test run. */
export function testStack(): LocalStackEndpoints {
  return inject('localStack');
}

/**
 * A name unique to this call, valid as a Kafka topic, consumer group, DynamoDB table and S3
 * bucket: lowercase letters, digits and hyphens, at most 63 characters.
 */
export function uniqueName(prefix: string): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'test';
  return `${clean}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * A kafkajs client for the test broker. Silent by default; kafkajs itself honours
 * `KAFKAJS_LOG_LEVEL=warn|info|debug` to debug a test.
 *
 * Tip: create test consumers with a small `maxWaitTimeInMs` (e.g. 100): `consumer.stop()` and
 * `disconnect()` wait for the fetch in flight, which otherwise long-polls for 5 s.
 */
export function kafkaClient(
  clientId: string = uniqueName('client'),
  config: Partial<KafkaConfig> = {},
): Kafka {
  return new Kafka({ clientId, brokers: testStack().kafkaBrokers, logLevel: logLevel.NOTHING, ...config });
}

/** A DynamoDB client for the test server (dynalite). */
export function dynamoClient(): DynamoDBClient {
  const stack = testStack();
  return new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: stack.region,
    credentials: stack.credentials,
  });
}

/** An S3 client for the test server (S3Proxy), path-style. */
export function s3Client(): S3Client {
  const stack = testStack();
  return new S3Client({
    endpoint: stack.s3Endpoint,
    region: stack.region,
    credentials: stack.credentials,
    forcePathStyle: true,
  });
}

/** Polls `check` until it returns a value other than `undefined`, or throws after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`, { cause: lastError });
}
