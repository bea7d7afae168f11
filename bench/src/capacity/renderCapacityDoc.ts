import type { AwsPrices } from './awsPrices.js';
import type { CapacityAssumptions } from './capacityAssumptions.js';
import { formatPlanText, planTitle } from './formatPlanText.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLargeCount,
  formatPercent,
  formatUsd,
} from './formatUnits.js';
import { DEFAULT_CAPACITY_ARGS } from './parseCapacityArgs.js';
import { type CapacityPlan, planCapacity } from './planCapacity.js';
import { type BenchFigures, FIGURE_SOURCES } from './readBenchFigures.js';
import { workloadFromArgs } from './workloadFromArgs.js';

/** Event rates of the document's scenarios. */
export const DOC_RATES: readonly number[] = Object.freeze([1_000, 10_000, 100_000]);
/** Product counts of the document's scenarios. */
export const DOC_PRODUCTS: readonly number[] = Object.freeze([1_000_000, 10_000_000, 100_000_000]);

const FIGURE_USE: Record<keyof typeof FIGURE_SOURCES, string> = {
  stage1EventsPerSecond: 'stage-1 events/s of one instance (the whole bench machine, broker included)',
  sinkChangesPerSecond: 'metric changes/s of one stage-2 instance (against dynalite and S3Proxy)',
  metricChangesPer1000Events:
    'metric-change records per 1000 events: stage-2 load, metric-changes topic writes',
  dynamoWritesPer1000Events: 'DynamoDB write requests per 1000 events',
  dynamoItemBytes: 'mean DynamoDB item size: reads and storage',
  dynamoMaxItemBytes: 'largest DynamoDB item: write units per write',
  s3ObjectsPer1000Events: 'S3 objects per 1000 events (PUTs)',
  s3BytesPer1000Events: 'S3 bytes per 1000 events (archive growth)',
  restoreProductsPerSecond: 'products restored per second (context for 8d)',
  restoreRecordsPerSecond: 'changelog records read per second in a restore: restore time',
  heapBytesPerProduct: 'heap per product in stage-1 state: heap per instance',
  changelogBytesPerRecord: 'bytes per changelog record on the broker disk: Kafka storage, restore',
  changelogRecordsPer1000Events: 'changelog records per 1000 events: changelog write rate',
  metricChangeBytesPerRecord: 'bytes per metric-change record on the broker disk: Kafka storage',
};

function assumptionRows(a: CapacityAssumptions): string[][] {
  return [
    [
      'planned utilisation of a measured rate',
      formatPercent(a.utilisation),
      'room to catch up after a restore or a burst',
    ],
    [
      'spare instances per stage',
      String(a.spareInstances),
      'one member loss keeps the rate and fits in memory',
    ],
    ['heap per byte of state', `${a.heapPerStateByte}x`, 'GC room; not measured'],
    [
      'heap besides the state',
      `${a.baseHeapMiB} MiB`,
      'clients, batches in flight, worker pool; not measured',
    ],
    [
      'heap share of instance memory',
      formatPercent(a.heapShareOfMemory),
      'the rest for the worker thread, buffers, the OS',
    ],
    [
      'input partition counts',
      a.partitionLadder.join(', '),
      'multiples of 12 divide evenly among 1, 2, 3, 4, 6 or 12 members',
    ],
    ['Kafka replication factor', String(a.kafkaReplication), 'internal topics'],
    [
      'Kafka segment.bytes / segment.ms',
      `${formatBytes(a.kafkaSegmentBytes)} / ${a.kafkaSegmentSeconds / 86400} days`,
      'Kafka defaults (the processor creates topics with only cleanup.policy); the active segment is never compacted',
    ],
    [
      'advised segment.ms of analytics.product-state',
      `${a.advisedChangelogSegmentSeconds} s`,
      'the runbook (docs/operations.md) sets it to bound the uncompacted tail a restore reads',
    ],
    [
      'Kafka min.cleanable.dirty.ratio',
      String(a.kafkaDirtyRatio),
      `Kafka default: a compacted log holds up to ${1 / (1 - a.kafkaDirtyRatio)}x its clean size`,
    ],
    [
      'partition replicas per broker',
      formatCount(a.kafkaReplicasPerBroker),
      'Amazon MSK guidance for its large/xlarge broker sizes as last known, not re-checked',
    ],
    [
      'topics with the input partition count',
      String(a.topicsPerGroup),
      '3 input topics, product-state, metric-changes, dead-letter, low-stock',
    ],
    ['hourly history kept', `${a.historyTtlDays} days`, 'dynamodb-sink historyTtlDays default'],
    ['DynamoDB storage overhead per item', `${a.dynamoItemOverheadBytes} B`, 'AWS documentation'],
    [
      'DynamoDB write / read unit',
      `${formatBytes(a.dynamoBytesPerWriteUnit)} / ${formatBytes(a.dynamoBytesPerReadUnit)}`,
      'eventually consistent reads (MetricsReader default) cost half a unit',
    ],
    [
      'DynamoDB write limit per partition and per item',
      `${formatCount(a.dynamoPartitionWriteUnits)} WCU/s`,
      'AWS documentation',
    ],
    [
      'writes per event on one entity, uncoalesced',
      String(a.uncoalescedWritesPerEntityEvent),
      'its CUR#G<g> row and its hourly row',
    ],
    [
      'session timeout',
      `${a.sessionTimeoutSeconds} s`,
      'kafka-processor default: a lost member is noticed after this',
    ],
    [
      'restore bound of one group',
      `${a.restoreTimeoutSeconds} s`,
      'kafka-processor restoreTimeoutMs default',
    ],
    ['hours per month', String(a.hoursPerMonth), 'as AWS bills'],
  ];
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/**
 * Renders `docs/capacity.md`: the measured figures, the plans for 1k, 10k and 100k events/s with
 * 1M, 10M and 100M products, where the model stops holding, the assumptions and the prices.
 * Deterministic for given inputs (a test regenerates it from the committed bench JSON).
 */
export function renderCapacityDoc(
  bench: BenchFigures,
  prices: AwsPrices,
  assumptions: CapacityAssumptions,
): string {
  const plans: CapacityPlan[] = [];
  for (const rate of DOC_RATES) {
    for (const products of DOC_PRODUCTS) {
      const workload = workloadFromArgs({
        rate,
        products,
        sellers: undefined,
        categories: undefined,
        reads: DEFAULT_CAPACITY_ARGS.reads,
        growth: DEFAULT_CAPACITY_ARGS.growth,
      });
      plans.push(planCapacity(bench, workload, prices, assumptions));
    }
  }
  const byRate = (rate: number): CapacityPlan => plans.find((p) => p.workload.eventsPerSecond === rate)!;
  const biggest = plans.at(-1)!;
  const figureRows = (Object.keys(FIGURE_SOURCES) as (keyof typeof FIGURE_SOURCES)[]).map((field) => {
    const { id, part } = FIGURE_SOURCES[field];
    return [
      `${id}${part === 'reference' ? ' (reference)' : ''}`,
      formatCount(bench[field]),
      FIGURE_USE[field],
    ];
  });

  const out: string[] = [];
  out.push(
    '# Capacity and cost',
    '',
    `<!-- Generated by \`pnpm capacity:doc\` from ${bench.source}; do not edit by hand: \`bench/src/capacity/capacityDoc.test.ts\` regenerates it and compares. -->`,
    '',
    'What it takes to run the analytics service at 1,000, 10,000 and 100,000 product events per',
    'second, derived from the figures `pnpm bench` measured on one small machine. Every number below',
    'is computed by `pnpm capacity` from the bench JSON, the assumptions and the price table at the',
    'end; for another workload run it yourself:',
    '',
    '```sh',
    'pnpm capacity --rate 10000 --products 10000000                # one plan, as text',
    'pnpm capacity --rate 25k --products 40M --sellers 200k --json  # as JSON',
    'pnpm capacity:doc                                              # regenerate this file',
    '```',
    '',
    '## Measured',
    '',
    `The bench ran on ${bench.date.slice(0, 10)} (${bench.date}) on ${bench.machine.cpu}, ${bench.machine.cores} cores,`,
    `${bench.machine.memoryGiB} GiB, Node ${bench.machine.node}, with the Kafka broker, dynalite and S3Proxy on the same cores.`,
    bench.conditions ? `Conditions: ${bench.conditions}` : 'No conditions were recorded with the run.',
    ...(bench.load
      ? [
          `1-minute load average ${formatCount(bench.load.atStart)} at the start and ${formatCount(bench.load.atEnd)} at the end of the run, on ${bench.machine.cores} cores.`,
        ]
      : []),
    `The plan counts one instance as that machine: ${bench.machine.cores} vCPUs, measured with the broker and the other`,
    'load beside it, so the per-instance rates are lower bounds and the instance counts upper bounds.',
    '',
    table(['figure', 'value', 'what the plan takes from it'], figureRows),
    '',
    'Figure numbers are those of `bench/README.md` and `bench/results/latest.json`.',
    '',
    '## Extrapolated',
    '',
    '- **Everything scales linearly with the event rate** from the per-1000-events figures: DynamoDB',
    '  writes, metric changes, S3 objects and bytes, changelog writes. The bench runs a backlog (by',
    '  default 1M events over 100k products, 500 sellers and 40 categories), so its batches are full. At a',
    '  steady low rate batches are smaller and coalesce less: more writes, records and objects per',
    '  event than measured (see S3 below). At higher rates batches coalesce at least as well.',
    '- **Instances scale out linearly** from one measured instance: stage 1 adds members that own',
    '  whole groups, stage 2 adds consumers of the metric-changes partitions. Not measured with more',
    '  than one member; the brokers, DynamoDB and S3 are assumed not to be the limit.',
    '- **Stage 2** was measured against dynalite (a single-process DynamoDB emulator on LevelDB)',
    '  and S3Proxy on the same cores: each conditional write waits for the emulator. DynamoDB',
    "  itself answers in milliseconds to the sink's 16 concurrent writes, so the stage-2 counts",
    '  are upper bounds; DynamoDB and S3 request volumes do not depend on this rate.',
    '- **Heap** is state x figure 6 (measured at 1M products) for 10M and 100M products; the GC factor',
    '  and the base heap are assumptions, not measurements.',
    '- **Restore** reads the changelog at figure 8d records/s per member, measured on 100k products.',
    '- **Sellers and categories** are not measured inputs: products / 100 sellers and 1,000',
    '  categories unless given; history rows assume events spread evenly over them (an upper bound).',
    `- **Prices** are list prices, ${prices.readOn}.`,
    '',
    '## Summary',
    '',
    table(
      [
        'events/s',
        'products',
        'stage 1',
        'stage 2',
        'input partitions',
        'heap per stage-1 member',
        'restore after a member loss',
        `the same with segment.ms ${assumptions.advisedChangelogSegmentSeconds / 3600} h`,
        'DynamoDB WRU/s',
        'S3 stored after 12 months',
        'Kafka storage',
        'USD per month',
      ],
      plans.map((p) => [
        formatCount(p.workload.eventsPerSecond),
        formatCount(p.workload.products),
        `${p.stage1.instances} x ${p.stage1.instanceType}`,
        `${p.stage2.instances} x ${p.stage2.instanceType}`,
        String(p.partitions.input),
        formatBytes(p.memory.heapBytesPerInstance),
        formatDuration(p.restore.afterMemberLossSeconds),
        formatDuration(p.restore.advised.afterMemberLossSeconds),
        formatCount(p.dynamodb.writeUnitsPerSecond),
        formatBytes(p.s3.archive.at(-1)!.bytes),
        formatBytes(p.kafka.changelog.bytes + p.kafka.metricChanges.bytes),
        formatUsd(p.totalUsdPerMonth),
      ]),
    ),
    '',
    'USD per month: instances, DynamoDB requests and storage, S3 PUTs and the archive in its 12th',
    'month, Kafka storage; not the Kafka brokers themselves, data transfer, or monitoring.',
    '',
  );

  out.push('## Where the model stops holding', '');
  out.push(
    '### DynamoDB: hot sellers and categories',
    '',
    `One DynamoDB partition, and one item, accepts at most ${formatCount(assumptions.dynamoPartitionWriteUnits)} write units per second. Every`,
    'event changes its seller and its category; written one by one, each would cost two writes on',
    "that entity's partition key (its current row and its hourly row). Share of all events one",
    'seller or category can have before its key needs more than that, nothing coalesced:',
    '',
    table(
      ['events/s', 'input partitions', 'one key on one partition', 'spread over its group rows'],
      DOC_RATES.map((rate) => {
        const p = byRate(rate);
        return [
          formatCount(rate),
          String(p.partitions.input),
          formatPercent(p.dynamodb.hotKeyShare),
          formatPercent(p.dynamodb.hotKeyShareSpread),
        ];
      }),
    ),
    '',
    'What keeps a hot key under the limit:',
    '',
    '- **Coalescing.** Stage 1 emits one absolute value per changed row per transaction, and stage 2',
    '  writes each row once per batch: a row is written at most once per batch of its group, however',
    `  many events hit it (figure 4a: ${formatCount(bench.dynamoWritesPer1000Events)} writes per 1000 events in the bench, where one by one`,
    '  would be 4,000: seller and category, current and hourly rows).',
    '- **Per-group rows.** A seller or category has one current row per group (`CUR#G<g>`) and',
    '  one hourly row per group, all under one partition key. They spread the writes over as many',
    "  items as there are groups, so no single item takes more than its group's share. They share a",
    '  partition key, so they start on one partition: the spread across partitions comes only when',
    '  DynamoDB splits the key\'s items by sort key under sustained load (adaptive capacity, "split',
    '  for heat"), which it does for tables without local secondary indexes, like this one, but not',
    '  instantly: a burst on a new hot key can be throttled first (the sink retries with backoff).',
    '- Above the per-group column, a single seller or category cannot be written fast enough',
    '  without changing the key design (e.g. a write-sharded partition key per group).',
    '',
    '### DynamoDB: hourly history per group',
    '',
    'Each seller and category keeps one hourly row per group it has products in, for',
    `${assumptions.historyTtlDays} days. With many sellers, many groups and a rate that touches most of them every hour, that is`,
    `sellers x groups x ${assumptions.historyTtlDays * 24} rows: ${formatLargeCount(biggest.dynamodb.historyRows)} rows and ${formatBytes(biggest.dynamodb.storageBytes)} in the largest plan`,
    `(${formatUsd(biggest.costs.find((c) => c.item === 'DynamoDB storage')!.usdPerMonth)} a month, beside ${formatUsd(biggest.costs.find((c) => c.item === 'DynamoDB write request units')!.usdPerMonth)} for its writes). The per-group rows that spread hot keys multiply the history`,
    'by the number of groups; a coarser history (daily rows after a day) or a history folded across',
    'groups would cut it. The model assumes events spread evenly, so skewed traffic touches fewer',
    'rows per hour and stores less.',
    '',
    '### Kafka partitions',
    '',
    'Every input partition is a group: stage 1 cannot use more members than groups, and the',
    'internal topics have the same count. The plans pick 4x the instances needed today, from',
    `${assumptions.partitionLadder.slice(0, 4).join(', ')}, ...; changing the count later moves keys between partitions, so the`,
    'state in `analytics.product-state` no longer matches its group: a rescale is a migration',
    '(new topics with the new count, stage 1 rebuilt from a replay), the subject of issue 18,',
    'not a configuration change. Choose the count for the growth you expect.',
    '',
    `Each group is ${assumptions.topicsPerGroup} partitions (3 inputs, 5 internal topics), each with ${assumptions.kafkaReplication} replicas: at ${biggest.partitions.input} groups that is`,
    `${formatCount(biggest.partitions.kafkaReplicas)} replicas, at least ${biggest.partitions.brokersForReplicaLimit} brokers at ${formatCount(assumptions.kafkaReplicasPerBroker)} replicas each. More groups than needed`,
    'also cost throughput: at a given rate each group gets smaller batches, so stage 1 runs more,',
    'smaller transactions (each writes commit markers to every partition it touched) and coalesces',
    'less; the bench measured 6 groups on one member only.',
    '',
    '### Per-instance memory',
    '',
    'Stage-1 state is held in the heap of the member that owns the group. The plans size the heap for',
    'the state a survivor holds after one member loss; when that does not fit the largest 2-vCPU',
    'type in the price table, the plan adds members for memory. At 100M products the state alone is',
    `${formatBytes(biggest.memory.stateBytesTotal)}; V8 handles heaps of several GiB but full GCs grow with them (not measured beyond 1M`,
    'products here). Stage 2 holds no state.',
    '',
    '### Restore time',
    '',
    'After a member loss its groups are unavailable until the survivors notice (session timeout)',
    'and restore them from `analytics.product-state`. A compacted topic is only cleaned up to its',
    "active segment: with Kafka's defaults (1 GiB or 7 days per segment) the uncompacted tail of a",
    'busy changelog partition can hold far more records than the group has products, and restore',
    'reads all of it. The restore column counts that tail. Setting `segment.ms` (e.g. one hour) on',
    '`analytics.product-state` bounds it; the restore bound (`restoreTimeoutMs`, 120 s per group by',
    'default) must stay above the "restore of one group" line of each plan: a longer restore fails',
    "(`RESTORE_FAILED`, retried), so the group never comes back. With Kafka's defaults one group's",
    `restore takes longer than that in ${plans.filter((p) => !p.restore.withinRestoreTimeout).length} of the ${plans.length} plans above; with \`segment.ms\` of one hour in`,
    `${plans.filter((p) => p.restore.advised.groupSeconds > assumptions.restoreTimeoutSeconds).length}. These are upper bounds: just before a segment rolls, at the restore rate measured under load.`,
    '',
    '### S3 objects at low rates',
    '',
    'The sink writes one object per partition batch (and UTC hour). The measured objects per 1000',
    'events come from full batches; at a steady low rate each partition delivers small batches',
    'often, so the object count follows the batch frequency, not the data. Each plan therefore also',
    'gives the PUTs if every metric-changes partition wrote one object per second; the truth lies',
    'between the two until the sink buffers objects by time.',
    '',
    '### Not modelled',
    '',
    "- Kafka brokers (instances, CPU, network) and the input topics' storage: shared infrastructure",
    "  sized by the producers' retention.",
    '- Low-stock rows in DynamoDB and their metric-change keys (one per product in low stock; in the',
    "  bench's generated data they were most of the table's items, see figure 4d's note).",
    '- DynamoDB reads of history (each hour of a seller is one row per group).',
    '- Data transfer, NAT, CloudWatch, backups.',
    '',
  );

  out.push('## Plans', '');
  for (const plan of plans) {
    out.push(
      `### ${planTitle(plan)}`,
      '',
      '```text',
      formatPlanText(plan, bench, prices, assumptions).trimEnd(),
      '```',
      '',
    );
  }

  out.push(
    '## Assumptions',
    '',
    'From `bench/src/capacity/capacityAssumptions.ts` (`DEFAULT_CAPACITY_ASSUMPTIONS`); workload',
    `defaults: sellers = products / ${DEFAULT_CAPACITY_ARGS.productsPerSeller}, ${formatCount(DEFAULT_CAPACITY_ARGS.categories)} categories, ${DEFAULT_CAPACITY_ARGS.reads} MetricsReader queries/s, growth ${DEFAULT_CAPACITY_ARGS.growth}x.`,
    '',
    table(['assumption', 'value', 'why'], assumptionRows(assumptions)),
    '',
    '## Prices',
    '',
    `AWS ${prices.region} on-demand list prices in ${prices.currency}, ${prices.readOn}; one table in`,
    '`bench/src/capacity/awsPrices.ts` (`AWS_PRICES`): update it there and regenerate. Sources:',
    `${prices.sources.map((s) => `\`${s}\``).join(', ')}.`,
    '',
    table(
      ['item', 'price'],
      [
        ...Object.entries(prices.ec2).map(([type, t]) => [
          `EC2 ${type} (${t.vcpus} vCPU, ${t.memoryGiB} GiB)`,
          `${t.usdPerHour} per hour`,
        ]),
        ['DynamoDB write request units', `${prices.dynamodb.usdPerMillionWriteRequestUnits} per million`],
        ['DynamoDB read request units', `${prices.dynamodb.usdPerMillionReadRequestUnits} per million`],
        ['DynamoDB storage', `${prices.dynamodb.usdPerGbMonth} per GB-month`],
        ['S3 Standard PUT', `${prices.s3.usdPerThousandPuts} per 1,000`],
        ['S3 Standard storage', `${prices.s3.usdPerGbMonth} per GB-month`],
        ['Amazon MSK broker storage', `${prices.msk.usdPerGbMonth} per GB-month`],
      ],
    ),
    '',
  );
  return out.join('\n');
}
