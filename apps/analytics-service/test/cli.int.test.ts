/**
 * The built app from the outside: bad configuration is refused before anything starts, and the
 * demo runs non-interactively through the README's `pnpm start -- --once` on its own local
 * stack, on the pinned runtime, printing the report.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, ensureBuilt, ROOT_DIR, startApp } from './app.js';

/** The runtime `pnpm start` must run on: the root package.json's pinned `node` (or what .ci/run names). */
const pinnedNode = (
  JSON.parse(readFileSync(`${ROOT_DIR}/package.json`, 'utf8')) as {
    devDependencies: Record<string, string>;
  }
).devDependencies['node'];
const expectedNode = `v${process.env.EXPECTED_NODE_VERSION ?? pinnedNode}`;

beforeAll(async () => {
  await ensureBuilt();
}, 600_000);

describe('analytics-service command line (built app)', () => {
  it('refuses bad configuration with exit code 2, listing every bad variable, starting nothing', async () => {
    const app = startApp(
      baseEnv({
        KAFKA_BROKERS: 'localhost:9092',
        HTTP_PORT: '99999',
        LOW_STOCK_THRESHOLD: 'ten',
        KAFKA_SSL: 'yes',
      }),
    );

    const { code } = await app.exited;

    expect(code).toBe(2);
    expect(app.stderr()).toContain('Invalid configuration (5 problems)');
    expect(app.stderr()).toContain('KAFKA_SSL: "yes" is not a boolean');
    expect(app.stderr()).toContain('AWS_REGION: required');
    expect(app.stderr()).toContain('ARCHIVE_BUCKET: required for the sink stage');
    expect(app.stderr()).toContain('LOW_STOCK_THRESHOLD: "ten" is not an integer >= 1');
    expect(app.stderr()).toContain('HTTP_PORT: "99999" is not an integer between 0 and 65535');
    expect(app.stdout()).toBe('');
  });

  it('refuses an unknown role with exit code 2 and the usage', async () => {
    const app = startApp(baseEnv({}), ['--role', 'everything']);

    const { code } = await app.exited;

    expect(code).toBe(2);
    expect(app.stderr()).toContain('--role: expected aggregate, sink or all, got "everything"');
    expect(app.stderr()).toContain('Usage:');
  });

  it('runs the demo through `pnpm start -- --once` on the pinned runtime: drains the stream, prints the report, exits 0', async () => {
    const app = startApp(
      baseEnv({
        DEMO_EVENTS: '2000',
        DEMO_RATE: '0',
        HTTP_PORT: '0',
        LOG_LEVEL: 'warn',
        // The bound itself is tested in production mode; here a loaded CI machine must not turn a
        // slow stop of the demo's own Kafka broker into a failure.
        SHUTDOWN_TIMEOUT_MS: '60000',
      }),
      ['--once'],
      { viaPnpmStart: true },
    );

    const { code } = await app.exited;
    const out = app.stdout();

    expect(code, `stdout:\n${out}\nstderr:\n${app.stderr()}`).toBe(0);
    expect(out.split('\n').slice(0, 3).join('\n')).toContain(
      `Demo mode (KAFKA_BROKERS is not set) on Node.js ${expectedNode}.`,
    );
    expect(out).toMatch(
      /produced 2,000\/2,000 \(100%\) \| processed [\d,]+ \| dead-lettered [\d,]+ \| lag 0/,
    );
    expect(out).toContain('Top 5 sellers by products');
    expect(out).toMatch(/Categories \(\d+\), money per currency:/);
    expect(out).toContain('average price');
    // The default currency mix: mostly dollars, some euros, yen (no minor digits) and dinars (three).
    expect(out).toMatch(/\$[\d,]+\.\d\d\b/);
    expect(out).toMatch(/¥[\d,]+(?![.\d])/);
    expect(out).toMatch(/KWD\s[\d,]+\.\d{3}\b/);
    expect(out).toMatch(/Low-stock products \(\d+ of \d+\):/);
    expect(out).toContain('Stopping the local stack');
    expect(out).not.toContain('\r');
  }, 300_000);
});
