import type { SoakCriterion, SoakSample } from './evaluateSoak.js';

/** What the chart's title and summary say about the run. */
export interface SoakChartMeta {
  title: string;
  /** Lines under the title (machine, rate, date). */
  subtitle: string[];
  /** Seconds since start of the member restart (drawn as a dashed line). */
  restartAt: number;
  criteria: readonly SoakCriterion[];
}

interface Series {
  label: string;
  color: string;
  values: Array<number | null>;
}

interface Panel {
  title: string;
  unit: string;
  series: Series[];
}

const WIDTH = 1000;
const PANEL_W = 470;
const PANEL_H = 170;
const PLOT = { left: 56, right: 12, top: 26, bottom: 24 };
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten at or above `max`. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

function formatTick(value: number): string {
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(value % 1_000_000 === 0 ? 0 : 1)}M`;
  if (value >= 1000) return `${(value / 1000).toFixed(value % 1000 === 0 ? 0 : 1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function renderPanel(panel: Panel, x0: number, y0: number, times: number[], restartAt: number): string {
  const w = PANEL_W - PLOT.left - PLOT.right;
  const h = PANEL_H - PLOT.top - PLOT.bottom;
  const tMax = Math.max(60, times.at(-1) ?? 60);
  const all = panel.series.flatMap((s) =>
    s.values.filter((v): v is number => v !== null && Number.isFinite(v)),
  );
  const yMax = niceCeiling(Math.max(0, ...all));
  const px = (t: number) => x0 + PLOT.left + (t / tMax) * w;
  const py = (v: number) => y0 + PLOT.top + h - (v / yMax) * h;
  const parts: string[] = [];
  parts.push(
    `<text x="${x0 + PLOT.left}" y="${y0 + 16}" class="panel">${escapeXml(panel.title)} <tspan class="unit">(${escapeXml(panel.unit)})</tspan></text>`,
  );
  // Grid and y ticks.
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = py(v).toFixed(1);
    parts.push(`<line x1="${x0 + PLOT.left}" x2="${x0 + PLOT.left + w}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(
      `<text x="${x0 + PLOT.left - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${formatTick(v)}</text>`,
    );
  }
  // x ticks every minute (or every 5 minutes for long runs).
  const stepMin = tMax > 1800 ? 5 : 1;
  for (let m = 0; m * 60 <= tMax; m += stepMin) {
    const x = px(m * 60).toFixed(1);
    parts.push(`<text x="${x}" y="${y0 + PLOT.top + h + 15}" class="tick" text-anchor="middle">${m}m</text>`);
  }
  const rx = px(restartAt).toFixed(1);
  parts.push(`<line x1="${rx}" x2="${rx}" y1="${y0 + PLOT.top}" y2="${y0 + PLOT.top + h}" class="restart"/>`);
  panel.series.forEach((series, index) => {
    let d = '';
    let pen = false;
    series.values.forEach((v, i) => {
      const t = times[i] as number;
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${px(t).toFixed(1)},${py(v).toFixed(1)}`;
      pen = true;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${series.color}" stroke-width="1.5"/>`);
    if (panel.series.length > 1) {
      const lx = x0 + PLOT.left + w - 150 + (index % 2) * 80;
      const ly = y0 + 16;
      parts.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${series.color}"/>`);
      parts.push(`<text x="${lx + 14}" y="${ly - 3}" class="tick">${escapeXml(series.label)}</text>`);
    }
  });
  parts.push(
    `<rect x="${x0 + PLOT.left}" y="${y0 + PLOT.top}" width="${w}" height="${h}" fill="none" class="frame"/>`,
  );
  return parts.join('\n');
}

/**
 * Draws a soak run as a self-contained SVG (no scripts, no external resources): heap after GC and
 * heap in use, RSS, open file descriptors, event-loop delay p99, consumer lag, throughput against
 * the input rate and batch latency p50/p99 over time, with the member restart as a dashed red line,
 * and the pass criteria underneath.
 */
export function renderSoakChart(samples: readonly SoakSample[], meta: SoakChartMeta): string {
  const times = samples.map((s) => s.t);
  const pick = (f: (s: SoakSample) => number | null) => samples.map(f);
  const panels: Panel[] = [
    {
      title: 'Heap',
      unit: 'MiB',
      series: [
        {
          label: 'after GC',
          color: COLORS[0] as string,
          values: pick((s) => (s.heapAfterGcMb > 0 ? s.heapAfterGcMb : null)),
        },
        { label: 'in use', color: COLORS[1] as string, values: pick((s) => s.heapUsedMb) },
      ],
    },
    {
      title: 'Resident set size',
      unit: 'MiB',
      series: [{ label: 'RSS', color: COLORS[0] as string, values: pick((s) => s.rssMb) }],
    },
    {
      title: 'Open file descriptors',
      unit: 'count',
      series: [{ label: 'fds', color: COLORS[0] as string, values: pick((s) => s.openFds) }],
    },
    {
      title: 'Event-loop delay p99',
      unit: 'ms',
      series: [{ label: 'p99', color: COLORS[0] as string, values: pick((s) => s.eventLoopP99Ms) }],
    },
    {
      title: 'Consumer lag (input)',
      unit: 'messages',
      series: [{ label: 'lag', color: COLORS[0] as string, values: pick((s) => s.lag) }],
    },
    {
      title: 'Throughput',
      unit: 'events/s',
      series: [
        { label: 'processed', color: COLORS[0] as string, values: pick((s) => s.throughput) },
        { label: 'produced', color: COLORS[2] as string, values: pick((s) => s.producedRate) },
      ],
    },
    {
      title: 'Aggregate batch latency',
      unit: 'ms',
      series: [
        { label: 'p50', color: COLORS[0] as string, values: pick((s) => s.batchP50Ms) },
        { label: 'p99', color: COLORS[1] as string, values: pick((s) => s.batchP99Ms) },
      ],
    },
  ];
  const headerH = 40 + meta.subtitle.length * 16;
  const rows = Math.ceil((panels.length + 1) / 2);
  const height = headerH + rows * PANEL_H + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.panel{font-size:13px;font-weight:bold;fill:#222}.unit{font-weight:normal;fill:#666}.tick{font-size:10px;fill:#555}.grid{stroke:#e5e5e5;stroke-width:1}.frame{stroke:#999;stroke-width:1}.restart{stroke:#d62728;stroke-width:1.2;stroke-dasharray:4 3}.title{font-size:17px;font-weight:bold;fill:#111}.sub{font-size:12px;fill:#444}.pass{font-size:12px;fill:#2ca02c}.fail{font-size:12px;fill:#d62728}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="20" y="26" class="title">${escapeXml(meta.title)}</text>`,
    ...meta.subtitle.map(
      (line, i) => `<text x="20" y="${46 + i * 16}" class="sub">${escapeXml(line)}</text>`,
    ),
  ];
  panels.forEach((panel, i) => {
    parts.push(
      renderPanel(
        panel,
        20 + (i % 2) * (PANEL_W + 20),
        headerH + Math.floor(i / 2) * PANEL_H,
        times,
        meta.restartAt,
      ),
    );
  });
  // The criteria in the last cell.
  const cx = 20 + (panels.length % 2) * (PANEL_W + 20) + PLOT.left;
  const cy = headerH + Math.floor(panels.length / 2) * PANEL_H;
  parts.push(
    `<text x="${cx}" y="${cy + 16}" class="panel">Pass criteria <tspan class="unit">(dashed red line: member restart)</tspan></text>`,
  );
  meta.criteria.forEach((c, i) => {
    parts.push(
      `<text x="${cx}" y="${cy + 40 + i * 36}" class="${c.pass ? 'pass' : 'fail'}">${c.pass ? 'PASS' : 'FAIL'}  ${escapeXml(c.name)}</text>`,
    );
    parts.push(`<text x="${cx + 12}" y="${cy + 55 + i * 36}" class="tick">${escapeXml(c.detail)}</text>`);
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
