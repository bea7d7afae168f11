/**
 * Planning assumptions: policy and platform facts, not measurements. Every measured input comes
 * from the bench JSON (see `readBenchFigures`); these are the choices and documented limits the
 * plan applies to them, listed in `docs/capacity.md`.
 */
export interface CapacityAssumptions {
  /** Share of a measured rate an instance is planned to run at (room to catch up after a restore). */
  readonly utilisation: number;
  /** Instances added to each stage so that one member loss keeps the rate and fits in memory. */
  readonly spareInstances: number;
  /** Heap needed per byte of live state (GC room). */
  readonly heapPerStateByte: number;
  /** Heap for everything but the state (clients, batches in flight, worker pool), MiB. */
  readonly baseHeapMiB: number;
  /** Share of an instance's memory given to the V8 heap (`--max-old-space-size`). */
  readonly heapShareOfMemory: number;
  /** Partition counts the planner picks from: multiples of 12 divide evenly among 1, 2, 3, 4, 6 or 12 members. */
  readonly partitionLadder: readonly number[];
  /** Kafka replication factor of the internal topics. */
  readonly kafkaReplication: number;
  /** Kafka `segment.bytes` default: the active segment is never compacted. */
  readonly kafkaSegmentBytes: number;
  /** Kafka `segment.ms` default, in seconds: the active segment rolls after this long at the latest. */
  readonly kafkaSegmentSeconds: number;
  /** `segment.ms` the runbook advises for `analytics.product-state`, in seconds: bounds the uncompacted tail a restore reads. */
  readonly advisedChangelogSegmentSeconds: number;
  /** Kafka `min.cleanable.dirty.ratio` default: a compacted log may hold up to 1 / (1 - ratio) times its clean size. */
  readonly kafkaDirtyRatio: number;
  /** Partition replicas per broker that Amazon MSK recommends at most for its large and xlarge sizes. */
  readonly kafkaReplicasPerBroker: number;
  /** Topics with the input partition count: 3 input topics and 5 internal ones (changelog, metric changes, dead letters, alerts, reroute). */
  readonly topicsPerGroup: number;
  /** Days of hourly history kept in DynamoDB (the sink's `historyTtlDays` default). */
  readonly historyTtlDays: number;
  /** DynamoDB storage overhead per item, bytes (AWS documentation). */
  readonly dynamoItemOverheadBytes: number;
  /** Bytes per write request unit. */
  readonly dynamoBytesPerWriteUnit: number;
  /** Bytes per read request unit (an eventually consistent read costs half a unit). */
  readonly dynamoBytesPerReadUnit: number;
  /** Write units per second one DynamoDB partition (and one item) accepts. */
  readonly dynamoPartitionWriteUnits: number;
  /** Writes one event can cause on its seller's or category's rows when nothing coalesces (current + hourly). */
  readonly uncoalescedWritesPerEntityEvent: number;
  /** kafkajs session timeout of stage 1: how long a lost member goes unnoticed (kafka-processor default). */
  readonly sessionTimeoutSeconds: number;
  /** Bound of one group's restore (kafka-processor `restoreTimeoutMs` default), seconds. */
  readonly restoreTimeoutSeconds: number;
  /** Hours per month, as AWS bills. */
  readonly hoursPerMonth: number;
  /** Months the S3 archive is followed. */
  readonly archiveMonths: number;
}

const GiB = 2 ** 30;

/**
 * The planner's defaults. `historyTtlDays`, `sessionTimeoutSeconds` and `restoreTimeoutSeconds`
 * mirror the package defaults (a test keeps them equal); the Kafka values are Kafka's documented
 * topic defaults; the DynamoDB values are AWS's documented units and limits.
 */
export const DEFAULT_CAPACITY_ASSUMPTIONS: CapacityAssumptions = Object.freeze({
  utilisation: 0.6,
  spareInstances: 1,
  heapPerStateByte: 1.5,
  baseHeapMiB: 512,
  heapShareOfMemory: 0.75,
  partitionLadder: Object.freeze([12, 24, 48, 96, 192, 384, 768, 1536, 3072]),
  kafkaReplication: 3,
  kafkaSegmentBytes: GiB,
  kafkaSegmentSeconds: 7 * 24 * 3600,
  advisedChangelogSegmentSeconds: 3600,
  kafkaDirtyRatio: 0.5,
  kafkaReplicasPerBroker: 1000,
  topicsPerGroup: 8,
  historyTtlDays: 30,
  dynamoItemOverheadBytes: 100,
  dynamoBytesPerWriteUnit: 1024,
  dynamoBytesPerReadUnit: 4096,
  dynamoPartitionWriteUnits: 1000,
  uncoalescedWritesPerEntityEvent: 2,
  sessionTimeoutSeconds: 30,
  restoreTimeoutSeconds: 120,
  hoursPerMonth: 730,
  archiveMonths: 12,
});
