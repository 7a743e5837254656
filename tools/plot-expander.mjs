// The X-Net experiment's plot: top-1 against .bxn bytes (log scale), one marker shape per
// variant (dense ●, grouped ■, grouped with no shuffle □, X-Net ▲), one colour per binarization, f written beside
// each sparse point. Reads tools/results/expander.json (or the file given), writes
// tools/results/expander.svg (or --out FILE). No dependencies; a missing results file is
// reported and is not an error.
//
//   node tools/plot-expander.mjs [RESULTS.json] [--out FILE.svg]
import { esc, plotScript, scatterFrame } from './plot-common.mjs';

const COLOURS = { float: '#1f77b4', xnor: '#d62728', dabn: '#2ca02c' };
const VARIANTS = ['dense', 'grouped-plain', 'grouped', 'xnet'];
const NAMES = { dense: 'dense', 'grouped-plain': 'grouped (no shuffle)', grouped: 'grouped (shuffled)', xnet: 'X-Net' };

function marker(variant, x, y, colour) {
  const r = 5;
  if (variant === 'dense') return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="${colour}"/>`;
  if (variant === 'grouped') return `<rect x="${(x - r).toFixed(1)}" y="${(y - r).toFixed(1)}" width="${2 * r}" height="${2 * r}" fill="${colour}"/>`;
  if (variant === 'grouped-plain') return `<rect x="${(x - r + 1).toFixed(1)}" y="${(y - r + 1).toFixed(1)}" width="${2 * r - 2}" height="${2 * r - 2}" fill="none" stroke="${colour}" stroke-width="2"/>`;
  return `<path d="M${x.toFixed(1)},${(y - r - 1).toFixed(1)} L${(x + r + 1).toFixed(1)},${(y + r).toFixed(1)} L${(x - r - 1).toFixed(1)},${(y + r).toFixed(1)} Z" fill="${colour}"/>`;
}

/** The SVG text for a results object ({ rows: [{ variant, binarization, f, bxnBytes, top1, ... }] }). */
export function expanderSvg(data) {
  const W = 640, H = 420, L = 70, R = 170, T = 40, B = 50;
  const rows = (data?.rows ?? []).filter((r) => r.bxnBytes > 0 && Number.isFinite(r.top1));
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`;
  const title = `<text x="${L}" y="22" font-size="14">${esc(rows[0]?.model ?? 'sketchnet')}${rows[0] ? ` on ${esc(rows[0].dataset)}` : ''}: top-1 vs .bxn size</text>`;
  if (!rows.length) return `${head}${title}<text x="${L}" y="${H / 2}">no result yet</text></svg>\n`;
  // x ticks at 1, 2, 5 × powers of ten of KiB (below 1 MiB) and of MiB.
  const ticks = [];
  for (let e = -2; e <= 4; e++) {
    for (const m of [1, 2, 5]) {
      const v = +(m * 10 ** e).toPrecision(1);
      if (v < 1000) ticks.push([v * 1024, `${v} KiB`]);
      if (v >= 1) ticks.push([v * 1024 * 1024, `${v} MiB`]);
    }
  }
  const { parts, px, py } = scatterFrame({ W, H, L, R, T, B }, rows.map((r) => r.bxnBytes), rows.map((r) => 100 * r.top1), ticks, '.bxn bytes (log scale)', 'top-1 (mean over seeds)');
  const out = [head, title, ...parts];
  for (const r of rows) {
    const x = px(r.bxnBytes), y = py(100 * r.top1), colour = COLOURS[r.binarization] ?? '#555';
    out.push(marker(r.variant, x, y, colour));
    if (r.f != null) out.push(`<text x="${(x + 8).toFixed(1)}" y="${(y + 4).toFixed(1)}" fill="${colour}">f=${r.f}${r.head === 'x-binary' ? ', X classifier' : ''}</text>`);
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

plotScript(import.meta.url, 'expander', expanderSvg, 'npm run experiment:expander --');
