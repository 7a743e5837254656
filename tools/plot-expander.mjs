// The X-Net experiment's plot: top-1 against .bxn bytes (log scale), one marker shape per
// variant (dense ●, grouped ■, X-Net ▲), one colour per binarization, f written beside
// each sparse point. Reads tools/results/expander.json (or the file given), writes
// tools/results/expander.svg (or --out FILE). No dependencies; a missing results file is
// reported and is not an error.
//
//   node tools/plot-expander.mjs [RESULTS.json] [--out FILE.svg]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const COLOURS = { float: '#1f77b4', xnor: '#d62728', dabn: '#2ca02c' };
const VARIANTS = ['dense', 'grouped', 'xnet'];
const NAMES = { dense: 'dense', grouped: 'grouped (shuffled)', xnet: 'X-Net' };

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function marker(variant, x, y, colour) {
  const r = 5;
  if (variant === 'dense') return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="${colour}"/>`;
  if (variant === 'grouped') return `<rect x="${(x - r).toFixed(1)}" y="${(y - r).toFixed(1)}" width="${2 * r}" height="${2 * r}" fill="${colour}"/>`;
  return `<path d="M${x.toFixed(1)},${(y - r - 1).toFixed(1)} L${(x + r + 1).toFixed(1)},${(y + r).toFixed(1)} L${(x - r - 1).toFixed(1)},${(y + r).toFixed(1)} Z" fill="${colour}"/>`;
}

/** The SVG text for a results object ({ rows: [{ variant, binarization, f, bxnBytes, top1, ... }] }). */
export function expanderSvg(data) {
  const W = 640, H = 420, L = 70, R = 170, T = 40, B = 50;
  const rows = (data?.rows ?? []).filter((r) => r.bxnBytes > 0 && Number.isFinite(r.top1));
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`;
  const title = `<text x="${L}" y="22" font-size="14">sketchnet${rows[0] ? ` on ${esc(rows[0].dataset)}` : ''}: top-1 vs .bxn size</text>`;
  if (!rows.length) return `${head}${title}<text x="${L}" y="${H / 2}">no result yet</text></svg>\n`;
  const lx = rows.map((r) => Math.log10(r.bxnBytes)), ys = rows.map((r) => 100 * r.top1);
  let [x0, x1] = [Math.min(...lx), Math.max(...lx)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 - x0 < 0.2) { x0 -= 0.1; x1 += 0.1; }
  if (y1 - y0 < 2) { y0 -= 1; y1 += 1; }
  const padX = 0.05 * (x1 - x0), padY = 0.08 * (y1 - y0);
  x0 -= padX; x1 += padX; y0 -= padY; y1 += padY;
  const px = (b) => L + ((Math.log10(b) - x0) / (x1 - x0)) * (W - L - R);
  const py = (v) => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
  const out = [head, title, `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>`];
  // Axes: ticks at 1, 2, 5 × powers of ten of KiB (below 1 MiB) and of MiB, and evenly on top-1.
  const ticks = [];
  for (let e = -2; e <= 4; e++) {
    for (const m of [1, 2, 5]) {
      const v = +(m * 10 ** e).toPrecision(1);
      if (v < 1000) ticks.push([v * 1024, `${v} KiB`]);
      if (v >= 1) ticks.push([v * 1024 * 1024, `${v} MiB`]);
    }
  }
  for (const [b, label] of ticks) {
    const lb = Math.log10(b);
    if (lb < x0 || lb > x1) continue;
    const x = px(b);
    out.push(`<line x1="${x.toFixed(1)}" y1="${H - B}" x2="${x.toFixed(1)}" y2="${H - B + 4}" stroke="#333"/><text x="${x.toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${label}</text>`);
  }
  const step = [0.5, 1, 2, 5, 10, 20].find((s) => (y1 - y0) / s <= 8) ?? 20;
  for (let v = Math.ceil(y0 / step) * step; v <= y1; v += step) {
    const y = py(v);
    out.push(`<line x1="${L - 4}" y1="${y.toFixed(1)}" x2="${L}" y2="${y.toFixed(1)}" stroke="#333"/><text x="${L - 7}" y="${(y + 4).toFixed(1)}" text-anchor="end">${+v.toFixed(1)}%</text>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">.bxn bytes (log scale)</text>`);
  out.push(`<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">top-1 (mean over seeds)</text>`);
  for (const r of rows) {
    const x = px(r.bxnBytes), y = py(100 * r.top1), colour = COLOURS[r.binarization] ?? '#555';
    out.push(marker(r.variant, x, y, colour));
    if (r.f != null) out.push(`<text x="${(x + 8).toFixed(1)}" y="${(y + 4).toFixed(1)}" fill="${colour}">f=${r.f}</text>`);
  }
  // Legend: shapes (variants present), colours (binarizations present).
  let ly = T + 10;
  const lx0 = W - R + 20;
  for (const v of VARIANTS.filter((v) => rows.some((r) => r.variant === v))) {
    out.push(marker(v, lx0, ly, '#555'), `<text x="${lx0 + 12}" y="${ly + 4}">${NAMES[v]}</text>`);
    ly += 20;
  }
  ly += 8;
  for (const [b, colour] of Object.entries(COLOURS).filter(([b]) => rows.some((r) => r.binarization === b))) {
    out.push(`<rect x="${lx0 - 5}" y="${ly - 5}" width="10" height="10" fill="${colour}"/><text x="${lx0 + 12}" y="${ly + 4}">${b}</text>`);
    ly += 20;
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const outFile = at >= 0 ? args[at + 1] : `${root}tools/results/expander.svg`;
  const inFile = args.find((a, i) => !a.startsWith('--') && (at < 0 || i !== at + 1)) ?? `${root}tools/results/expander.json`;
  if (!existsSync(inFile)) {
    console.error(`no results yet: ${inFile} does not exist (npm run experiment:expander -- --json ${inFile}); nothing plotted`);
    process.exit(0);
  }
  writeFileSync(outFile, expanderSvg(JSON.parse(readFileSync(inFile, 'utf8'))));
  console.error(`wrote ${outFile}`);
}
