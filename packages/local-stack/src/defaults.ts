/** Default region handed to AWS clients of the local stack. */
export const DEFAULT_REGION = 'us-east-1';

/** Dummy credentials the local S3 and DynamoDB servers accept (never real ones). */
export const DEFAULT_CREDENTIALS: Readonly<{ accessKeyId: string; secretAccessKey: string }> = Object.freeze({
  accessKeyId: 'local-stack',
  secretAccessKey: 'local-stack-secret',
});

/** Options of the Kafka broker or cluster (KRaft combined mode: every node is broker and controller). */
export interface KafkaOptions {
  /**
   * Number of KRaft nodes (each broker and controller, all voters of the quorum). With 3 or more,
   * the offsets topic, the transaction state log and created topics get replication factor 3 and
   * `min.insync.replicas` 2 (with 2 nodes: 2 and 1). @default 1
   */
  brokers?: number;
  /** Port of the PLAINTEXT listener of the first node; 0 picks a free one (other nodes always get free ports). @default 0 */
  port?: number;
  /** Maximum JVM heap in MiB, per node. @default 512 */
  heapMb?: number;
  /** How long to wait for a metadata request to succeed. @default 60000 */
  startTimeoutMs?: number;
  /** `auto.create.topics.enable`; off so tests create topics explicitly. @default false */
  autoCreateTopics?: boolean;
  /** Partitions of `__consumer_offsets` and `__transaction_state` (fewer = faster first use). @default 10 */
  internalTopicPartitions?: number;
  /** Extra `server.properties` entries, applied last. @default {} */
  brokerConfig?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Extra JVM options, placed after the defaults so they win, e.g. `['-XX:TieredStopAtLevel=4']`
   * to turn the optimising JIT back on for long benchmarks (the default is C1 only, for a fast
   * start). @default []
   */
  jvmOptions?: readonly string[];
}

/** Options of the DynamoDB-compatible server (dynalite, in memory). */
export interface DynamoOptions {
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** How long to wait for the server to answer. @default 20000 */
  startTimeoutMs?: number;
  /** How long a new table stays `CREATING` (dynalite's own default is 500). @default 0 */
  createTableMs?: number;
  /** How long a deleted table stays `DELETING`. @default 0 */
  deleteTableMs?: number;
}

/** Options of the S3-compatible server (S3Proxy, transient in-memory blob store). */
export interface S3Options {
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** Maximum JVM heap in MiB (objects live in it). @default 384 */
  heapMb?: number;
  /** How long to wait for the server to answer. @default 60000 */
  startTimeoutMs?: number;
}

/** Defaults of {@link KafkaOptions}. */
export const DEFAULT_KAFKA_OPTIONS: Readonly<Required<KafkaOptions>> = Object.freeze({
  brokers: 1,
  port: 0,
  heapMb: 512,
  startTimeoutMs: 60_000,
  autoCreateTopics: false,
  internalTopicPartitions: 10,
  brokerConfig: Object.freeze({}),
  jvmOptions: Object.freeze([]) as readonly string[],
});

/** Defaults of {@link DynamoOptions}. */
export const DEFAULT_DYNAMO_OPTIONS: Readonly<Required<DynamoOptions>> = Object.freeze({
  port: 0,
  startTimeoutMs: 20_000,
  createTableMs: 0,
  deleteTableMs: 0,
});

/** Defaults of {@link S3Options}. */
export const DEFAULT_S3_OPTIONS: Readonly<Required<S3Options>> = Object.freeze({
  port: 0,
  heapMb: 384,
  startTimeoutMs: 60_000,
});

/** Most KRaft nodes a local cluster may have (each is a JVM of `heapMb`). */
export const MAX_KAFKA_BROKERS = 5;

/** How long `stop()` waits for a server to exit after SIGTERM before it sends SIGKILL. */
export const STOP_GRACE_MS = 5_000;
