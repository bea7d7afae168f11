import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { testStack } from '../../../local-stack/test/clients.js';

/**
 * A client for the test server configured as this package recommends: `maxAttempts: 1`, so the
 * sink's own retry layer (`@marketplace/retry`) is the only one and attempts can be counted.
 */
export function singleAttemptClient(): DynamoDBClient {
  const stack = testStack();
  return new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: stack.region,
    credentials: stack.credentials,
    maxAttempts: 1,
  });
}

/** An error shaped like the SDK's service exceptions. */
export function awsError(name: string, httpStatusCode: number, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, attempts: 1 },
  });
}

let injected = 0;

/**
 * FAULT INJECTION (the only SDK mock in these tests): an SDK middleware that throws the given
 * errors, one per request of `commandName`, before the request is sent, because a real server
 * cannot throttle or fail with a 5xx on demand. Added at the `build` step, outside the SDK's own
 * retry middleware. Returns the names of all commands seen, to count requests.
 */
export function injectFaults(
  client: { middlewareStack: DynamoDBClient['middlewareStack'] },
  commandName: string,
  errors: Error[],
): { seen: string[] } {
  const seen: string[] = [];
  const queue = [...errors];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      seen.push(context.commandName as string);
      if (context.commandName === commandName && queue.length > 0) throw queue.shift();
      return next(args);
    },
    { step: 'build', name: `faultInjection${++injected}` },
  );
  return { seen };
}
