// On-the-fly augmentation of single-channel images (QuickDraw bitmaps, MNIST):
// a random affine map (rotation, scale, shear, shift) sampled bilinearly, an
// optional stroke thickening (grey-level dilation) and an optional horizontal flip.
//
// Reproducible by construction: image i of epoch e is transformed with a PRNG
// seeded from (seed, epoch, i) alone, so the augmented data do not depend on the
// batch size, the shuffle, or how many workers share a batch.
import { mulberry32 } from '../../sdk/prng.js';

export interface Augmentation {
  /** Rotation drawn uniformly from ±rotateDeg degrees. */
  rotateDeg: number;
  /** Isotropic scale drawn uniformly from [1 − scale, 1 + scale]. */
  scale: number;
  /** Horizontal shear factor drawn uniformly from ±shear. */
  shear: number;
  /** Shift in pixels drawn uniformly from ±shiftPx on each axis. */
  shiftPx: number;
  /** Probability of thickening the strokes by a 3×3 cross dilation (before the affine map). */
  dilate: number;
  /** Probability of a horizontal flip. */
  flip: number;
}

export const NO_AUGMENTATION: Readonly<Augmentation> = Object.freeze({ rotateDeg: 0, scale: 0, shear: 0, shiftPx: 0, dilate: 0, flip: 0 });

const FIELDS = Object.keys(NO_AUGMENTATION) as (keyof Augmentation)[];

/** Checks every field is a finite, non-negative number (probabilities ≤ 1, scale < 1). */
export function checkAugmentation(a: Augmentation): Augmentation {
  for (const k of FIELDS) {
    const v = a[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`augmentation.${k} must be a finite number ≥ 0, got ${v}`);
  }
  if (a.dilate > 1 || a.flip > 1) throw new Error(`augmentation.dilate and .flip are probabilities in [0, 1]`);
  if (a.scale >= 1) throw new Error(`augmentation.scale must be < 1 (a factor in [1 − scale, 1 + scale]), got ${a.scale}`);
  return a;
}

export const isIdentity = (a: Augmentation): boolean => FIELDS.every((k) => a[k] === 0);

/** The PRNG seed of image `index` in epoch `epoch` (a 32-bit mix of the three). */
export function imageSeed(seed: number, epoch: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35) ^ Math.imul(index + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Augment images `indices` of `src` (n × h × w, one channel) into `dst` (indices.length × h × w).
 * `tmp` is an optional h·w scratch array (reused to avoid allocation per image).
 */
export function augmentImages(
  src: Float32Array, h: number, w: number, indices: ArrayLike<number>, dst: Float32Array,
  a: Augmentation, seed: number, epoch: number, tmp = new Float32Array(h * w),
): void {
  const size = h * w;
  if (dst.length < indices.length * size) throw new Error(`augmentImages: dst holds ${dst.length} values, needs ${indices.length * size}`);
  for (let j = 0; j < indices.length; j++) {
    const index = indices[j];
    const image = src.subarray(index * size, (index + 1) * size);
    augmentOne(image, h, w, dst.subarray(j * size, (j + 1) * size), a, mulberry32(imageSeed(seed, epoch, index)), tmp);
  }
}

/**
 * Augment a gathered batch in place: x holds ids.length images, image j is image ids[j]
 * of the split (its seed), so the result does not depend on how the batch was cut.
 */
export function augmentBatchInPlace(
  x: Float32Array, h: number, w: number, ids: ArrayLike<number>, a: Augmentation, seed: number, epoch: number,
): void {
  const size = h * w;
  const copy = new Float32Array(size), tmp = new Float32Array(size);
  for (let j = 0; j < ids.length; j++) {
    const image = x.subarray(j * size, (j + 1) * size);
    copy.set(image);
    augmentOne(copy, h, w, image, a, mulberry32(imageSeed(seed, epoch, ids[j])), tmp);
  }
}

/** One image: draw the parameters, dilate (maybe), then inverse-map every output pixel. */
export function augmentOne(src: Float32Array, h: number, w: number, dst: Float32Array, a: Augmentation, rng: () => number, tmp: Float32Array): void {
  const uniform = (r: number) => (rng() * 2 - 1) * r;
  // Always draw every parameter, so one field's value never shifts another's stream.
  const theta = (uniform(a.rotateDeg) * Math.PI) / 180;
  const s = 1 + uniform(a.scale);
  const k = uniform(a.shear);
  const tx = uniform(a.shiftPx), ty = uniform(a.shiftPx);
  const dilate = rng() < a.dilate;
  const flip = rng() < a.flip;

  let image = src;
  if (dilate) { dilateCross(src, h, w, tmp); image = tmp; }

  // Forward map about the centre: p' = R(θ)·Shear(k)·S(s)·p (+ t), with x mirrored first when flipped.
  const cos = Math.cos(theta), sin = Math.sin(theta);
  const m00 = s * cos, m01 = s * (cos * k - sin), m10 = s * sin, m11 = s * (sin * k + cos);
  const det = m00 * m11 - m01 * m10;
  const i00 = m11 / det, i01 = -m01 / det, i10 = -m10 / det, i11 = m00 / det;
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  const fx = flip ? -1 : 1;
  for (let y = 0; y < h; y++) {
    const dy = y - cy - ty;
    for (let x = 0; x < w; x++) {
      const dx = x - cx - tx;
      const sx = fx * (i00 * dx + i01 * dy) + cx;
      const sy = i10 * dx + i11 * dy + cy;
      dst[y * w + x] = bilinear(image, h, w, sx, sy);
    }
  }
}

/** Bilinear sample with zero (background) outside the image. */
function bilinear(img: Float32Array, h: number, w: number, x: number, y: number): number {
  const x0 = Math.floor(x), y0 = Math.floor(y);
  if (x0 < -1 || y0 < -1 || x0 >= w || y0 >= h) return 0;
  const ax = x - x0, ay = y - y0;
  const at = (yy: number, xx: number) => (yy >= 0 && yy < h && xx >= 0 && xx < w ? img[yy * w + xx] : 0);
  const top = at(y0, x0) * (1 - ax) + at(y0, x0 + 1) * ax;
  const bottom = at(y0 + 1, x0) * (1 - ax) + at(y0 + 1, x0 + 1) * ax;
  return top * (1 - ay) + bottom * ay;
}

/** Grey-level dilation with a 3×3 cross: thickens strokes by about one pixel. */
export function dilateCross(src: Float32Array, h: number, w: number, dst: Float32Array): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = src[y * w + x];
      if (x > 0) v = Math.max(v, src[y * w + x - 1]);
      if (x + 1 < w) v = Math.max(v, src[y * w + x + 1]);
      if (y > 0) v = Math.max(v, src[(y - 1) * w + x]);
      if (y + 1 < h) v = Math.max(v, src[(y + 1) * w + x]);
      dst[y * w + x] = v;
    }
  }
}
