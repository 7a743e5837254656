// Seeded PRNG for tests: every random case is replayable. The base seed comes
// from BEXNET_SEED (default fixed) and is printed in every failure message.

import { mulberry32 } from '../../sdk/prng.js';

export const BASE_SEED = Number(process.env.BEXNET_SEED ?? 20261127) >>> 0;

/** mulberry32, the same generator the data splits use. */
export const rng = mulberry32;

/** Uniform floats in [lo, hi). */
export function uniform(rand: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** Random ±1 values; guaranteed to contain both signs when n ≥ 2. */
export function plusMinusOne(rand: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rand() < 0.5 ? -1 : 1;
  if (n >= 2) { out[0] = -1; out[n - 1] = 1; }
  return out;
}
