/**
 * Helpers of the checks of `deploy/observability/`: loading the Grafana dashboard and the
 * Prometheus rules, finding the metric names and labels their PromQL uses, and reading which
 * metrics and labels a `/metrics` scrape has. Not a test file itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT_DIR } from './app.js';

/** Folder of the dashboard and the rules. */
export const OBSERVABILITY_DIR = join(ROOT_DIR, 'deploy', 'observability');
export const DASHBOARD_FILE = join(OBSERVABILITY_DIR, 'grafana-dashboard.json');
export const RULES_FILE = join(OBSERVABILITY_DIR, 'prometheus-rules.yaml');

/**
 * Labels Prometheus attaches to every series of a target when it scrapes it; they never appear
 * in the service's own `/metrics` text.
 */
export const TARGET_LABELS: ReadonlySet<string> = new Set(['job', 'instance']);

/** A Grafana panel, as far as the checks read it. */
export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: { refId: string; expr: string; legendFormat?: string; datasource?: { uid?: string } }[];
  gridPos: { h: number; w: number; x: number; y: number };
}

/** The dashboard, as far as the checks read it. */
export interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid?: string } }[] };
}

/** One alert rule of the rules file. */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

export function loadAlertRules(): AlertRule[] {
  const file = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

/** Every PromQL expression of the dashboard (with where it is) and of the rules. */
export function allExpressions(): { where: string; expr: string; legend?: string }[] {
  const dashboard = loadDashboard();
  const fromPanels = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({
      where: `panel "${panel.title}" ${t.refId}`,
      expr: t.expr,
      ...(t.legendFormat === undefined ? {} : { legend: t.legendFormat }),
    })),
  );
  const fromVariables = dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => ({
      where: `variable ${v.name}`,
      expr: (typeof v.query === 'string' ? v.query : (v.query as { query: string }).query).replace(
        /^label_values\((.*),\s*\w+\)$/,
        '$1',
      ),
    }));
  const fromRules = loadAlertRules().map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }));
  return [...fromPanels, ...fromVariables, ...fromRules];
}

/** PromQL words that are not metric names. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** What an expression uses: metric names, labels matched per metric, and grouping labels. */
export interface ExpressionUse {
  metrics: Set<string>;
  /** Labels in `{...}` matchers, by the metric they belong to. */
  matchers: Map<string, Set<string>>;
  /** Labels in `by`, `without`, `on`, `ignoring`, `group_left`, `group_right`. */
  grouping: Set<string>;
}

/**
 * Finds the metric names and labels a PromQL expression uses. A small scanner, enough for the
 * expressions of this repository: strings are blanked, Grafana variables dropped, matchers and
 * grouping clauses read, and what remains that is an identifier not followed by `(` is a metric.
 */
export function expressionUse(expr: string): ExpressionUse {
  const use: ExpressionUse = { metrics: new Set(), matchers: new Map(), grouping: new Set() };
  let text = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\$\{?\w+\}?/g, '1m');
  text = text.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_, _kw, labels: string) => {
      for (const label of labels.split(',').map((l) => l.trim())) if (label !== '') use.grouping.add(label);
      return ' ';
    },
  );
  text = text.replace(
    /([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g,
    (_, metric: string | undefined, body: string) => {
      const labels = [...body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map(
        (m) => m[1] as string,
      );
      if (metric !== undefined) {
        use.metrics.add(metric);
        const set = use.matchers.get(metric) ?? new Set<string>();
        for (const label of labels) set.add(label);
        use.matchers.set(metric, set);
      }
      return ' ';
    },
  );
  text = text.replace(/\[[^\]]*\]/g, ' ');
  // Numbers and durations (`0.99`, `5m`, `1e3`): not identifiers.
  text = text.replace(/(?<![a-zA-Z0-9_:])\d[a-zA-Z0-9_.]*/g, ' ');
  for (const match of text.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const word = match[1] as string;
    if (match[2] !== undefined || KEYWORDS.has(word.toLowerCase())) continue;
    use.metrics.add(word);
  }
  return use;
}

/** Label names a Grafana legend (`{{label}}`) refers to. */
export function legendLabels(legend: string): string[] {
  return [...legend.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)].map((m) => m[1] as string);
}

/** Metric names (sample names, so `_bucket`, `_sum`, `_count` included) and their label names in a scrape. */
export function scrapedSeries(text: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!match) continue;
    const labels = series.get(match[1] as string) ?? new Set<string>();
    for (const label of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g))
      labels.add(label[1] as string);
    series.set(match[1] as string, labels);
  }
  return series;
}
