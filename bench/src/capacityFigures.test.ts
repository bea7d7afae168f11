import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dynamoItemBytes, topicLogBytes } from './capacityFigures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('dynamoItemBytes', () => {
  it('counts names, string bytes, numbers by significant digits, and booleans', () => {
    // pk: 2 + 8; n: 1 + (ceil(3 / 2) + 1); flag: 4 + 1; é is two bytes in UTF-8
    expect(dynamoItemBytes({ pk: { S: 'SELLER#1' }, n: { N: '12300' }, flag: { BOOL: true } })).toBe(
      10 + 4 + 5,
    );
    expect(dynamoItemBytes({ s: { S: 'é' } })).toBe(3);
    expect(dynamoItemBytes({ z: { N: '0' } })).toBe(3);
    expect(dynamoItemBytes({ l: { L: [] } })).toBe(1 + JSON.stringify({ L: [] }).length);
  });

  it('counts a map of money per currency: 3 bytes, then per entry its name, its value and 1', () => {
    // name 10, map 3, USD 3 + 3 + 1 (1999: ceil(4 / 2) + 1), EUR 3 + 2 + 1 (45: ceil(2 / 2) + 1)
    expect(dynamoItemBytes({ totalValue: { M: { USD: { N: '1999' }, EUR: { N: '45' } } } })).toBe(
      10 + 3 + 7 + 6,
    );
    expect(dynamoItemBytes({ m: { M: {} } })).toBe(1 + 3);
  });
});

describe('topicLogBytes', () => {
  it('sums the .log segments of every partition folder of the topic, nothing else', () => {
    const root = mkdtempSync(join(tmpdir(), 'topic-bytes-'));
    dirs.push(root);
    const data = join(root, 'kafka', 'data');
    for (const [dir, file, size] of [
      ['run.analytics.product-state-0', '00000000000000000000.log', 100],
      ['run.analytics.product-state-0', '00000000000000000000.index', 1000],
      ['run.analytics.product-state-1', '00000000000000000000.log', 50],
      ['run.analytics.product-state-extra-0', '00000000000000000000.log', 7],
      ['runXanalytics.product-state-0', '00000000000000000000.log', 9],
    ] as const) {
      mkdirSync(join(data, dir), { recursive: true });
      writeFileSync(join(data, dir, file), Buffer.alloc(size));
    }
    expect(topicLogBytes(root, 'run.analytics.product-state')).toBe(150);
    expect(topicLogBytes(root, 'absent')).toBe(0);
  });
});
