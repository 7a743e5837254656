/**
 * The one seeded PRNG of bexnet: mulberry32 (32-bit state, uniform doubles in [0, 1)).
 * Data splits, shuffles, training seeds, test data and fuzzers all draw from it, so a
 * seed means the same stream everywhere. Small, fast and identical on every JS engine.
 */
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a hash of a string, to derive per-class seeds independent of class order. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** In-place Fisher-Yates shuffle. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(a: T, rng: Rng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, rng);
}

/** mulberry32 with the draws tests and fuzzers need. */
export interface RandomSource {
  (): number;
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  /** A multiple of 1/denominator in [−maxAbs, maxAbs]: exact in f16, f32 and f64. */
  dyadic(denominator: number, maxAbs: number): number;
}

export function randomSource(seed: number): RandomSource {
  const next = mulberry32(seed);
  const rng = next as RandomSource;
  rng.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  rng.pick = (items) => items[Math.floor(next() * items.length)];
  rng.dyadic = (denominator, maxAbs) => Math.round((next() * 2 - 1) * maxAbs * denominator) / denominator || 0; // no -0
  return rng;
}
