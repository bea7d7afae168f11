import type { AwsPrices } from './awsPrices.js';
import type { CapacityAssumptions } from './capacityAssumptions.js';
import { CapacityError } from './errors.js';
import type { BenchFigures } from './readBenchFigures.js';

/** What the operator plans for. */
export interface Workload {
  /** Product events per second, all three input topics together. */
  readonly eventsPerSecond: number;
  /** Products known to the system (deleted ones included: their state is kept). */
  readonly products: number;
  /** Sellers. */
  readonly sellers: number;
  /** Categories. */
  readonly categories: number;
  /** `MetricsReader` queries per second for one entity's current metrics. */
  readonly readsPerSecond: number;
  /** Growth of the event rate the input partitions must allow without a rescale. */
  readonly growth: number;
}

/** One priced line of the monthly bill. */
export interface CostLine {
  readonly item: string;
  readonly usdPerMonth: number;
}

/** A compacted topic's size on the brokers (upper bound, see `planCapacity`). */
export interface CompactedTopicSize {
  /** Distinct keys (one record each once compacted). */
  readonly keys: number;
  /** Bytes written per second. */
  readonly writeBytesPerSecond: number;
  /** One copy: clean part / (1 - dirty ratio) plus the uncompacted active segments. */
  readonly bytesPerReplica: number;
  /** All replicas. */
  readonly bytes: number;
}

/** The plan `planCapacity` derives. Bytes are bytes; GiB conversions happen when rendering. */
export interface CapacityPlan {
  readonly workload: Workload;
  readonly stage1: {
    readonly instances: number;
    readonly forThroughput: number;
    /** Instances beyond `forThroughput` that memory required. */
    readonly forMemory: number;
    readonly spare: number;
    readonly instanceType: string;
    readonly plannedEventsPerInstance: number;
  };
  readonly stage2: {
    readonly instances: number;
    readonly forThroughput: number;
    readonly spare: number;
    readonly instanceType: string;
    readonly metricChangesPerSecond: number;
    readonly plannedChangesPerInstance: number;
  };
  readonly partitions: {
    /** Input partitions = groups = partitions of every internal topic. */
    readonly input: number;
    /** Instances per stage the rate needs now (before growth). */
    readonly neededNow: number;
    /** Rate the partitions allow before a stage needs more members than groups. */
    readonly maxEventsPerSecond: number;
    readonly kafkaPartitions: number;
    readonly kafkaReplicas: number;
    readonly brokersForReplicaLimit: number;
  };
  readonly memory: {
    readonly stateBytesTotal: number;
    /** Groups one stage-1 member holds after one member was lost. */
    readonly groupsPerInstanceAfterLoss: number;
    readonly stateBytesPerInstance: number;
    readonly heapBytesPerInstance: number;
    readonly instanceMemoryBytes: number;
  };
  readonly restore: {
    readonly groupsLost: number;
    readonly recordsPerGroup: number;
    readonly groupSeconds: number;
    readonly afterMemberLossSeconds: number;
    readonly coldStartSeconds: number;
    readonly withinRestoreTimeout: boolean;
    /** The same with `advisedChangelogSegmentSeconds` as the changelog's `segment.ms`. */
    readonly advised: {
      readonly recordsPerGroup: number;
      readonly groupSeconds: number;
      readonly afterMemberLossSeconds: number;
    };
  };
  readonly dynamodb: {
    readonly writesPerSecond: number;
    readonly writeUnitsPerWrite: number;
    readonly writeUnitsPerSecond: number;
    readonly writeUnitsPerMonth: number;
    readonly rowsPerQuery: number;
    readonly readUnitsPerQuery: number;
    readonly readUnitsPerSecond: number;
    readonly readUnitsPerMonth: number;
    readonly currentRows: number;
    readonly historyRows: number;
    readonly storageBytes: number;
    /** Share of all events one seller or category may have before its key needs 1,000 WRU/s, nothing coalesced. */
    readonly hotKeyShare: number;
    /** The same share per `CUR#G<g>` item once DynamoDB has split the key's items over partitions. */
    readonly hotKeyShareSpread: number;
  };
  readonly s3: {
    readonly objectsPerSecond: number;
    readonly putsPerMonth: number;
    /** PUTs if every metric-changes partition wrote one object per second (small batches). */
    readonly putsPerMonthSmallBatches: number;
    readonly bytesPerMonth: number;
    /** Archive size and storage cost at the end of months 1, 3, 6 and 12 (or `archiveMonths`). */
    readonly archive: readonly { readonly month: number; readonly bytes: number; readonly usd: number }[];
    readonly yearStorageUsd: number;
  };
  readonly kafka: {
    readonly changelog: CompactedTopicSize;
    readonly metricChanges: CompactedTopicSize;
  };
  readonly costs: readonly CostLine[];
  readonly totalUsdPerMonth: number;
}

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** Expected distinct groups holding `items` products spread evenly at random over `groups` groups. */
export function expectedGroupsHit(groups: number, items: number): number {
  if (items <= 0) return 0;
  return groups * (1 - (1 - 1 / groups) ** items);
}

/**
 * Derives a capacity plan from measured bench figures, a workload, prices and assumptions.
 *
 * - stage 1: instances = rate / (figure 3 x utilisation), more when one member's state after a
 *   member loss would not fit the largest instance type, plus `spareInstances`;
 * - stage 2: metric changes/s (figure 4a reference per event) / (figure 4c x utilisation) + spare;
 * - input partitions: the smallest ladder value >= growth x the instances needed now;
 * - heap: after one member loss, the groups of the busiest survivor x products per group x
 *   figure 6, times `heapPerStateByte`, plus `baseHeapMiB`;
 * - restore: the lost member's groups read by the survivors at figure 8d records/s, each group
 *   holding up to products / (1 - dirty ratio) records plus its uncompacted active segment;
 * - DynamoDB: figure 4a writes per event, units from figure 4d sizes; history rows as if events
 *   spread evenly over sellers and categories (an upper bound);
 * - S3: figure 4b objects and bytes per event; Kafka: figures 8a-8c on compacted topics.
 * @throws {CapacityError} `INVALID_ARGUMENT` when the rate needs more partitions than the ladder holds.
 * @example
 * ```ts
 * const bench = readBenchFigures('bench/results/latest.json');
 * const workload = { eventsPerSecond: 10_000, products: 10_000_000, sellers: 100_000, categories: 1000, readsPerSecond: 100, growth: 4 };
 * const plan = planCapacity(bench, workload, AWS_PRICES, DEFAULT_CAPACITY_ASSUMPTIONS);
 * plan.stage1.instances; // members of stage 1, spare included
 * plan.totalUsdPerMonth;
 * ```
 */
export function planCapacity(
  bench: BenchFigures,
  workload: Workload,
  prices: AwsPrices,
  assumptions: CapacityAssumptions,
): CapacityPlan {
  const a = assumptions;
  const secondsPerMonth = a.hoursPerMonth * 3600;
  const rate = workload.eventsPerSecond;

  const types = Object.entries(prices.ec2)
    .filter(([, t]) => t.vcpus === bench.machine.cores)
    .sort(([, x], [, y]) => x.usdPerHour - y.usdPerHour);
  const cheapest = types[0];
  if (!cheapest) {
    throw new CapacityError(
      'INVALID_ARGUMENT',
      `the price table has no instance type with ${bench.machine.cores} vCPUs (the bench machine's cores)`,
    );
  }
  const largestHeap = Math.max(...types.map(([, t]) => t.memoryGiB * GiB * a.heapShareOfMemory));

  const plannedEventsPerInstance = bench.stage1EventsPerSecond * a.utilisation;
  const stage1ForThroughput = Math.max(1, Math.ceil(rate / plannedEventsPerInstance));
  const metricChangesPerSecond = (rate * bench.metricChangesPer1000Events) / 1000;
  const plannedChangesPerInstance = bench.sinkChangesPerSecond * a.utilisation;
  const stage2ForThroughput = Math.max(1, Math.ceil(metricChangesPerSecond / plannedChangesPerInstance));
  const stage2 = stage2ForThroughput + a.spareInstances;
  const stateBytesTotal = workload.products * bench.heapBytesPerProduct;

  const heapFor = (stateBytes: number): number => stateBytes * a.heapPerStateByte + a.baseHeapMiB * MiB;
  let stage1Active = stage1ForThroughput;
  let partitions = 0;
  let groupsAfterLoss = 0;
  let heap = 0;
  for (;;) {
    const stage1 = stage1Active + a.spareInstances;
    const needed = Math.max(stage1Active, stage2ForThroughput);
    const fit = a.partitionLadder.find((p) => p >= needed * workload.growth && p >= stage1 && p >= stage2);
    if (fit === undefined) {
      throw new CapacityError(
        'INVALID_ARGUMENT',
        `${rate} events/s with ${workload.products} products needs more than ${a.partitionLadder.at(-1)} input partitions (growth ${workload.growth}x); beyond this model`,
      );
    }
    partitions = fit;
    groupsAfterLoss = Math.ceil(partitions / Math.max(1, stage1 - 1));
    heap = heapFor((groupsAfterLoss * stateBytesTotal) / partitions);
    if (heap <= largestHeap) break;
    stage1Active++;
  }
  const stage1 = stage1Active + a.spareInstances;
  const [stage1Type, stage1Price] = types.find(([, t]) => t.memoryGiB * GiB * a.heapShareOfMemory >= heap)!;

  const neededNow = Math.max(stage1ForThroughput, stage2ForThroughput);
  const kafkaPartitions = partitions * a.topicsPerGroup;
  const kafkaReplicas = kafkaPartitions * a.kafkaReplication;

  // Kafka: compacted topics hold up to clean / (1 - dirty ratio), plus active segments (never cleaned).
  const compacted = (keys: number, bytesPerRecord: number, recordsPerEvent: number): CompactedTopicSize => {
    const writeBytesPerSecond = rate * recordsPerEvent * bytesPerRecord;
    const active = Math.min(writeBytesPerSecond * a.kafkaSegmentSeconds, partitions * a.kafkaSegmentBytes);
    const bytesPerReplica = (keys * bytesPerRecord) / (1 - a.kafkaDirtyRatio) + active;
    return { keys, writeBytesPerSecond, bytesPerReplica, bytes: bytesPerReplica * a.kafkaReplication };
  };
  const sellerRows = workload.sellers * expectedGroupsHit(partitions, workload.products / workload.sellers);
  const categoryRows =
    workload.categories * expectedGroupsHit(partitions, workload.products / workload.categories);
  const currentRows = sellerRows + categoryRows;
  const changelog = compacted(
    workload.products,
    bench.changelogBytesPerRecord,
    bench.changelogRecordsPer1000Events / 1000,
  );
  const metricChanges = compacted(
    currentRows,
    bench.metricChangeBytesPerRecord,
    bench.metricChangesPer1000Events / 1000,
  );

  // Restore: the busiest survivor reads its new groups' changelog partitions at the measured rate.
  const recordsPerGroupWith = (segmentSeconds: number): number =>
    workload.products / partitions / (1 - a.kafkaDirtyRatio) +
    Math.min((changelog.writeBytesPerSecond / partitions) * segmentSeconds, a.kafkaSegmentBytes) /
      bench.changelogBytesPerRecord;
  const recordsPerGroup = recordsPerGroupWith(a.kafkaSegmentSeconds);
  const groupSeconds = recordsPerGroup / bench.restoreRecordsPerSecond;
  const groupsLost = Math.ceil(partitions / stage1);
  const survivors = Math.max(1, stage1 - 1);
  const afterMemberLossSeconds = a.sessionTimeoutSeconds + Math.ceil(groupsLost / survivors) * groupSeconds;
  const advisedRecordsPerGroup = recordsPerGroupWith(a.advisedChangelogSegmentSeconds);
  const advisedGroupSeconds = advisedRecordsPerGroup / bench.restoreRecordsPerSecond;
  const coldStartSeconds = Math.ceil(partitions / stage1) * groupSeconds;

  // DynamoDB.
  const writesPerSecond = (rate * bench.dynamoWritesPer1000Events) / 1000;
  const writeUnitsPerWrite = Math.ceil(bench.dynamoMaxItemBytes / a.dynamoBytesPerWriteUnit);
  const writeUnitsPerSecond = writesPerSecond * writeUnitsPerWrite;
  const rowsPerQuery = expectedGroupsHit(partitions, workload.products / workload.sellers);
  const readUnitsPerQuery =
    Math.max(1, Math.ceil((rowsPerQuery * bench.dynamoItemBytes) / a.dynamoBytesPerReadUnit)) * 0.5;
  const readUnitsPerSecond = workload.readsPerSecond * readUnitsPerQuery;
  const hours = a.historyTtlDays * 24;
  const eventsPerHour = rate * 3600;
  const historyRows =
    sellerRows * hours * (1 - Math.exp(-eventsPerHour / Math.max(1, sellerRows))) +
    categoryRows * hours * (1 - Math.exp(-eventsPerHour / Math.max(1, categoryRows)));
  const storageBytes = (currentRows + historyRows) * (bench.dynamoItemBytes + a.dynamoItemOverheadBytes);
  const hotKeyShare = Math.min(
    1,
    a.dynamoPartitionWriteUnits / (a.uncoalescedWritesPerEntityEvent * rate * writeUnitsPerWrite),
  );

  // S3.
  const objectsPerSecond = (rate * bench.s3ObjectsPer1000Events) / 1000;
  const bytesPerMonth = ((rate * bench.s3BytesPer1000Events) / 1000) * secondsPerMonth;
  const monthlyStorageUsd = (bytesPerMonth / GiB) * prices.s3.usdPerGbMonth;
  const archiveMonths = [1, 3, 6, 12].filter((m) => m < a.archiveMonths);
  archiveMonths.push(a.archiveMonths);
  const archive = archiveMonths.map((month) => ({
    month,
    bytes: month * bytesPerMonth,
    usd: month * monthlyStorageUsd,
  }));
  const yearStorageUsd = (monthlyStorageUsd * a.archiveMonths * (a.archiveMonths + 1)) / 2;

  const costs: CostLine[] = [
    {
      item: `stage 1: ${stage1} x ${stage1Type}`,
      usdPerMonth: stage1 * stage1Price.usdPerHour * a.hoursPerMonth,
    },
    {
      item: `stage 2: ${stage2} x ${cheapest[0]}`,
      usdPerMonth: stage2 * cheapest[1].usdPerHour * a.hoursPerMonth,
    },
    {
      item: 'DynamoDB write request units',
      usdPerMonth:
        ((writeUnitsPerSecond * secondsPerMonth) / 1e6) * prices.dynamodb.usdPerMillionWriteRequestUnits,
    },
    {
      item: 'DynamoDB read request units',
      usdPerMonth:
        ((readUnitsPerSecond * secondsPerMonth) / 1e6) * prices.dynamodb.usdPerMillionReadRequestUnits,
    },
    { item: 'DynamoDB storage', usdPerMonth: (storageBytes / GiB) * prices.dynamodb.usdPerGbMonth },
    {
      item: 'S3 PUTs',
      usdPerMonth: ((objectsPerSecond * secondsPerMonth) / 1000) * prices.s3.usdPerThousandPuts,
    },
    { item: `S3 storage (month ${a.archiveMonths})`, usdPerMonth: a.archiveMonths * monthlyStorageUsd },
    {
      item: 'Kafka storage (changelog + metric changes)',
      usdPerMonth: ((changelog.bytes + metricChanges.bytes) / GiB) * prices.msk.usdPerGbMonth,
    },
  ];

  return {
    workload,
    stage1: {
      instances: stage1,
      forThroughput: stage1ForThroughput,
      forMemory: stage1Active - stage1ForThroughput,
      spare: a.spareInstances,
      instanceType: stage1Type,
      plannedEventsPerInstance,
    },
    stage2: {
      instances: stage2,
      forThroughput: stage2ForThroughput,
      spare: a.spareInstances,
      instanceType: cheapest[0],
      metricChangesPerSecond,
      plannedChangesPerInstance,
    },
    partitions: {
      input: partitions,
      neededNow,
      maxEventsPerSecond: Math.min(
        partitions * plannedEventsPerInstance,
        (partitions * plannedChangesPerInstance * 1000) / bench.metricChangesPer1000Events,
      ),
      kafkaPartitions,
      kafkaReplicas,
      brokersForReplicaLimit: Math.ceil(kafkaReplicas / a.kafkaReplicasPerBroker),
    },
    memory: {
      stateBytesTotal,
      groupsPerInstanceAfterLoss: groupsAfterLoss,
      stateBytesPerInstance: (groupsAfterLoss * stateBytesTotal) / partitions,
      heapBytesPerInstance: heap,
      instanceMemoryBytes: stage1Price.memoryGiB * GiB,
    },
    restore: {
      groupsLost,
      recordsPerGroup,
      groupSeconds,
      afterMemberLossSeconds,
      coldStartSeconds,
      withinRestoreTimeout: groupSeconds <= a.restoreTimeoutSeconds,
      advised: {
        recordsPerGroup: advisedRecordsPerGroup,
        groupSeconds: advisedGroupSeconds,
        afterMemberLossSeconds:
          a.sessionTimeoutSeconds + Math.ceil(groupsLost / survivors) * advisedGroupSeconds,
      },
    },
    dynamodb: {
      writesPerSecond,
      writeUnitsPerWrite,
      writeUnitsPerSecond,
      writeUnitsPerMonth: writeUnitsPerSecond * secondsPerMonth,
      rowsPerQuery,
      readUnitsPerQuery,
      readUnitsPerSecond,
      readUnitsPerMonth: readUnitsPerSecond * secondsPerMonth,
      currentRows,
      historyRows,
      storageBytes,
      hotKeyShare,
      hotKeyShareSpread: Math.min(1, hotKeyShare * partitions),
    },
    s3: {
      objectsPerSecond,
      putsPerMonth: objectsPerSecond * secondsPerMonth,
      putsPerMonthSmallBatches: partitions * secondsPerMonth,
      bytesPerMonth,
      archive,
      yearStorageUsd,
    },
    kafka: { changelog, metricChanges },
    costs,
    totalUsdPerMonth: costs.reduce((sum, c) => sum + c.usdPerMonth, 0),
  };
}
