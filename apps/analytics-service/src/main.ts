#!/usr/bin/env node
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PARSE_ERROR_CODES, PRODUCT_EVENT_TYPES } from '@marketplace/product-events';
import { type Command, parseArgs, USAGE } from './args.js';
import { createDynamoClient, createKafka, createS3Client } from './clients.js';
import { loadConfig, redactConfig, type ServiceConfig } from './config.js';
import type { Demo } from './Demo.js';
import { checkDemoDependencies } from './demoDependencies.js';
import { runDlq } from './dlqMain.js';
import { runNewEpoch } from './epochCommand.js';
import { ArgumentsError, ConfigError, MissingDemoDependencyError } from './errors.js';
import { handleProcessFaults } from './handleProcessFaults.js';
import {
  createHttpHandler,
  HTTP_ENDPOINTS,
  type HttpServer,
  type Readiness,
  startHttpServer,
} from './http.js';
import { createLogger, libraryLogger } from './logger.js';
import { runMetricsCommand } from './metricsCommand.js';
import { runPipelineCommand } from './pipelineCommand.js';
import { ProgressReporter } from './progress.js';
import { type RunningService, startService } from './service.js';
import { handleShutdownSignals } from './shutdown.js';
import { Telemetry } from './Telemetry.js';

/** Exit codes of the process. */
const EXIT = Object.freeze({ ok: 0, failed: 1, badConfig: 2 });

/** What the program touches of its process; {@link runMain} gets the real ones from the entry. */
export interface MainIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Ends the process once a running service has shut down (or failed to start). */
  exit(code: number): void;
  /** Signals that start the graceful shutdown. @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[];
  /** Emitter of `uncaughtException` / `unhandledRejection`. @default process */
  faultTarget?: NodeJS.EventEmitter;
}

async function run(
  config: ServiceConfig,
  command: Extract<Command, { kind: 'run' }>,
  io: MainIo,
): Promise<void> {
  const demo = config.mode === 'demo';
  // The demo's packages are development dependencies: say so plainly when they are absent.
  if (demo) checkDemoDependencies();
  const progress = new ProgressReporter(io.stdout);
  const logger = createLogger({ level: config.logLevel, pretty: demo, beforeWrite: () => progress.clear() });
  const log = libraryLogger(logger, 'main');
  // First line of every run: which runtime it is on (the repository pins one, see README.md).
  log.info('analytics-service starting', {
    node: process.version,
    role: command.role,
    mode: config.mode,
    pid: process.pid,
  });
  const telemetry = new Telemetry(PRODUCT_EVENT_TYPES, PARSE_ERROR_CODES);

  let http: HttpServer | undefined;
  let service: RunningService | undefined;
  let demoRun: Demo | undefined;
  const signals = handleShutdownSignals(
    async () => {
      await demoRun?.stop();
      await service?.stop();
      await http?.close();
    },
    {
      timeoutMs: config.shutdownTimeoutMs,
      logger: log,
      exit: io.exit,
      ...(io.signals === undefined ? {} : { signals: io.signals }),
    },
  );
  // Whatever escapes (a rejected promise, a thrown callback) ends the process the same way as a
  // permanent fault: logged, bounded graceful shutdown, exit 1.
  const removeFaultHandlers = handleProcessFaults({
    logger: log,
    stop: (reason) => void signals.trigger(reason, EXIT.failed),
    ...(io.faultTarget === undefined ? {} : { target: io.faultTarget }),
  });
  // The service logged `stage failed: stopping` with the error; fix the cause, then restart.
  const onFatal = (): void => {
    telemetry.recordFatal();
    void signals.trigger('stage failed', EXIT.failed);
  };
  let readiness: () => Promise<Readiness> = async () => ({ ready: false, reasons: [{ code: 'STARTING' }] });
  telemetry.setReadinessSource(async () => (await readiness()).ready);

  try {
    http = await startHttpServer(
      createHttpHandler({
        registry: telemetry.registry,
        readiness: () => readiness(),
        logger: libraryLogger(logger, 'http'),
      }),
      { ...config.http, logger: libraryLogger(logger, 'http') },
    );
    const url = `http://${http.host}:${http.port}`;
    log.info('HTTP endpoints listening', { url, endpoints: HTTP_ENDPOINTS });

    if (demo) {
      io.stdout.write(
        `Demo mode (KAFKA_BROKERS is not set) on Node.js ${process.version}. Metrics and health on ${url}/metrics\n`,
      );
      // Loaded only in demo mode: production never loads the local stack or the generator.
      const { Demo } = await import('./Demo.js');
      demoRun = new Demo({
        config,
        logger,
        telemetry,
        out: io.stdout,
        progress,
        onFatal,
        setReadiness: (fn) => {
          readiness = fn;
        },
      });
      await demoRun.run();
      if (command.once) {
        await signals.trigger('--once');
        return;
      }
      io.stdout.write(`Serving ${url}/metrics and /readyz; press Ctrl-C to stop.\n`);
      return;
    }

    log.info('starting', { role: command.role, config: redactConfig(config) });
    const kafka = createKafka(config, config.kafka.brokers, logger);
    const needsAws = command.role !== 'aggregate';
    service = await startService({
      config,
      role: command.role,
      kafka,
      ...(needsAws ? { dynamo: createDynamoClient(config), s3: createS3Client(config) } : {}),
      logger,
      telemetry,
      onFatal,
    });
    const running = service;
    readiness = () => running.readiness();
    log.info('started', { role: command.role });
  } catch (error) {
    // A signal during start-up stops what is starting; the shutdown handler ends the process.
    if (signals.shuttingDown()) return;
    log.error('failed to start', {
      error: error instanceof Error ? error.message : String(error),
      code: (error as { code?: unknown }).code,
    });
    signals.dispose();
    removeFaultHandlers();
    await Promise.allSettled([demoRun?.stop(), service?.stop(), http?.close()]);
    io.exit(EXIT.failed);
  }
}

/**
 * The `analytics-service` program: parses `argv`, reads the configuration from `io.env` and runs
 * the command. Resolves to the exit code of a command that ends by itself (`--help`, `metrics`,
 * `dlq`, bad arguments or configuration: 2), or to `undefined` once a service (or the demo) is
 * running: it then ends through `io.exit` after a signal, a fatal stage error or the demo's
 * `--once` report.
 *
 * @example
 * ```ts
 * const code = await runMain(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, exit: process.exit });
 * ```
 */
export async function runMain(argv: readonly string[], io: MainIo): Promise<number | undefined> {
  let command: Command;
  try {
    command = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof ArgumentsError)) throw error;
    io.stderr.write(`analytics-service: ${error.message}\n\n${USAGE}\n`);
    return EXIT.badConfig;
  }
  if (command.kind === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }

  let config: ServiceConfig;
  try {
    config =
      command.kind === 'metrics'
        ? loadConfig(io.env, { purpose: 'metrics' })
        : command.kind === 'run'
          ? loadConfig(io.env, { role: command.role })
          : loadConfig(io.env, { role: 'aggregate' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`analytics-service: ${error.message}\n`);
    return EXIT.badConfig;
  }

  // The stages write to partitions explicitly and the demo producer uses one partitioner for
  // all three topics, so kafkajs's notice about its v2 default partitioner is noise here.
  io.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

  if (command.kind === 'metrics') return runMetricsCommand(config, command, io.stdout, io.stderr);
  if (command.kind === 'dlq') return runDlq(config, command, io);
  if (command.kind === 'new-epoch') return runNewEpoch(config, command, io.stdout, io.stderr);
  if (command.kind !== 'run') return runPipelineCommand(config, command, io.stdout, io.stderr);
  await run(config, command, io);
  // Keeps running until a signal; the shutdown handler exits the process.
  return undefined;
}

/** Whether this module is the program Node.js was started with (not imported by a test). */
function isProgram(): boolean {
  const started = process.argv[1];
  return (
    started !== undefined && existsSync(started) && realpathSync(started) === fileURLToPath(import.meta.url)
  );
}

const processIo: MainIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  exit: (code) => process.exit(code),
};

/* v8 ignore if -- the program entry: the built app runs it in child processes (test/*.int.test.ts), whose coverage v8 does not collect here; test/main.int.test.ts runs runMain in process */
if (isProgram()) {
  runMain(process.argv.slice(2), processIo).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (error: unknown) => {
      const text =
        error instanceof MissingDemoDependencyError
          ? error.message
          : `fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
      process.stderr.write(`analytics-service: ${text}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
