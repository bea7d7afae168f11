import { STOP_GRACE_MS } from './defaults.js';
import { LocalStackError } from './errors.js';
import { javaCommand } from './maven.js';
import { probeClient } from './probeClient.js';
import { type ManagedProcess, spawnServer } from './processes.js';
import { waitUntilReady } from './readiness.js';

/** What a {@link KafkaNode} needs to (re)start its JVM. */
export interface KafkaNodeInit {
  nodeId: number;
  /** `127.0.0.1:PORT` of its PLAINTEXT listener. */
  broker: string;
  logFile: string;
  cwd: string;
  /** JVM arguments (heap, class path, `kafka.Kafka`, properties file). */
  args: readonly string[];
  detached: boolean;
}

/**
 * One KRaft node (broker and controller) of the local Kafka broker or cluster, with the controls a
 * fault test needs: its PID, kill -9, a clean stop, freeze and thaw (SIGSTOP/SIGCONT) and a restart
 * on the same data. Obtain nodes from `LocalStack.kafka.nodes`.
 * @example
 * ```ts
 * const stack = await startLocalStack({ kafka: { brokers: 3 } });
 * const node = stack.kafka!.nodes[0]!;
 * await node.kill();   // SIGKILL, like a crash
 * await node.start();  // same data, back in the cluster
 * ```
 */
export class KafkaNode {
  /** `node.id` of this node (1-based). */
  readonly nodeId: number;
  /** `127.0.0.1:PORT` of its PLAINTEXT listener. */
  readonly broker: string;
  /** Its stdout/stderr and server log (appended across restarts). */
  readonly logFile: string;
  readonly #init: KafkaNodeInit;
  #process: ManagedProcess | undefined;
  #paused = false;

  /** Used by `startLocalStack`; the JVM starts with {@link KafkaNode.spawn}. */
  constructor(init: KafkaNodeInit) {
    this.#init = init;
    this.nodeId = init.nodeId;
    this.broker = init.broker;
    this.logFile = init.logFile;
  }

  /** PID of the running JVM, `undefined` while the node is down. */
  get pid(): number | undefined {
    return this.running ? this.#process?.pid : undefined;
  }

  /** Whether the JVM runs (also while paused). */
  get running(): boolean {
    return this.#process !== undefined && !this.#process.hasExited();
  }

  /** Whether the node is frozen by {@link KafkaNode.pause}. */
  get paused(): boolean {
    return this.running && this.#paused;
  }

  /** The current process (internal: the stack's stop and readiness use it). */
  get process(): ManagedProcess | undefined {
    return this.#process;
  }

  /** Starts the JVM without waiting (a no-op while it runs). */
  spawn(): void {
    if (this.running) return;
    this.#paused = false;
    this.#process = spawnServer({
      component: 'kafka',
      command: javaCommand(),
      args: this.#init.args,
      cwd: this.#init.cwd,
      logFile: this.#init.logFile,
      detached: this.#init.detached,
    });
  }

  /**
   * Starts the node again on its data (after {@link KafkaNode.kill} or {@link KafkaNode.stop}) and
   * resolves once it serves metadata that lists itself, i.e. it has registered with the controller
   * and is no longer fenced. A no-op while it runs.
   * @throws {LocalStackError} `START_FAILED` when the JVM exits, `START_TIMEOUT` after `timeoutMs`.
   */
  async start(timeoutMs = 120_000): Promise<void> {
    if (this.running) return;
    this.spawn();
    const admin = probeClient([this.broker]).admin();
    try {
      await waitUntilReady(
        this.#process as ManagedProcess,
        async () => {
          await admin.connect();
          const cluster = await admin.describeCluster();
          return cluster.brokers.some((b) => b.nodeId === this.nodeId);
        },
        timeoutMs,
        250,
      );
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** Kills the JVM with SIGKILL (a crash: no controlled shutdown) and waits until it is gone. */
  async kill(): Promise<void> {
    const proc = this.#process;
    if (proc === undefined || proc.hasExited()) return;
    this.#signal('SIGKILL');
    await proc.exited;
  }

  /**
   * Stops the node cleanly (SIGTERM: controlled shutdown, leadership moves first) and waits until
   * it is gone; SIGKILL after `graceMs`. A paused node is thawed first.
   */
  async stop(graceMs: number = STOP_GRACE_MS): Promise<void> {
    const proc = this.#process;
    if (proc === undefined || proc.hasExited()) return;
    if (this.#paused) this.resume();
    await proc.stop(graceMs);
  }

  /**
   * Freezes the JVM with SIGSTOP: its connections stay open but nothing answers.
   * @throws {LocalStackError} `NOT_RUNNING` when the node is down.
   */
  pause(): void {
    this.#signal('SIGSTOP');
    this.#paused = true;
  }

  /**
   * Thaws a node frozen by {@link KafkaNode.pause} (SIGCONT).
   * @throws {LocalStackError} `NOT_RUNNING` when the node is down.
   */
  resume(): void {
    this.#signal('SIGCONT');
    this.#paused = false;
  }

  /** Lets a detached node outlive this process (see `ManagedProcess.release`). */
  release(): void {
    this.#process?.release();
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) {
      throw new LocalStackError('NOT_RUNNING', `kafka node ${this.nodeId} is not running`, {
        component: 'kafka',
        logFile: this.logFile,
      });
    }
    process.kill(pid, signal);
  }
}
