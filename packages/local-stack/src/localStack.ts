import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StartedDynamo, startDynamo } from './dynamoServer.js';
import { type LocalStackComponent, LocalStackError } from './errors.js';
import type { KafkaNode } from './KafkaNode.js';
import { type StartedKafka, startKafka } from './kafkaServer.js';
import { checkPrerequisites, prepareJavaServers } from './maven.js';
import { resolveOptions, type StartLocalStackOptions } from './options.js';
import { removeOnExit } from './processes.js';
import { type StartedS3, startS3 } from './s3Server.js';

/** One server process of a running stack. */
export interface LocalStackProcess {
  component: LocalStackComponent;
  pid: number;
  /** Its stdout/stderr and own log. */
  logFile: string;
  /** The Kafka `node.id`, for the nodes of a Kafka cluster (`kafka.brokers` > 1). */
  nodeId?: number;
}

/** A running local stack: endpoints for clients, and `stop()`. */
export interface LocalStack {
  /**
   * The Kafka broker (or cluster), when started: bootstrap addresses, and each node with its PID
   * and the controls of fault tests (kill, stop, pause, resume, start again).
   */
  kafka?: { brokers: string[]; nodes: readonly KafkaNode[] };
  /** The DynamoDB-compatible endpoint (`http://127.0.0.1:PORT`), when started. */
  dynamodb?: { endpoint: string };
  /** The S3-compatible endpoint (path-style addressing), when started. */
  s3?: { endpoint: string };
  /** Region to configure AWS clients with. */
  region: string;
  /** Dummy credentials the servers accept. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The server processes (PIDs and log files) as started; a restarted Kafka node has a new PID (see `kafka.nodes`). */
  processes: readonly LocalStackProcess[];
  /** Folder holding every server's data and logs; removed by `stop()`. */
  dir: string;
  /** Stops every server and removes `dir`. Safe to call more than once. */
  stop(): Promise<void>;
}

type Started = StartedKafka | StartedDynamo | StartedS3;

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function isKafka(started: Started): started is StartedKafka {
  return 'nodes' in started;
}

/** Stops a started server (every node of a Kafka cluster). */
async function stopStarted(started: Started): Promise<void> {
  if (isKafka(started)) await Promise.all(started.nodes.map((node) => node.stop()));
  else await started.process.stop();
}

/** The processes of a started server, for `LocalStack.processes`. */
function processesOf(started: Started): LocalStackProcess[] {
  if (!isKafka(started)) {
    const { component, pid, logFile } = started.process;
    return [{ component, pid, logFile }];
  }
  const cluster = started.nodes.length > 1;
  return started.nodes.map((node) => ({
    component: 'kafka',
    pid: node.pid ?? -1,
    logFile: node.logFile,
    ...(cluster ? { nodeId: node.nodeId } : {}),
  }));
}

/**
 * Starts a real Apache Kafka broker (KRaft, one node, or a cluster of `kafka.brokers` nodes), dynalite and S3Proxy on free ports of
 * 127.0.0.1, in parallel, and resolves once each answers. Every call starts its own servers.
 * The first call may run Maven to resolve the Java servers (see `prepareJavaServers`).
 *
 * If any server fails, the ones already started are stopped and the error is thrown.
 * Servers are killed when this process exits, unless `detached` is set.
 *
 * @throws {LocalStackError} `INVALID_OPTIONS`, `PREREQUISITE_MISSING`, `MAVEN_RESOLVE_FAILED`,
 *   `START_FAILED` or `START_TIMEOUT` (the last two name the `component` and its `logFile`).
 * @example
 * ```ts
 * const stack = await startLocalStack({ s3: false });
 * const kafka = new Kafka({ brokers: stack.kafka!.brokers });
 * // ...
 * await stack.stop();
 *
 * // Three brokers (RF 3, min ISR 2) and a crash of one of them:
 * const cluster = await startLocalStack({ kafka: { brokers: 3 }, dynamodb: false, s3: false });
 * await cluster.kafka!.nodes[1]!.kill();
 * await cluster.kafka!.nodes[1]!.start();
 * ```
 */
export async function startLocalStack(options: StartLocalStackOptions = {}): Promise<LocalStack> {
  const resolved = resolveOptions(options);
  const { onProgress: progress, logger } = resolved;
  const started = Date.now();
  const report = (message: string): void => {
    logger.debug(message);
    progress(message);
  };

  let classpaths: { kafka: string; s3proxy: string } | undefined;
  if (resolved.kafka || resolved.s3) {
    checkPrerequisites(false);
    classpaths = await prepareJavaServers({ onProgress: report });
  }

  const base = resolved.workDir ?? tmpdir();
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'local-stack-'));
  // Nothing is left behind when this process exits or is interrupted (also during the start-up
  // of a detached stack); a failed start unregisters so that the log named in the error stays
  // readable, and a detached stack unregisters once it runs.
  const keepDir = removeOnExit(dir);
  const subdir = (name: string): string => {
    const path = join(dir, name);
    mkdirSync(path, { recursive: true });
    return path;
  };

  const tasks: Array<Promise<Started>> = [];
  // A free port can be taken by another process between choosing and binding it: start once
  // more on fresh ports (and a fresh folder) when the failure says so and no port was fixed.
  const timed = async <T extends Started>(
    name: string,
    fixedPort: boolean,
    start: (folder: string) => Promise<T>,
  ): Promise<T> => {
    let value: T;
    try {
      value = await start(subdir(name));
    } catch (error) {
      if (
        fixedPort ||
        !(error instanceof LocalStackError) ||
        !error.retryable ||
        error.code !== 'START_FAILED'
      ) {
        throw error;
      }
      report(`${name}: ${error.message.split('\n')[0]}; retrying on another port`);
      value = await start(subdir(`${name}-retry`));
    }
    report(`${name}: ready after ${seconds(started)}`);
    return value;
  };
  const { kafka: kafkaOptions, dynamodb: dynamoOptions, s3: s3Options, detached } = resolved;
  const kafkaTask = kafkaOptions
    ? timed('kafka', kafkaOptions.port !== 0, (folder) =>
        startKafka({
          classpath: classpaths!.kafka,
          dir: folder,
          options: kafkaOptions,
          detached,
          progress: report,
        }),
      )
    : undefined;
  const dynamoTask = dynamoOptions
    ? timed('dynamodb', dynamoOptions.port !== 0, (folder) =>
        startDynamo({ dir: folder, options: dynamoOptions, detached, progress: report }),
      )
    : undefined;
  const s3Task = s3Options
    ? timed('s3', s3Options.port !== 0, (folder) =>
        startS3({
          classpath: classpaths!.s3proxy,
          dir: folder,
          options: s3Options,
          credentials: resolved.credentials,
          detached,
          progress: report,
        }),
      )
    : undefined;
  for (const task of [kafkaTask, dynamoTask, s3Task]) if (task) tasks.push(task);

  const results = await Promise.allSettled(tasks);
  const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    await Promise.all(ok.map(stopStarted));
    for (const failure of failures.slice(1))
      logger.error('local-stack: another component failed', { error: failure });
    // The data folder stays so that the log named in the error can be read.
    keepDir();
    throw failures[0];
  }

  const kafka = kafkaTask ? await kafkaTask : undefined;
  const dynamodb = dynamoTask ? await dynamoTask : undefined;
  const s3 = s3Task ? await s3Task : undefined;
  report(`local stack ready after ${seconds(started)}`);
  if (resolved.detached) {
    for (const s of ok) {
      if (isKafka(s)) for (const node of s.nodes) node.release();
      else s.process.release();
    }
    keepDir();
  }

  let stopping: Promise<void> | undefined;
  const stack: LocalStack = {
    ...(kafka ? { kafka: { brokers: kafka.brokers, nodes: kafka.nodes } } : {}),
    ...(dynamodb ? { dynamodb: { endpoint: dynamodb.endpoint } } : {}),
    ...(s3 ? { s3: { endpoint: s3.endpoint } } : {}),
    region: resolved.region,
    credentials: { ...resolved.credentials },
    processes: ok.flatMap(processesOf),
    dir,
    stop() {
      stopping ??= (async () => {
        await Promise.all(ok.map(stopStarted));
        rmSync(dir, { recursive: true, force: true });
        keepDir();
      })();
      return stopping;
    },
  };
  return stack;
}
