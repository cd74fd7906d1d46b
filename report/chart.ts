// Charts as PNG: panels of line or bar series drawn as one SVG, rasterised by @resvg/resvg-js (no browser, no canvas).
// Shared by bench/ and eval/; knows nothing about either.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Series {
  name: string;
  points: [number, number][];
  /** Palette slot; default: the series' position in its panel. Set it to keep one colour per name across panels. */
  colorIndex?: number;
}

export interface ChartPanel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xLog?: boolean;
  yLog?: boolean;
  kind?: 'line' | 'bar';
}

/** Draws the panels in a grid (`columns`, default up to 2) `width` pixels wide (default 1200) and writes a PNG. */
export async function renderPng(panels: ChartPanel[], file: string, options: { columns?: number; width?: number } = {}): Promise<void> {
  if (!Array.isArray(panels) || panels.length === 0) throw new TypeError('renderPng: panels must be a non-empty array');
  const columns = Math.max(1, Math.min(panels.length, Math.floor(options.columns ?? 2)));
  const width = Math.max(320, Math.floor(options.width ?? 1200));
  const svg = gridSvg(panels, columns, width);
  const { Resvg } = await import('@resvg/resvg-js');
  const png = new Resvg(svg, {
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: FONT, sansSerifFamily: FONT },
  }).render().asPng();
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, png);
}

const FONT = 'DejaVu Sans';
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const FONT_PX = 13;
const MARGIN = { left: 74, right: 22, top: 38, bottom: 44 };
const LEGEND_ROW = 20;

function gridSvg(panels: ChartPanel[], columns: number, width: number): string {
  const cellW = width / columns;
  const cellH = Math.round(cellW * 0.62) + Math.max(...panels.map((p) => legendHeight(legendRows(p, cellW))));
  const rows = Math.ceil(panels.length / columns);
  const body = panels.map((p, i) => {
    const x = (i % columns) * cellW;
    const y = Math.floor(i / columns) * cellH;
    return `<g transform="translate(${x.toFixed(1)},${y})">${panelSvg(p, cellW, cellH)}</g>`;
  });
  const height = rows * cellH;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"`,
    ` font-family="${FONT}, sans-serif" font-size="${FONT_PX}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...body,
    '</svg>',
  ].join('');
}

interface Axis {
  min: number;
  max: number;
  log: boolean;
  ticks: number[];
  /** Data value -> pixel offset along the axis, 0..length. */
  scale(v: number, length: number): number;
}

function panelSvg(panel: ChartPanel, w: number, h: number): string {
  const kind = panel.kind ?? 'line';
  const legend = legendRows(panel, w);
  const plot = {
    x: MARGIN.left,
    y: MARGIN.top,
    w: w - MARGIN.left - MARGIN.right,
    h: h - MARGIN.top - MARGIN.bottom - legendHeight(legend),
  };
  const series = panel.series.map((s, i) => ({
    name: s.name,
    colorIndex: s.colorIndex ?? i,
    points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!panel.xLog || kind === 'bar' || x > 0) && (!panel.yLog || y > 0)),
  }));
  const out: string[] = [
    `<text x="${w / 2}" y="${MARGIN.top - 14}" text-anchor="middle" font-size="${FONT_PX + 2}" font-weight="bold">${esc(panel.title)}</text>`,
  ];
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  if (ys.length === 0) {
    out.push(frame(plot), `<text x="${plot.x + plot.w / 2}" y="${plot.y + plot.h / 2}" text-anchor="middle" fill="#888">no data</text>`);
    return out.join('');
  }
  const yAxis = makeAxis(kind === 'bar' && !panel.yLog ? [0, ...ys] : ys, !!panel.yLog, kind === 'bar');
  const toY = (v: number) => plot.y + plot.h - yAxis.scale(v, plot.h);
  out.push(...yAxis.ticks.map((t) => {
    const y = toY(t).toFixed(1);
    return `<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>` +
      `<text x="${plot.x - 6}" y="${y}" dy="4" text-anchor="end">${formatTick(t)}</text>`;
  }));
  if (kind === 'bar') out.push(bars(series, plot, yAxis, toY));
  else out.push(lines(series, plot, makeAxis(series.flatMap((s) => s.points.map((p) => p[0])), !!panel.xLog), toY));
  out.push(
    frame(plot),
    `<text x="${plot.x + plot.w / 2}" y="${plot.y + plot.h + 34}" text-anchor="middle">${esc(panel.xLabel)}</text>`,
    `<text transform="translate(${16},${plot.y + plot.h / 2}) rotate(-90)" text-anchor="middle">${esc(panel.yLabel)}</text>`,
  );
  legend.forEach((row, r) => {
    const y = plot.y + plot.h + MARGIN.bottom + 14 + r * LEGEND_ROW;
    for (const item of row) {
      out.push(
        `<rect x="${(plot.x + item.x).toFixed(1)}" y="${y - 10}" width="12" height="12" fill="${color(item.index)}"/>`,
        `<text x="${(plot.x + item.x + 17).toFixed(1)}" y="${y}">${esc(item.name)}</text>`,
      );
    }
  });
  return out.join('');
}

function lines(series: Series[], plot: Rect, xAxis: Axis, toY: (v: number) => number): string {
  const toX = (v: number) => plot.x + xAxis.scale(v, plot.w);
  // Few distinct x values (concurrency levels, batch sizes): label exactly those.
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const out = (xs.length <= 10 ? xs : xAxis.ticks).map((t) => {
    const x = toX(t).toFixed(1);
    return `<line x1="${x}" x2="${x}" y1="${plot.y}" y2="${plot.y + plot.h}" stroke="#eeeeee"/>` +
      `<text x="${x}" y="${plot.y + plot.h + 16}" text-anchor="middle">${formatTick(t)}</text>`;
  });
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]).map(([x, y]) => [toX(x).toFixed(1), toY(y).toFixed(1)]);
    const c = color(s.colorIndex ?? i);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => p.join(',')).join(' ')}"/>`);
    out.push(...pts.map(([x, y]) => `<circle cx="${x}" cy="${y}" r="3.5" fill="${c}"/>`));
  });
  return out.join('');
}

/** Grouped bars: one group per distinct x value (in ascending order), one bar per series inside a group. */
function bars(series: Series[], plot: Rect, yAxis: Axis, toY: (v: number) => number): string {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const groupW = plot.w / xs.length;
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  const base = toY(yAxis.log ? yAxis.min : Math.max(0, yAxis.min));
  const out = xs.map((x, g) => `<text x="${(plot.x + (g + 0.5) * groupW).toFixed(1)}" y="${plot.y + plot.h + 16}" text-anchor="middle">${formatTick(x)}</text>`);
  series.forEach((s, i) => {
    for (const [x, y] of s.points) {
      const left = plot.x + xs.indexOf(x) * groupW + groupW * 0.1 + i * barW;
      const top = Math.min(toY(y), base);
      out.push(`<rect x="${left.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${Math.abs(base - toY(y)).toFixed(1)}" fill="${color(s.colorIndex ?? i)}"/>`);
    }
  });
  return out.join('');
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

function frame(r: Rect): string {
  return `<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="none" stroke="#555"/>`;
}

/** `fromDecade`: a log axis starts at the decade below the data, so bars drawn from it have comparable lengths. */
function makeAxis(values: number[], log: boolean, fromDecade = false): Axis {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (log) {
    // The data's own range (padded 5 % in log space); grid at decades, and at finer multiples when few are shown.
    let a = fromDecade ? Math.floor(Math.log10(lo)) : Math.log10(lo);
    let b = Math.log10(hi);
    if (a === b) [a, b] = [a - 0.5, b + 0.5];
    const pad = (b - a) * 0.05;
    const min = fromDecade ? 10 ** a : 10 ** (a - pad);
    const max = 10 ** (b + pad);
    const multiples = b - a <= 1.2 ? [1, 1.5, 2, 3, 5, 7] : b - a <= 3 ? [1, 2, 5] : [1];
    const ticks: number[] = [];
    for (let d = Math.floor(a); d <= Math.ceil(b); d++) for (const m of multiples) ticks.push(Number((m * 10 ** d).toPrecision(6)));
    const inside = ticks.filter((t) => t >= min && t <= max);
    return {
      min, max, log,
      ticks: inside.length >= 2 ? inside : [min, max],
      scale: (v, len) => (Math.log10(v / min) / Math.log10(max / min)) * len,
    };
  }
  if (hi === lo) {
    const pad = Math.abs(hi) > 0 ? Math.abs(hi) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep((hi - lo) / 5);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { min: lo, max: hi, log, ticks, scale: (v, len) => ((v - lo) / (hi - lo)) * len };
}

function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const f = raw / magnitude;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
}

function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(4)));
}

interface LegendItem {
  name: string;
  index: number;
  x: number;
}

/** Legend entries laid out in rows under the x label, wrapping at the plot width. */
function legendRows(panel: ChartPanel, w: number): LegendItem[][] {
  const avail = w - MARGIN.left - MARGIN.right;
  const rows: LegendItem[][] = [];
  let x = avail;
  panel.series.forEach((s, index) => {
    const itemW = 17 + s.name.length * FONT_PX * 0.62 + 18;
    if (x + itemW > avail && (rows.length === 0 || rows[rows.length - 1].length > 0)) {
      rows.push([]);
      x = 0;
    }
    rows[rows.length - 1].push({ name: s.name, index: s.colorIndex ?? index, x });
    x += itemW;
  });
  return rows;
}

function legendHeight(rows: LegendItem[][]): number {
  return rows.length === 0 ? 0 : rows.length * LEGEND_ROW + 8;
}

function color(i: number): string {
  return PALETTE[i % PALETTE.length];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
