/**
 * The Grafana dashboard and the Prometheus rules of `deploy/observability/`: the dashboard is a
 * well-formed Grafana dashboard, the rules pass `promtool check rules` (Debian's `prometheus`
 * package; `.ci/run` installs it) and behave as intended on synthetic series
 * (`promtool test rules`), and every alert has its runbook in docs/operations.md. That the
 * metrics they use exist is checked against a real scrape in `observability.int.test.ts`.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../app.js';
import {
  allExpressions,
  expressionUse,
  legendLabels,
  loadAlertRules,
  loadDashboard,
  OBSERVABILITY_DIR,
  RULES_FILE,
} from '../observability.js';

const run = promisify(execFile);
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
const DATASOURCE_VARIABLE = '${datasource}';

async function promtool(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('promtool', args, { cwd: OBSERVABILITY_DIR });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('promtool is not installed: apt-get install prometheus (Debian), as .ci/run does');
    }
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('Grafana dashboard', () => {
  const dashboard = loadDashboard();

  it('is a Grafana dashboard: title, uid, schema version, panels with unique ids inside a 24-column grid', () => {
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(Number.isInteger(dashboard.schemaVersion)).toBe(true);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(Number.isInteger(panel.id) && panel.id > 0, panel.title).toBe(true);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
  });

  it('takes its Prometheus data source from a datasource variable, in every panel and query', () => {
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: DATASOURCE_VARIABLE });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe(DATASOURCE_VARIABLE);
    }
    for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) {
      expect(v.datasource?.uid).toBe(DATASOURCE_VARIABLE);
    }
  });

  it('has a panel for each thing operators watch', () => {
    const titles = dashboard.panels.map((p) => p.title.toLowerCase());
    for (const wanted of [
      'throughput per stage',
      'consumer lag per group',
      'batch duration quantiles',
      'dead letters by code',
      'retries',
      'dynamodb writes and failures',
      's3 archive writes and failures',
      'worker-pool utilisation',
      'event-loop delay',
      'readiness',
    ]) {
      expect(titles, wanted).toContain(wanted);
    }
  });

  it('uses in each legend only labels its query keeps', () => {
    for (const { where, expr, legend } of allExpressions()) {
      if (legend === undefined) continue;
      const use = expressionUse(expr);
      for (const label of legendLabels(legend))
        expect(use.grouping, `${where}: {{${label}}}`).toContain(label);
    }
  });
});

describe('PromQL scanner of the cross-check', () => {
  it('finds metrics, matcher labels and grouping labels, not functions, keywords or variables', () => {
    const use = expressionUse(
      'histogram_quantile(0.99, sum by (le, stage) (rate(analytics_batch_duration_seconds_bucket{job=~"$job",stage!="x"}[$__rate_interval]))) and on (stage) up offset 5m > bool 0',
    );
    expect([...use.metrics].sort()).toEqual(['analytics_batch_duration_seconds_bucket', 'up']);
    expect([...(use.matchers.get('analytics_batch_duration_seconds_bucket') ?? [])]).toEqual([
      'job',
      'stage',
    ]);
    expect([...use.grouping].sort()).toEqual(['le', 'stage']);
  });

  it('finds a metric in every expression of the dashboard and the rules', () => {
    const expressions = allExpressions();
    expect(expressions.length).toBeGreaterThan(30);
    for (const { where, expr } of expressions)
      expect(expressionUse(expr).metrics.size, where).toBeGreaterThan(0);
  });
});

describe('Prometheus alert rules', () => {
  const rules = loadAlertRules();

  it('pass promtool check rules', async () => {
    const { stdout } = await promtool('check', 'rules', RULES_FILE);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('cover lag, progress, dead letters, failed batches, fatal stages, readiness and sink failures', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'AnalyticsBatchesFailing',
      'AnalyticsConsumerLagGrowing',
      'AnalyticsDeadLetterRateHigh',
      'AnalyticsDynamoDbWriteFailures',
      'AnalyticsNoProgress',
      'AnalyticsS3WriteFailures',
      'AnalyticsServiceNotReady',
      'AnalyticsServiceRestarting',
      'AnalyticsStageFatal',
    ]);
  });

  it('each have a severity, a summary and a runbook section in docs/operations.md', () => {
    const operations = readFileSync(join(ROOT_DIR, 'docs', 'operations.md'), 'utf8');
    const alertsSection = operations.split(/^## /m).find((s) => s.startsWith('Alerts')) ?? '';
    for (const rule of rules) {
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.runbook).toBe(`docs/operations.md#${rule.alert.toLowerCase()}`);
      expect(alertsSection, rule.alert).toMatch(new RegExp(`^### ${rule.alert}\\n\\n\\S`, 'm'));
    }
  });

  it('fire on synthetic series as intended (promtool test rules)', async () => {
    const { stdout } = await promtool('test', 'rules', 'prometheus-rules.test.yaml');
    expect(stdout).toContain('SUCCESS');
  });
});
