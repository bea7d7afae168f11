import type { AwsPrices } from './awsPrices.js';
import type { CapacityAssumptions } from './capacityAssumptions.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLargeCount,
  formatPercent,
  formatUsd,
} from './formatUnits.js';
import type { CapacityPlan } from './planCapacity.js';
import type { BenchFigures } from './readBenchFigures.js';

const MiB = 2 ** 20;

/** One line of the plan: what, how much, why. */
function row(label: string, value: string, detail = ''): string {
  return `  ${label.padEnd(25)} ${value.padEnd(21)} ${detail}`.trimEnd();
}

/** One line of the bill: item, then the amount right-aligned. */
function costRow(item: string, usd: string): string {
  return `  ${item.padEnd(44)} ${usd.padStart(10)}`;
}

/** The title of a plan: its workload. */
export function planTitle(plan: CapacityPlan): string {
  const w = plan.workload;
  return `${formatCount(w.eventsPerSecond)} events/s, ${formatCount(w.products)} products`;
}

/**
 * Renders a plan as the aligned text `pnpm capacity` prints: instances and partitions, memory
 * and restore, DynamoDB, S3, Kafka storage and the monthly bill, each with the figures it came from.
 */
export function formatPlanText(
  plan: CapacityPlan,
  bench: BenchFigures,
  prices: AwsPrices,
  assumptions: CapacityAssumptions,
): string {
  const w = plan.workload;
  const p = plan.partitions;
  const m = plan.memory;
  const r = plan.restore;
  const d = plan.dynamodb;
  const s = plan.s3;
  const k = plan.kafka;
  const pct = formatPercent(assumptions.utilisation);
  const lines = [
    `Capacity plan: ${planTitle(plan)} (${formatCount(w.sellers)} sellers, ${formatCount(w.categories)} categories, ${formatCount(w.readsPerSecond)} reads/s)`,
    `Figures: ${bench.source}, bench of ${bench.date.slice(0, 10)} on ${bench.machine.cpu} (${bench.machine.cores} cores, Node ${bench.machine.node})`,
    `Prices: AWS ${prices.region} on-demand, ${prices.readOn}`,
    '',
    'Instances and partitions',
    row(
      'stage 1 (aggregate)',
      `${plan.stage1.instances} x ${plan.stage1.instanceType}`,
      `${plan.stage1.forThroughput} for the rate (${pct} of ${formatCount(bench.stage1EventsPerSecond)} events/s each)` +
        (plan.stage1.forMemory > 0 ? ` + ${plan.stage1.forMemory} for memory` : '') +
        ` + ${plan.stage1.spare} spare`,
    ),
    row(
      'stage 2 (sink)',
      `${plan.stage2.instances} x ${plan.stage2.instanceType}`,
      `${plan.stage2.forThroughput} for ${formatCount(plan.stage2.metricChangesPerSecond)} metric changes/s (${pct} of ${formatCount(bench.sinkChangesPerSecond)}/s each) + ${plan.stage2.spare} spare`,
    ),
    row(
      'input partitions',
      formatCount(p.input),
      `${formatCount(w.growth)}x the ${p.neededNow} instance(s) a stage needs now: room for ${formatCount(p.maxEventsPerSecond)} events/s`,
    ),
    row(
      'rescale path',
      'new topics',
      'more partitions later move keys off their changelog partition: migrate to new topics (issue 18)',
    ),
    row(
      'Kafka partitions',
      formatCount(p.kafkaPartitions),
      `${assumptions.topicsPerGroup} topics x ${p.input}; ${formatCount(p.kafkaReplicas)} replicas at RF ${assumptions.kafkaReplication}: >= ${p.brokersForReplicaLimit} broker(s) at ${formatCount(assumptions.kafkaReplicasPerBroker)} replicas each`,
    ),
    '',
    'Memory and restore (stage 1)',
    row(
      'heap per member',
      formatBytes(m.heapBytesPerInstance),
      `after one member loss: ${m.groupsPerInstanceAfterLoss} groups, ${formatBytes(m.stateBytesPerInstance)} of state (${formatCount(bench.heapBytesPerProduct)} B/product) x ${assumptions.heapPerStateByte} + ${assumptions.baseHeapMiB} MiB; --max-old-space-size=${Math.ceil(m.heapBytesPerInstance / MiB)} on ${formatBytes(m.instanceMemoryBytes)}`,
    ),
    row('state, all members', formatBytes(m.stateBytesTotal), `${formatCount(w.products)} products`),
    row(
      'restore after a loss',
      formatDuration(r.afterMemberLossSeconds),
      `${assumptions.sessionTimeoutSeconds} s session timeout + ${r.groupsLost} group(s) over ${Math.max(1, plan.stage1.instances - 1)} survivor(s) at ${formatCount(bench.restoreRecordsPerSecond)} records/s`,
    ),
    row(
      'restore of one group',
      formatDuration(r.groupSeconds),
      `${formatLargeCount(r.recordsPerGroup)} changelog records at most; ${r.withinRestoreTimeout ? 'within' : 'OVER'} the ${assumptions.restoreTimeoutSeconds} s restoreTimeoutMs`,
    ),
    row(
      'cold start, all members',
      formatDuration(r.coldStartSeconds),
      'every member restores its groups at once',
    ),
    row(
      `with segment.ms ${assumptions.advisedChangelogSegmentSeconds * 1000}`,
      formatDuration(r.advised.afterMemberLossSeconds),
      `after a loss; one group ${formatDuration(r.advised.groupSeconds)} (${formatLargeCount(r.advised.recordsPerGroup)} records) with that segment.ms on analytics.product-state`,
    ),
    '',
    'DynamoDB (on demand)',
    row(
      'writes',
      `${formatCount(d.writeUnitsPerSecond)} WRU/s`,
      `${formatLargeCount(d.writeUnitsPerMonth)} WRU/month (${formatCount(bench.dynamoWritesPer1000Events)} writes per 1000 events x ${d.writeUnitsPerWrite} WRU)`,
    ),
    row(
      'reads',
      `${formatCount(d.readUnitsPerSecond)} RRU/s`,
      `${formatLargeCount(d.readUnitsPerMonth)} RRU/month (${formatCount(w.readsPerSecond)} queries/s x ${formatCount(d.readUnitsPerQuery)} RRU: ${formatCount(d.rowsPerQuery)} group rows per seller)`,
    ),
    row(
      'storage',
      formatBytes(d.storageBytes),
      `${formatLargeCount(d.currentRows)} current rows + ${formatLargeCount(d.historyRows)} hourly rows (${assumptions.historyTtlDays} days)`,
    ),
    row(
      'hot key limit',
      formatPercent(d.hotKeyShare),
      `of all events on one seller/category reaches ${formatCount(assumptions.dynamoPartitionWriteUnits)} WRU/s uncoalesced; ${formatPercent(d.hotKeyShareSpread)} once its ${p.input} group rows sit on separate partitions`,
    ),
    '',
    'S3 archive',
    row(
      'PUTs',
      `${formatLargeCount(s.putsPerMonth)}/month`,
      `${formatCount(s.objectsPerSecond)} objects/s from full batches; ${formatLargeCount(s.putsPerMonthSmallBatches)}/month if each partition wrote one object per second`,
    ),
    row(
      'written',
      `${formatBytes(s.bytesPerMonth)}/month`,
      `${formatCount(bench.s3BytesPer1000Events)} B per 1000 events (gzip JSON Lines)`,
    ),
    ...s.archive.map((a) =>
      row(`stored after month ${a.month}`, formatBytes(a.bytes), `${formatUsd(a.usd)}/month`),
    ),
    row(
      `storage, first ${assumptions.archiveMonths} months`,
      formatUsd(s.yearStorageUsd),
      'the archive grows; nothing expires',
    ),
    '',
    `Kafka storage (compacted, RF ${assumptions.kafkaReplication}, upper bound)`,
    row(
      'analytics.product-state',
      formatBytes(k.changelog.bytes),
      `${formatLargeCount(k.changelog.keys)} keys x ${formatCount(bench.changelogBytesPerRecord)} B, writes ${formatBytes(k.changelog.writeBytesPerSecond)}/s`,
    ),
    row(
      'analytics.metric-changes',
      formatBytes(k.metricChanges.bytes),
      `${formatLargeCount(k.metricChanges.keys)} keys x ${formatCount(bench.metricChangeBytesPerRecord)} B, writes ${formatBytes(k.metricChanges.writeBytesPerSecond)}/s`,
    ),
    '',
    'Monthly cost (USD; Kafka brokers, data transfer and monitoring not included)',
    ...plan.costs.map((c) => costRow(c.item, formatUsd(c.usdPerMonth))),
    costRow('total', formatUsd(plan.totalUsdPerMonth)),
  ];
  return `${lines.join('\n')}\n`;
}
