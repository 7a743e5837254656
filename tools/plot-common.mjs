// What the experiment plots share: a log-x / percent-y scatter frame with ticks and axis
// labels, and the script entry (RESULTS.json [--out FILE.svg], no results = a note, exit 0).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/**
 * The frame of a W×H plot with margins L, R, T, B: x on a log scale over `xs` (values),
 * y in percent over `ys`, both padded; ticks at `xTicks` ([value, label], those in range)
 * and evenly on y. Returns the SVG parts and the value → pixel maps.
 */
export function scatterFrame({ W, H, L, R, T, B }, xs, ys, xTicks, xLabel, yLabel) {
  const lx = xs.map((v) => Math.log10(v));
  let [x0, x1] = [Math.min(...lx), Math.max(...lx)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 - x0 < 0.2) { x0 -= 0.1; x1 += 0.1; }
  if (y1 - y0 < 2) { y0 -= 1; y1 += 1; }
  const padX = 0.05 * (x1 - x0), padY = 0.08 * (y1 - y0);
  x0 -= padX; x1 += padX; y0 -= padY; y1 += padY;
  const px = (v) => L + ((Math.log10(v) - x0) / (x1 - x0)) * (W - L - R);
  const py = (v) => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
  const parts = [`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>`];
  for (const [v, label] of xTicks) {
    const lv = Math.log10(v);
    if (lv < x0 || lv > x1) continue;
    const x = px(v);
    parts.push(`<line x1="${x.toFixed(1)}" y1="${H - B}" x2="${x.toFixed(1)}" y2="${H - B + 4}" stroke="#333"/><text x="${x.toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${label}</text>`);
  }
  const step = [0.5, 1, 2, 5, 10, 20].find((s) => (y1 - y0) / s <= 8) ?? 20;
  for (let v = Math.ceil(y0 / step) * step; v <= y1; v += step) {
    const y = py(v);
    parts.push(`<line x1="${L - 4}" y1="${y.toFixed(1)}" x2="${L}" y2="${y.toFixed(1)}" stroke="#333"/><text x="${L - 7}" y="${(y + 4).toFixed(1)}" text-anchor="end">${+v.toFixed(1)}%</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">${xLabel}</text>`);
  parts.push(`<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">${yLabel}</text>`);
  return { parts, px, py };
}

/** A plot script's entry: `node tools/plot-NAME.mjs [RESULTS.json] [--out FILE.svg]`, defaults tools/results/NAME.{json,svg}. */
export function plotScript(moduleUrl, name, svgOf, command) {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  const root = fileURLToPath(new URL('..', moduleUrl));
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const outFile = at >= 0 ? args[at + 1] : `${root}tools/results/${name}.svg`;
  const inFile = args.find((a, i) => !a.startsWith('--') && (at < 0 || i !== at + 1)) ?? `${root}tools/results/${name}.json`;
  if (!existsSync(inFile)) {
    console.error(`no results yet: ${inFile} does not exist (${command} --json ${inFile}); nothing plotted`);
    process.exit(0);
  }
  writeFileSync(outFile, svgOf(JSON.parse(readFileSync(inFile, 'utf8'))));
  console.error(`wrote ${outFile}`);
}
