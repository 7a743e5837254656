/**
 * Shared by the sdk/format tests: the seeded PRNG (BEXNET_SEED), the kernel wasm from
 * build/, and (re-exported from tools/fuzz/) random models and mutation.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomSource, type RandomSource } from '../sdk/prng.js';
import { BASE_SEED } from './support/rng.js';

/**
 * The sdk's PRNG with test draws; print the seed on failure. Each test passes its own
 * seed; BEXNET_SEED, when set, is mixed into every one, so one variable replays (or
 * varies) every random sdk test.
 */
export const makeRng = (seed: number): Rng =>
  randomSource(globalThis.process?.env.BEXNET_SEED === undefined ? seed : (Math.imul(seed, 0x9e3779b1) ^ BASE_SEED) >>> 0);
export type Rng = RandomSource;

// ---- kernel wasm (Node only: tests and tools) ----
const buildDir = fileURLToPath(new URL('../build/', import.meta.url));
export const wasmBytes = (backend: 'simd' | 'scalar' | 'debug') => readFileSync(buildDir + `bexnet.${backend}.wasm`);
export const kernelExports = (backend: 'simd' | 'scalar' | 'debug'): Set<string> =>
  new Set(WebAssembly.Module.exports(new WebAssembly.Module(wasmBytes(backend))).map((e) => e.name));

export * from '../tools/fuzz/models.js';
export * from '../tools/fuzz/mutate.js';
