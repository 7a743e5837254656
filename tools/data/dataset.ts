// In-memory image classification datasets: NHWC float32 images in [0, 1].
import { hashString, mulberry32, permutation } from '../../sdk/prng.js';

export interface Split {
  /** n * h * w * c floats, row-major per image (NHWC). */
  x: Float32Array;
  /** class index per image */
  y: Int32Array;
  n: number;
}

export interface Dataset {
  name: string;
  classes: string[];
  imageShape: [number, number, number];
  train: Split;
  test: Split;
  /** Seed of the per-class train/test split. */
  seed: number;
}

/** Per-class list of images (each a 784-float array in [0, 1]) → seeded 80/20 split per class. */
export function splitPerClass(
  name: string, classes: string[], perClass: ArrayLike<number>[][], imageShape: [number, number, number],
  opts: { seed?: number; testFraction?: number } = {},
): Dataset {
  const seed = opts.seed ?? 1234;
  const testFraction = opts.testFraction ?? 0.2;
  const size = imageShape[0] * imageShape[1] * imageShape[2];
  const trainIdx: [number, number][] = [], testIdx: [number, number][] = [];
  classes.forEach((cls, c) => {
    const m = perClass[c].length;
    // Seed from the class name, so a subset of classes gets the same split per class.
    const perm = permutation(m, mulberry32((seed ^ hashString(cls)) >>> 0));
    const nTest = Math.round(m * testFraction);
    for (let i = 0; i < m; i++) (i < m - nTest ? trainIdx : testIdx).push([c, perm[i]]);
  });
  const pack = (idx: [number, number][]): Split => {
    const x = new Float32Array(idx.length * size), y = new Int32Array(idx.length);
    idx.forEach(([c, i], j) => {
      const img = perClass[c][i];
      if (img.length !== size) throw new Error(`${name}/${classes[c]}#${i}: expected ${size} values, got ${img.length}`);
      x.set(img as ArrayLike<number>, j * size);
      y[j] = c;
    });
    return { x, y, n: idx.length };
  };
  return { name, classes, imageShape, train: pack(trainIdx), test: pack(testIdx), seed };
}

/** Picks `n` of `all` evenly spaced (deterministic), or all when n is undefined/too large. */
export function pickClasses(all: readonly string[], n?: number): string[] {
  if (n == null || n >= all.length) return all.slice();
  if (!(n >= 1)) throw new Error(`class count must be >= 1, got ${n}`);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(all[Math.floor((i * all.length) / n)]);
  return out;
}
