import type { ColumnMeta, TabularResult } from '../reports/report-definition.js';

/** One tile to draw. */
export interface ChartTile {
  readonly title: string;
  readonly chart: string;
  readonly data: TabularResult;
}

const TILE_W = 480;
const TILE_H = 300;
const GAP = 16;
const COLUMNS = 2;
const PALETTE = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
const FONT = 'DejaVu Sans, Arial, Helvetica, sans-serif';

export const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

const NUMERIC = new Set(['INTEGER', 'DECIMAL']);

/** The label column (first non-numeric) and the value column (first numeric) of a result. */
function axes(columns: readonly ColumnMeta[]): { label: ColumnMeta | undefined; value: ColumnMeta | undefined } {
  return { label: columns.find((c) => !NUMERIC.has(c.type) && c.type !== 'ID') ?? columns.find((c) => !NUMERIC.has(c.type)), value: columns.find((c) => NUMERIC.has(c.type)) };
}

interface Point {
  readonly label: string;
  readonly value: number;
  readonly display: string;
}

function points(data: TabularResult, max = 12): Point[] {
  const { label, value } = axes(data.columns);
  if (!value) return [];
  return data.rows.slice(0, max).map((row) => {
    const raw = row[value.key];
    const labels = label ? row[label.key] : null;
    return { label: labels === null || labels === undefined ? '(empty)' : String(labels), value: Number(raw ?? 0) || 0, display: raw === null || raw === undefined ? '' : String(raw) };
  });
}

const text = (x: number, y: number, content: string, size = 11, anchor = 'start', extra = ''): string =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT}" font-size="${size}" text-anchor="${anchor}"${extra}>${escapeXml(content.length > 28 ? `${content.slice(0, 27)}…` : content)}</text>`;

function bars(data: TabularResult, w: number, h: number): string {
  const list = points(data);
  if (list.length === 0) return text(w / 2, h / 2, 'No data', 12, 'middle');
  const top = Math.max(...list.map((p) => p.value), 0) || 1;
  const slot = w / list.length;
  return list
    .map((p, i) => {
      const barH = Math.max(0, (p.value / top) * (h - 40));
      const x = i * slot + slot * 0.15;
      return `<rect x="${x.toFixed(1)}" y="${(h - 20 - barH).toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${barH.toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}"/>` +
        text(x + slot * 0.35, h - 6, p.label, 9, 'middle') + text(x + slot * 0.35, h - 24 - barH, p.display, 9, 'middle');
    })
    .join('');
}

function line(data: TabularResult, w: number, h: number): string {
  const list = points(data, 60);
  if (list.length === 0) return text(w / 2, h / 2, 'No data', 12, 'middle');
  const top = Math.max(...list.map((p) => p.value), 0) || 1;
  const step = list.length > 1 ? (w - 20) / (list.length - 1) : 0;
  const coords = list.map((p, i) => `${(10 + i * step).toFixed(1)},${(h - 20 - (p.value / top) * (h - 40)).toFixed(1)}`);
  return `<polyline points="${coords.join(' ')}" fill="none" stroke="${PALETTE[0]}" stroke-width="2"/>` +
    text(10, h - 4, list[0]?.label ?? '', 9) + text(w - 10, h - 4, list[list.length - 1]?.label ?? '', 9, 'end');
}

function pie(data: TabularResult, w: number, h: number): string {
  const list = points(data, 8).filter((p) => p.value > 0);
  const total = list.reduce((sum, p) => sum + p.value, 0);
  if (total === 0) return text(w / 2, h / 2, 'No data', 12, 'middle');
  const r = Math.min(w / 2, h) / 2 - 10;
  const cx = r + 10;
  const cy = h / 2;
  let angle = -Math.PI / 2;
  return list
    .map((p, i) => {
      const sweep = (p.value / total) * Math.PI * 2;
      const color = PALETTE[i % PALETTE.length];
      const legend = `<rect x="${w / 2 + 10}" y="${20 + i * 18}" width="10" height="10" fill="${color}"/>` + text(w / 2 + 26, 29 + i * 18, `${p.label}: ${p.display}`, 10);
      if (list.length === 1) return `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${color}"/>${legend}`;
      const [x1, y1] = [cx + r * Math.cos(angle), cy + r * Math.sin(angle)];
      angle += sweep;
      const [x2, y2] = [cx + r * Math.cos(angle), cy + r * Math.sin(angle)];
      return `<path d="M${cx},${cy} L${x1.toFixed(1)},${y1.toFixed(1)} A${r},${r} 0 ${sweep > Math.PI ? 1 : 0} 1 ${x2.toFixed(1)},${y2.toFixed(1)} Z" fill="${color}"/>${legend}`;
    })
    .join('');
}

function funnel(data: TabularResult, w: number, h: number): string {
  const list = points(data, 8);
  if (list.length === 0) return text(w / 2, h / 2, 'No data', 12, 'middle');
  const top = Math.max(...list.map((p) => p.value), 0) || 1;
  const rowH = h / list.length;
  return list
    .map((p, i) => {
      const barW = Math.max(4, (p.value / top) * (w - 20));
      return `<rect x="${((w - barW) / 2).toFixed(1)}" y="${(i * rowH + 2).toFixed(1)}" width="${barW.toFixed(1)}" height="${(rowH - 4).toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}" opacity="0.85"/>` +
        text(w / 2, i * rowH + rowH / 2 + 4, `${p.label}: ${p.display}`, 10, 'middle');
    })
    .join('');
}

function kpi(data: TabularResult, w: number, h: number): string {
  const value = axes(data.columns).value;
  const first = data.rows[0];
  const shown = value && first ? String(first[value.key] ?? '0') : '-';
  return text(w / 2, h / 2 + 10, shown, 40, 'middle', ' font-weight="bold"') + text(w / 2, h / 2 + 40, value?.label ?? '', 12, 'middle');
}

function table(data: TabularResult, w: number, h: number): string {
  const columns = data.columns.filter((c) => c.type !== 'ID').slice(0, 4);
  const colW = w / Math.max(1, columns.length);
  const maxRows = Math.floor(h / 18) - 1;
  const header = columns.map((c, i) => text(i * colW + 4, 14, c.label, 10, 'start', ' font-weight="bold"')).join('');
  const body = data.rows
    .slice(0, maxRows)
    .map((row, r) => columns.map((c, i) => text(i * colW + 4, 32 + r * 18, String(row[c.key] ?? ''), 10)).join(''))
    .join('');
  return header + body;
}

function drawChart(tile: ChartTile, w: number, h: number): string {
  switch (tile.chart) {
    case 'BAR':
      return bars(tile.data, w, h);
    case 'LINE':
      return line(tile.data, w, h);
    case 'PIE':
      return pie(tile.data, w, h);
    case 'FUNNEL':
      return funnel(tile.data, w, h);
    case 'KPI':
      return kpi(tile.data, w, h);
    default:
      return table(tile.data, w, h);
  }
}

/** A dashboard as one SVG: a two-column grid of titled tiles. */
export function dashboardSvg(name: string, tiles: readonly ChartTile[]): string {
  const rows = Math.max(1, Math.ceil(tiles.length / COLUMNS));
  const width = COLUMNS * TILE_W + (COLUMNS + 1) * GAP;
  const height = 50 + rows * (TILE_H + GAP);
  const body = tiles
    .map((tile, i) => {
      const x = GAP + (i % COLUMNS) * (TILE_W + GAP);
      const y = 50 + Math.floor(i / COLUMNS) * (TILE_H + GAP);
      return `<g transform="translate(${x},${y})"><rect width="${TILE_W}" height="${TILE_H}" rx="6" fill="#ffffff" stroke="#d1d5db"/>` +
        text(12, 22, tile.title, 14, 'start', ' font-weight="bold"') +
        `<g transform="translate(12,36)">${drawChart(tile, TILE_W - 24, TILE_H - 48)}</g></g>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="100%" height="100%" fill="#f3f4f6"/>${text(GAP, 32, name, 20, 'start', ' font-weight="bold"')}${body}</svg>`;
}

/** The SVG rasterised by resvg (loaded on first use: a native module). */
export async function svgToPng(svg: string): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const rendered = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' }).render();
  return rendered.asPng();
}
