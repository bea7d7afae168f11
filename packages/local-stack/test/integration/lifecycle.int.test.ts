import { existsSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalStackError } from '../../src/errors.js';
import { type LocalStack, startLocalStack } from '../../src/localStack.js';
import { freePort } from '../../src/ports.js';
import { isAlive } from '../../src/processes.js';

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

describe('startLocalStack lifecycle', () => {
  const stacks: LocalStack[] = [];
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.stop()));
    for (const server of servers.splice(0)) server.close();
  });

  it('starts two independent stacks side by side and stops each one twice without error', async () => {
    const [a, b] = await Promise.all([
      startLocalStack({ kafka: false, s3: false }),
      startLocalStack({ kafka: false, s3: false }),
    ]);
    stacks.push(a, b);

    expect(a.dynamodb?.endpoint).not.toBe(b.dynamodb?.endpoint);
    expect(await answers(a.dynamodb!.endpoint)).toBe(true);
    await a.stop();
    await a.stop();
    expect(await answers(a.dynamodb!.endpoint)).toBe(false);
    expect(a.processes.every((p) => !isAlive(p.pid))).toBe(true);
    expect(existsSync(a.dir)).toBe(false);
    expect(await answers(b.dynamodb!.endpoint)).toBe(true);
  });

  it('applies Kafka options: auto-created topics get the configured partition count', async () => {
    const stack = await startLocalStack({
      dynamodb: false,
      s3: false,
      kafka: { autoCreateTopics: true, brokerConfig: { 'num.partitions': 3 }, heapMb: 256 },
    });
    stacks.push(stack);
    const kafka = new Kafka({ brokers: stack.kafka!.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    const admin = kafka.admin();
    await Promise.all([producer.connect(), admin.connect()]);

    try {
      await producer.send({ topic: 'auto-created', messages: [{ value: 'x' }] });
      const metadata = await admin.fetchTopicMetadata({ topics: ['auto-created'] });

      expect(stack.processes.map((p) => p.component)).toEqual(['kafka']);
      expect(metadata.topics[0]?.partitions).toHaveLength(3);
    } finally {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    }
  });

  it('stops what it started and names the failing server and its log when one cannot start', async () => {
    const taken = await freePort();
    const blocker = createServer();
    servers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    const dynamoPort = await freePort();

    const failure = await startLocalStack({
      kafka: false,
      dynamodb: { port: dynamoPort },
      s3: { port: taken },
    }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(LocalStackError);
    expect(failure).toMatchObject({ code: 'START_FAILED', component: 's3' });
    const { logFile, message } = failure as LocalStackError;
    expect(logFile).toMatch(/s3proxy\.log$/);
    expect(existsSync(logFile!)).toBe(true);
    expect(message).toContain(logFile);
    expect(await answers(`http://127.0.0.1:${dynamoPort}/`)).toBe(false);
    // The data folder is kept after a failed start so the log can be read; clean it up here.
    rmSync(dirname(dirname(logFile!)), { recursive: true, force: true });
  });

  it('names the DynamoDB server and its log when its port is taken, and leaves no process behind', async () => {
    const taken = await freePort();
    const blocker = createServer();
    servers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));

    const failure = await startLocalStack({ kafka: false, dynamodb: { port: taken }, s3: false }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(LocalStackError);
    expect(failure).toMatchObject({ code: 'START_FAILED', component: 'dynamodb' });
    const { logFile, message } = failure as LocalStackError;
    expect(logFile).toMatch(/dynalite\.log$/);
    expect(message).toContain('EADDRINUSE');
    rmSync(dirname(dirname(logFile!)), { recursive: true, force: true });
  });
});
