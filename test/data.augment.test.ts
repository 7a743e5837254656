import { describe, expect, it } from 'vitest';
import { augmentBatchInPlace, augmentImages, augmentOne, checkAugmentation, dilateCross, imageSeed, NO_AUGMENTATION, type Augmentation } from '../tools/data/augment.js';
import { BASE_SEED, rng, uniform } from './support/rng.js';

const H = 28, W = 28, SIZE = H * W;
/** A stub PRNG that returns the given draws in order (values in [0, 1]; 0.5 is "no change"). */
const draws = (...v: number[]) => { let i = 0; return () => v[i++]; };
const NO_MORE = [0.9, 0.9]; // no dilation, no flip
const aug = (over: Partial<Augmentation>): Augmentation => ({ ...NO_AUGMENTATION, ...over });
const at = (img: Float32Array, y: number, x: number) => (y >= 0 && y < H && x >= 0 && x < W ? img[y * W + x] : 0);

describe(`augmentation (seed ${BASE_SEED}, replay with BEXNET_SEED)`, () => {
  const src = uniform(rng(BASE_SEED), SIZE, 0, 1);
  const tmp = new Float32Array(SIZE);

  it('with no augmentation every image is copied exactly', () => {
    const dst = new Float32Array(SIZE);
    augmentOne(src, H, W, dst, NO_AUGMENTATION, rng(BASE_SEED + 1), tmp);
    expect(dst).toEqual(src);
  });

  it('a +2 px horizontal shift moves every pixel two columns right, background enters at the left', () => {
    const dst = new Float32Array(SIZE);
    augmentOne(src, H, W, dst, aug({ shiftPx: 2 }), draws(0.5, 0.5, 0.5, 1, 0.5, ...NO_MORE), tmp);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expect(dst[y * W + x]).toBe(at(src, y, x - 2));
  });

  it('a flip mirrors columns', () => {
    const dst = new Float32Array(SIZE);
    augmentOne(src, H, W, dst, aug({ flip: 1 }), draws(0.5, 0.5, 0.5, 0.5, 0.5, 0.9, 0), tmp);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expect(dst[y * W + x]).toBe(src[y * W + (W - 1 - x)]);
  });

  it('a 90° rotation is a transpose and a mirror (to f32 rounding)', () => {
    const dst = new Float32Array(SIZE);
    augmentOne(src, H, W, dst, aug({ rotateDeg: 90 }), draws(1, 0.5, 0.5, 0.5, 0.5, ...NO_MORE), tmp);
    // p' = R(90°)·p about the centre: output (x, y) samples source (y, W−1−x)... in centred coordinates.
    let worst = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) worst = Math.max(worst, Math.abs(dst[y * W + x] - at(src, W - 1 - x, y)));
    expect(worst).toBeLessThan(1e-5);
  });

  it('scaling by ~2 about the centre samples the source bilinearly at half the distance', () => {
    const dst = new Float32Array(SIZE);
    const a = aug({ scale: 0.999999 });
    augmentOne(src, H, W, dst, a, draws(0.5, 1, 0.5, 0.5, 0.5, ...NO_MORE), tmp);
    const cx = (W - 1) / 2;
    for (const x of [1, 5, 9, 17, 25]) {
      const sx = (x - cx) / (1 + a.scale) + cx;
      const x0 = Math.floor(sx), fx = sx - x0;
      const y = 9, sy = (y - cx) / (1 + a.scale) + cx, y0 = Math.floor(sy), fy = sy - y0;
      const want = (at(src, y0, x0) * (1 - fx) + at(src, y0, x0 + 1) * fx) * (1 - fy) + (at(src, y0 + 1, x0) * (1 - fx) + at(src, y0 + 1, x0 + 1) * fx) * fy;
      expect(dst[y * W + x]).toBeCloseTo(want, 5);
    }
  });

  it('dilation turns one pixel into a cross of five', () => {
    const one = new Float32Array(SIZE); one[10 * W + 7] = 0.75;
    const out = new Float32Array(SIZE);
    dilateCross(one, H, W, out);
    const lit = [...out.keys()].filter((i) => out[i] > 0).sort((a, b) => a - b);
    expect(lit).toEqual([9 * W + 7, 10 * W + 6, 10 * W + 7, 10 * W + 8, 11 * W + 7]);
    expect(out[10 * W + 8]).toBe(0.75);
  });

  const recipe: Augmentation = { rotateDeg: 12, scale: 0.15, shear: 0.2, shiftPx: 3, dilate: 0.3, flip: 0.5 };
  const n = 9;
  const batch = uniform(rng(BASE_SEED + 2), n * SIZE, 0, 1);

  it('is a function of (seed, epoch, image index) only: batching does not change it', () => {
    const all = new Float32Array(n * SIZE);
    augmentImages(batch, H, W, [...Array(n).keys()], all, recipe, 7, 3);
    const one = new Float32Array(2 * SIZE);
    augmentImages(batch, H, W, [5, 2], one, recipe, 7, 3);
    expect(one.subarray(0, SIZE)).toEqual(all.subarray(5 * SIZE, 6 * SIZE));
    expect(one.subarray(SIZE)).toEqual(all.subarray(2 * SIZE, 3 * SIZE));
    const otherEpoch = new Float32Array(SIZE);
    augmentImages(batch, H, W, [5], otherEpoch, recipe, 7, 4);
    expect(otherEpoch).not.toEqual(one.subarray(0, SIZE));
  });

  it('in place on a gathered batch it gives what augmenting by split index gives', () => {
    const ids = [8, 0, 5];
    const gathered = new Float32Array(ids.length * SIZE);
    ids.forEach((id, j) => gathered.set(batch.subarray(id * SIZE, (id + 1) * SIZE), j * SIZE));
    augmentBatchInPlace(gathered, H, W, ids, recipe, 11, 2);
    const want = new Float32Array(ids.length * SIZE);
    augmentImages(batch, H, W, ids, want, recipe, 11, 2);
    expect(gathered).toEqual(want);
  });

  it('image seeds differ across seed, epoch and index', () => {
    const seen = new Set<number>();
    for (let s = 0; s < 4; s++) for (let e = 0; e < 20; e++) for (let i = 0; i < 200; i++) seen.add(imageSeed(s, e, i));
    expect(seen.size).toBe(4 * 20 * 200);
  });

  it('keeps most of the ink of a centred drawing (nothing flies off the canvas)', () => {
    const drawing = new Float32Array(SIZE);
    for (let y = 8; y < 20; y++) for (let x = 8; x < 20; x++) drawing[y * W + x] = (x + y) % 3 === 0 ? 1 : 0.2;
    const ink = drawing.reduce((a, b) => a + b, 0);
    const out = new Float32Array(SIZE);
    for (let e = 0; e < 20; e++) {
      augmentImages(drawing, H, W, [0], out, { ...recipe, dilate: 0 }, BASE_SEED, e);
      const got = out.reduce((a, b) => a + b, 0);
      // Scale 0.85–1.15 changes the area by 0.72–1.32; shear and rotation keep it.
      expect(got / ink).toBeGreaterThan(0.65);
      expect(got / ink).toBeLessThan(1.4);
    }
  });

  it('rejects bad parameters with a message naming the field', () => {
    expect(() => checkAugmentation(aug({ rotateDeg: NaN }))).toThrow(/rotateDeg/);
    expect(() => checkAugmentation(aug({ shiftPx: -1 }))).toThrow(/shiftPx/);
    expect(() => checkAugmentation(aug({ flip: 1.5 }))).toThrow(/probabilities/);
    expect(() => checkAugmentation(aug({ scale: 1 }))).toThrow(/scale/);
    expect(checkAugmentation(recipe)).toBe(recipe);
  });
});
