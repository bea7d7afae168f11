import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AWS_PRICES, type AwsPrices } from './awsPrices.js';
import { DEFAULT_CAPACITY_ASSUMPTIONS } from './capacityAssumptions.js';
import { CapacityError } from './errors.js';
import { expectedGroupsHit, planCapacity, type Workload } from './planCapacity.js';
import { readBenchFigures } from './readBenchFigures.js';

const fixture = fileURLToPath(new URL('./fixtures/bench-fixture.json', import.meta.url));
const bench = readBenchFigures(fixture, 'fixture');
const GiB = 2 ** 30;
const MONTH = 730 * 3600;

// Hand-computed from the fixture's round figures (stage 1 10,000 events/s, sink 2,000 changes/s,
// 50 writes and 100 changes per 1000 events, 0.1 objects and 2,000 B per 1000 events, items
// 200/400 B, 200 B per product, changelog 100 B x 500 per 1000 events, metric changes 150 B,
// restore 400,000 records/s) and the default assumptions and prices.
const workload: Workload = {
  eventsPerSecond: 6000,
  products: 1_200_000,
  sellers: 12_000,
  categories: 1000,
  readsPerSecond: 100,
  growth: 4,
};

describe('planCapacity on the fixture bench', () => {
  const plan = planCapacity(bench, workload, AWS_PRICES, DEFAULT_CAPACITY_ASSUMPTIONS);

  it('sizes each stage for the rate at 60% of the measured rate, plus one spare', () => {
    // 6000 / (10000 x 0.6) = 1 -> 2; 600 changes/s / (2000 x 0.6) = 1 -> 2
    expect(plan.stage1).toMatchObject({
      instances: 2,
      forThroughput: 1,
      forMemory: 0,
      instanceType: 'c7i.large',
    });
    expect(plan.stage2).toMatchObject({ instances: 2, forThroughput: 1, metricChangesPerSecond: 600 });
  });

  it('picks the smallest partition count of the ladder that allows the growth', () => {
    // 4x growth of 1 instance -> 4 -> 12; 8 topics x 12 = 96 partitions, 288 replicas
    expect(plan.partitions).toEqual({
      input: 12,
      neededNow: 1,
      maxEventsPerSecond: 72_000, // min(12 x 6000, 12 x 1200 x 1000 / 100)
      kafkaPartitions: 96,
      kafkaReplicas: 288,
      brokersForReplicaLimit: 1,
    });
  });

  it('sizes the heap for the state a survivor holds after one member loss', () => {
    // 1.2M x 200 B = 240 MB; the survivor holds all 12 groups; x 1.5 + 512 MiB
    expect(plan.memory.stateBytesTotal).toBe(240_000_000);
    expect(plan.memory.groupsPerInstanceAfterLoss).toBe(12);
    expect(plan.memory.heapBytesPerInstance).toBe(360_000_000 + 512 * 2 ** 20);
    expect(plan.memory.instanceMemoryBytes).toBe(4 * GiB);
  });

  it('counts the uncompacted changelog tail in the restore time', () => {
    // per group: 100,000 products / 0.5 + 1 GiB active segment / 100 B = 10,937,418.24 records
    expect(plan.restore.recordsPerGroup).toBeCloseTo(10_937_418.24, 2);
    expect(plan.restore.groupSeconds).toBeCloseTo(27.3435456, 6);
    expect(plan.restore.groupsLost).toBe(6);
    expect(plan.restore.afterMemberLossSeconds).toBeCloseTo(30 + 6 * 27.3435456, 5);
    expect(plan.restore.coldStartSeconds).toBeCloseTo(6 * 27.3435456, 5);
    expect(plan.restore.withinRestoreTimeout).toBe(true);
  });

  it('shows the restore with the advised one-hour segments on the changelog', () => {
    // tail per partition: 300,000 B/s / 12 x 3600 s = 90 MB = 900,000 records; + 200,000
    expect(plan.restore.advised.recordsPerGroup).toBeCloseTo(1_100_000, 6);
    expect(plan.restore.advised.groupSeconds).toBeCloseTo(2.75, 10);
    expect(plan.restore.advised.afterMemberLossSeconds).toBeCloseTo(30 + 6 * 2.75, 10);
  });

  it('derives DynamoDB units, rows and storage', () => {
    const d = plan.dynamodb;
    expect(d.writesPerSecond).toBe(300);
    expect(d.writeUnitsPerWrite).toBe(1);
    expect(d.writeUnitsPerMonth).toBe(300 * MONTH);
    // 12 groups x (1 - (11/12)^100) = 11.998 rows x 200 B < 4 KiB -> 1 unit, halved
    expect(d.rowsPerQuery).toBeCloseTo(11.99800324, 6);
    expect(d.readUnitsPerQuery).toBe(0.5);
    expect(d.readUnitsPerSecond).toBe(50);
    expect(d.currentRows).toBeCloseTo(155_976.0389, 3);
    expect(d.historyRows).toBeCloseTo(112_302_748.02, 1);
    expect(d.storageBytes).toBeCloseTo(33_737_617_218.2, 0);
    expect(d.hotKeyShare).toBeCloseTo(1000 / 12_000, 10);
    expect(d.hotKeyShareSpread).toBe(1);
  });

  it('grows the S3 archive month by month', () => {
    const s = plan.s3;
    expect(s.objectsPerSecond).toBeCloseTo(0.6, 10);
    expect(s.putsPerMonth).toBeCloseTo(1_576_800, 3);
    expect(s.putsPerMonthSmallBatches).toBe(12 * MONTH);
    expect(s.bytesPerMonth).toBe(31_536_000_000);
    expect(s.archive.map((a) => a.month)).toEqual([1, 3, 6, 12]);
    expect(s.archive[3]!.bytes).toBe(12 * 31_536_000_000);
    expect(s.archive[3]!.usd).toBeCloseTo(12 * 0.6755143404, 6);
    expect(s.yearStorageUsd).toBeCloseTo(52.690118551, 6);
  });

  it('bounds the compacted topics by clean size / (1 - dirty ratio) plus active segments', () => {
    expect(plan.kafka.changelog).toEqual({
      keys: 1_200_000,
      writeBytesPerSecond: 300_000,
      bytesPerReplica: 240_000_000 + 12 * GiB,
      bytes: 3 * (240_000_000 + 12 * GiB),
    });
    expect(plan.kafka.metricChanges.writeBytesPerSecond).toBeCloseTo(90_000, 6);
    expect(plan.kafka.metricChanges.bytes).toBeCloseTo(38_795_084_099.03, 0);
  });

  it('prices every line and sums them', () => {
    const usd = Object.fromEntries(plan.costs.map((c) => [c.item, c.usdPerMonth]));
    expect(usd['stage 1: 2 x c7i.large']).toBeCloseTo(130.305, 6);
    expect(usd['stage 2: 2 x c7i.large']).toBeCloseTo(130.305, 6);
    expect(usd['DynamoDB write request units']).toBeCloseTo(492.75, 6);
    expect(usd['DynamoDB read request units']).toBeCloseTo(16.425, 6);
    expect(usd['DynamoDB storage']).toBeCloseTo(7.855151132, 6);
    expect(usd['S3 PUTs']).toBeCloseTo(7.884, 6);
    expect(usd['S3 storage (month 12)']).toBeCloseTo(8.106172085, 6);
    expect(usd['Kafka storage (changelog + metric changes)']).toBeCloseTo(7.280128986, 6);
    expect(plan.totalUsdPerMonth).toBeCloseTo(800.910452, 4);
  });
});

describe('planCapacity limits', () => {
  it('adds stage-1 members when a survivor could not hold the state', () => {
    // 100M products x 200 B = 20 GB: does not fit one r7i.large (12 GiB heap) even at 2 members
    const plan = planCapacity(
      bench,
      { ...workload, products: 100_000_000, sellers: 1_000_000 },
      AWS_PRICES,
      DEFAULT_CAPACITY_ASSUMPTIONS,
    );
    expect(plan.stage1.forMemory).toBeGreaterThan(0);
    expect(plan.memory.heapBytesPerInstance).toBeLessThanOrEqual(16 * GiB * 0.75);
    expect(plan.stage1.instanceType).toBe('r7i.large');
  });

  it('refuses a rate that needs more partitions than the ladder holds', () => {
    expect(() =>
      planCapacity(bench, { ...workload, eventsPerSecond: 1e9 }, AWS_PRICES, DEFAULT_CAPACITY_ASSUMPTIONS),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/beyond this model/),
      }),
    );
  });

  it('refuses a price table without an instance type of the bench machine size', () => {
    const prices: AwsPrices = {
      ...AWS_PRICES,
      ec2: { 'c7i.xlarge': { vcpus: 4, memoryGiB: 8, usdPerHour: 0.2 } },
    };
    expect(() => planCapacity(bench, workload, prices, DEFAULT_CAPACITY_ASSUMPTIONS)).toThrow(CapacityError);
  });

  it('expects every group to be hit once an entity has many more products than groups', () => {
    expect(expectedGroupsHit(12, 0)).toBe(0);
    expect(expectedGroupsHit(12, 1)).toBeCloseTo(1, 10);
    expect(expectedGroupsHit(12, 10_000)).toBeCloseTo(12, 10);
  });
});
