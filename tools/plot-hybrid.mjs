// The HBN experiment's plot: top-1 against measured sdk latency (log scale), one colour
// per model, one marker per variant (float ●, WBin ■, FBin ▲, hybrids ◆ labelled with
// their budget), each model's Pareto front (no point both faster and more accurate) as
// a line. Reads tools/results/hybrid.json (or the file given), writes
// tools/results/hybrid.svg (or --out FILE). No dependencies; a missing results file is
// reported and is not an error.
//
//   node tools/plot-hybrid.mjs [RESULTS.json] [--out FILE.svg]
import { esc, plotScript, scatterFrame } from './plot-common.mjs';

const COLOURS = { sketchnet: '#1f77b4', resnet: '#d62728' };

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
  const ticks = [];
  for (let e = -3; e <= 3; e++) for (const m of [1, 2, 5]) { const v = +(m * 10 ** e).toPrecision(1); ticks.push([v, `${v} ms`]); }
  const { parts, px, py } = scatterFrame({ W, H, L, R, T, B }, rows.map((r) => r.latencyMs), rows.map((r) => 100 * r.top1), ticks, 'sdk latency per inference, ms (log scale)', 'top-1 (mean over seeds)');
  const out = [head, title, ...parts];
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

plotScript(import.meta.url, 'hybrid', hybridSvg, 'npm run experiment:hybrid --');
