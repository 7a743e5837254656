// The HBN experiment's plot: top-1 against measured sdk latency (log scale), one colour
// per model, one marker per variant (float ●, WBin ■, FBin ▲, hybrids ◆ labelled with
// their budget), each model's Pareto front (no point both faster and more accurate) as
// a line. Reads tools/results/hybrid.json (or the file given), writes
// tools/results/hybrid.svg (or --out FILE). No dependencies; a missing results file is
// reported and is not an error.
//
//   node tools/plot-hybrid.mjs [RESULTS.json] [--out FILE.svg]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const COLOURS = { sketchnet: '#1f77b4', resnet: '#d62728' };
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function marker(variant, x, y, colour) {
  const r = 5, X = x.toFixed(1), Y = y.toFixed(1);
  if (variant === 'float') return `<circle cx="${X}" cy="${Y}" r="${r}" fill="${colour}"/>`;
  if (variant === 'wbin') return `<rect x="${(x - r).toFixed(1)}" y="${(y - r).toFixed(1)}" width="${2 * r}" height="${2 * r}" fill="${colour}"/>`;
  if (variant === 'fbin') return `<path d="M${X},${(y - r - 1).toFixed(1)} L${(x + r + 1).toFixed(1)},${(y + r).toFixed(1)} L${(x - r - 1).toFixed(1)},${(y + r).toFixed(1)} Z" fill="${colour}"/>`;
  return `<path d="M${X},${(y - r - 1).toFixed(1)} L${(x + r + 1).toFixed(1)},${Y} L${X},${(y + r + 1).toFixed(1)} L${(x - r - 1).toFixed(1)},${Y} Z" fill="${colour}"/>`;
}

/** Points no other beats on both axes, by latency (tools/train/hybrid-plan.ts paretoFront, restated for this script). */
function paretoFront(points) {
  const front = [];
  for (const p of [...points].sort((a, b) => a.latencyMs - b.latencyMs || b.top1 - a.top1)) if (!front.length || p.top1 > front.at(-1).top1) front.push(p);
  return front;
}

/** The SVG text for a results object ({ rows: [{ model, variant, latencyMs, top1, ... }], settings }). */
export function hybridSvg(data) {
  const W = 640, H = 420, L = 70, R = 160, T = 40, B = 50;
  const rows = (data?.rows ?? []).filter((r) => r.latencyMs > 0 && Number.isFinite(r.top1));
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`;
  const title = `<text x="${L}" y="22" font-size="14">HBN${rows[0] ? ` on ${esc(rows[0].dataset)}` : ''}: top-1 vs measured latency</text>`;
  if (!rows.length) return `${head}${title}<text x="${L}" y="${H / 2}">no result yet</text></svg>\n`;
  const lx = rows.map((r) => Math.log10(r.latencyMs)), ys = rows.map((r) => 100 * r.top1);
  let [x0, x1] = [Math.min(...lx), Math.max(...lx)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 - x0 < 0.2) { x0 -= 0.1; x1 += 0.1; }
  if (y1 - y0 < 2) { y0 -= 1; y1 += 1; }
  const padX = 0.06 * (x1 - x0), padY = 0.08 * (y1 - y0);
  x0 -= padX; x1 += padX; y0 -= padY; y1 += padY;
  const px = (ms) => L + ((Math.log10(ms) - x0) / (x1 - x0)) * (W - L - R);
  const py = (v) => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
  const out = [head, title, `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>`];
  for (let e = -3; e <= 3; e++) {
    for (const m of [1, 2, 5]) {
      const v = +(m * 10 ** e).toPrecision(1), lv = Math.log10(v);
      if (lv < x0 || lv > x1) continue;
      const x = px(v);
      out.push(`<line x1="${x.toFixed(1)}" y1="${H - B}" x2="${x.toFixed(1)}" y2="${H - B + 4}" stroke="#333"/><text x="${x.toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${v} ms</text>`);
    }
  }
  const step = [0.5, 1, 2, 5, 10, 20].find((s) => (y1 - y0) / s <= 8) ?? 20;
  for (let v = Math.ceil(y0 / step) * step; v <= y1; v += step) {
    const y = py(v);
    out.push(`<line x1="${L - 4}" y1="${y.toFixed(1)}" x2="${L}" y2="${y.toFixed(1)}" stroke="#333"/><text x="${L - 7}" y="${(y + 4).toFixed(1)}" text-anchor="end">${+v.toFixed(1)}%</text>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">sdk latency per inference, ms (log scale)</text>`);
  out.push(`<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">top-1 (mean over seeds)</text>`);
  const budget = data?.settings?.slowdown ?? {};
  for (const model of Object.keys(COLOURS)) {
    const mine = rows.filter((r) => r.model === model);
    if (!mine.length) continue;
    const colour = COLOURS[model];
    const front = paretoFront(mine);
    out.push(`<polyline points="${front.map((r) => `${px(r.latencyMs).toFixed(1)},${py(100 * r.top1).toFixed(1)}`).join(' ')}" fill="none" stroke="${colour}" stroke-dasharray="4 3"/>`);
    for (const r of mine) {
      const x = px(r.latencyMs), y = py(100 * r.top1);
      out.push(marker(r.variant, x, y, colour));
      if (r.variant.startsWith('hybrid')) out.push(`<text x="${(x + 8).toFixed(1)}" y="${(y + 4).toFixed(1)}" fill="${colour}">≤${budget[r.variant] ?? '?'}× FBin</text>`);
    }
  }
  let ly = T + 10;
  const lx0 = W - R + 20;
  for (const [v, name] of [['float', 'float'], ['wbin', 'WBin (float inputs)'], ['fbin', 'FBin (fully binary)'], ['hybrid-1', 'planner hybrid']]) {
    if (!rows.some((r) => r.variant === v || (v === 'hybrid-1' && r.variant.startsWith('hybrid')))) continue;
    out.push(marker(v, lx0, ly, '#555'), `<text x="${lx0 + 12}" y="${ly + 4}">${name}</text>`);
    ly += 20;
  }
  ly += 8;
  for (const [m, colour] of Object.entries(COLOURS).filter(([m]) => rows.some((r) => r.model === m))) {
    out.push(`<rect x="${lx0 - 5}" y="${ly - 5}" width="10" height="10" fill="${colour}"/><text x="${lx0 + 12}" y="${ly + 4}">${m}</text>`);
    ly += 20;
  }
  out.push(`<line x1="${lx0 - 6}" y1="${ly}" x2="${lx0 + 6}" y2="${ly}" stroke="#555" stroke-dasharray="4 3"/><text x="${lx0 + 12}" y="${ly + 4}">Pareto front</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const outFile = at >= 0 ? args[at + 1] : `${root}tools/results/hybrid.svg`;
  const inFile = args.find((a, i) => !a.startsWith('--') && (at < 0 || i !== at + 1)) ?? `${root}tools/results/hybrid.json`;
  if (!existsSync(inFile)) {
    console.error(`no results yet: ${inFile} does not exist (npm run experiment:hybrid -- --json ${inFile}); nothing plotted`);
    process.exit(0);
  }
  writeFileSync(outFile, hybridSvg(JSON.parse(readFileSync(inFile, 'utf8'))));
  console.error(`wrote ${outFile}`);
}
