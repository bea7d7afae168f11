import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCapacity } from './cli.js';

const fixtureDir = fileURLToPath(new URL('./fixtures/', import.meta.url));

function run(argv: string[], cwd = fixtureDir): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = runCapacity(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd });
  return { code, stdout, stderr };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('pnpm capacity', () => {
  it('prints the plan as text, resolving --from against the working directory', () => {
    const { code, stdout, stderr } = run([
      '--rate',
      '6000',
      '--products',
      '1.2M',
      '--from',
      'bench-fixture.json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Figures: bench-fixture.json, bench of 2026-01-01 on Fixture CPU (2 cores');
    expect(stdout).toMatch(
      /stage 1 \(aggregate\)\s+2 x c7i\.large\s+1 for the rate \(60% of 10,000 events\/s each\) \+ 1 spare/,
    );
    expect(stdout).toMatch(/input partitions\s+12\s/);
    expect(stdout).toMatch(/writes\s+300 WRU\/s\s+788 million WRU\/month/);
    expect(stdout).toMatch(/restore after a loss\s+3\.23 min/);
    expect(stdout).toMatch(/total\s+\$800\.91/);
  });

  it('prints the plan as JSON with --json', () => {
    const { code, stdout } = run([
      '--rate',
      '6000',
      '--products',
      '1200000',
      '--from',
      'bench-fixture.json',
      '--json',
    ]);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout);
    expect(parsed.prices).toEqual({
      region: 'us-east-1',
      readOn: expect.stringContaining('not re-checked'),
      currency: 'USD',
    });
    expect(parsed.plan.stage1.instances).toBe(2);
    expect(parsed.plan.dynamodb.writeUnitsPerSecond).toBe(300);
    expect(parsed.plan.totalUsdPerMonth).toBeCloseTo(800.910452, 4);
  });

  it('exits 2 with the usage on a bad flag, printing nothing to stdout', () => {
    const { code, stdout, stderr } = run(['--rate', 'lots', '--products', '10']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('capacity: --rate must be a number > 0, got "lots"\n');
  });

  it('exits 1 naming the file when the bench JSON is missing or not JSON', () => {
    const missing = run(['--rate', '10', '--products', '10', '--from', 'nope.json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^capacity: cannot read nope\.json: .*run pnpm bench --out nope\.json first/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'capacity-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    expect(run(['--rate', '10', '--products', '10', '--from', 'bad.json'], dir).stderr).toMatch(
      /bad\.json is not JSON/,
    );
    writeFileSync(join(dir, 'other.json'), '[]');
    expect(run(['--rate', '10', '--products', '10', '--from', 'other.json'], dir).stderr).toMatch(
      /other\.json is not a bench result/,
    );
  });

  it('exits 1 naming the figure a bench JSON lacks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'capacity-'));
    dirs.push(dir);
    const fixture = JSON.parse(readFileSync(join(fixtureDir, 'bench-fixture.json'), 'utf8'));
    fixture.figures = fixture.figures.filter((f: { id: string }) => f.id !== '8d');
    writeFileSync(join(dir, 'old.json'), JSON.stringify(fixture));
    const { code, stderr } = run(['--rate', '10', '--products', '10', '--from', 'old.json'], dir);
    expect(code).toBe(1);
    expect(stderr).toMatch(/old\.json has no usable figure 8d \(restoreRecordsPerSecond\); rerun pnpm bench/);
  });

  it('writes the document to --out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'capacity-'));
    dirs.push(dir);
    const { code, stdout } = run(
      ['--doc', '--from', join(fixtureDir, 'bench-fixture.json'), '--out', 'capacity.md'],
      dir,
    );
    expect(code).toBe(0);
    expect(stdout).toBe('capacity: wrote capacity.md\n');
    const doc = readFileSync(join(dir, 'capacity.md'), 'utf8');
    expect(doc).toMatch(/^# Capacity and cost\n/);
    expect(doc).toContain('### 10,000 events/s, 10,000,000 products');
  });

  it('prints the usage with --help', () => {
    const { code, stdout } = run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: pnpm capacity --rate <events\/s> --products <N>/);
  });
});
