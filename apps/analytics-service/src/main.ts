#!/usr/bin/env node
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

async function run(config: ServiceConfig, command: Extract<Command, { kind: 'run' }>): Promise<void> {
  const demo = config.mode === 'demo';
  // The demo's packages are development dependencies: say so plainly when they are absent.
  if (demo) checkDemoDependencies();
  const progress = new ProgressReporter(process.stdout);
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
    { timeoutMs: config.shutdownTimeoutMs, logger: log },
  );
  // Whatever escapes (a rejected promise, a thrown callback) ends the process the same way as a
  // permanent fault: logged, bounded graceful shutdown, exit 1.
  handleProcessFaults({ logger: log, stop: (reason) => void signals.trigger(reason, EXIT.failed) });
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
      process.stdout.write(
        `Demo mode (KAFKA_BROKERS is not set) on Node.js ${process.version}. Metrics and health on ${url}/metrics\n`,
      );
      // Loaded only in demo mode: production never loads the local stack or the generator.
      const { Demo } = await import('./Demo.js');
      demoRun = new Demo({
        config,
        logger,
        telemetry,
        out: process.stdout,
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
      process.stdout.write(`Serving ${url}/metrics and /readyz; press Ctrl-C to stop.\n`);
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
    await Promise.allSettled([demoRun?.stop(), service?.stop(), http?.close()]);
    process.exit(EXIT.failed);
  }
}

async function main(argv: readonly string[]): Promise<number | undefined> {
  let command: Command;
  try {
    command = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof ArgumentsError)) throw error;
    process.stderr.write(`analytics-service: ${error.message}\n\n${USAGE}\n`);
    return EXIT.badConfig;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }

  let config: ServiceConfig;
  try {
    config =
      command.kind === 'metrics'
        ? loadConfig(process.env, { purpose: 'metrics' })
        : command.kind === 'run'
          ? loadConfig(process.env, { role: command.role })
          : loadConfig(process.env, { role: 'aggregate' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`analytics-service: ${error.message}\n`);
    return EXIT.badConfig;
  }

  // The stages write to partitions explicitly and the demo producer uses one partitioner for
  // all three topics, so kafkajs's notice about its v2 default partitioner is noise here.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

  if (command.kind === 'metrics') return runMetricsCommand(config, command, process.stdout, process.stderr);
  if (command.kind === 'dlq') return runDlq(config, command);
  if (command.kind === 'new-epoch') return runNewEpoch(config, command, process.stdout, process.stderr);
  if (command.kind !== 'run') return runPipelineCommand(config, command, process.stdout, process.stderr);
  await run(config, command);
  // Keeps running until a signal; the shutdown handler exits the process.
  return undefined;
}

main(process.argv.slice(2)).then(
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
