import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, loadModelSync, type BxnKernels } from '../sdk/index.js';
import { sealBxn, writeBxn } from '../sdk/format/index.js';
import { hostileModel } from '../tools/fuzz/hostile.js';
import { makeRng, mutate, mutateSpec, randomModel, tryMutant, wasmBytes } from './sdk.helpers.js';

// A seeded mutation fuzz that runs in `npm test`. The long run is tools/fuzz.ts.
const SEED = Number(globalThis.process?.env.BEXNET_SEED ?? 20260101) >>> 0;
const MUTANTS = 3000;
const caps = { maxWeightBytes: 2 << 20, maxArenaBytes: 2 << 20, maxMacs: 20_000_000 };

let kernels: BxnKernels;
let debugKernels: BxnKernels; // scalar code with every kernel precondition asserted
beforeAll(async () => {
  kernels = await loadKernels({ wasm: { simd: wasmBytes('simd') }, backend: 'simd' });
  debugKernels = await loadKernels({ wasm: { scalar: wasmBytes('debug') }, backend: 'scalar' });
});

describe(`mutation fuzz (seed ${SEED}, replay with BEXNET_SEED)`, () => {
  it(`${MUTANTS} mutants (SIMD and debug builds): only typed errors or loads with correct bounds; no trap, abort or hang`, () => {
    const rng = makeRng(SEED);
    const specs = Array.from({ length: 12 }, () => randomModel(rng, { maxLayers: 6 }).model);
    const bases = specs.map((spec) => writeBxn(spec));
    const counts: Record<string, number> = {};
    let slowest = 0;
    const started = performance.now();
    for (let i = 0; i < MUTANTS; i++) {
      // One in five mutants is structure-aware (a changed attribute, re-written); the rest are byte-level.
      const mutant = i % 5 === 4 ? writeBxn(mutateSpec(rng, specs[i % specs.length])) : mutate(rng, bases[i % bases.length], sealBxn);
      const r = tryMutant(mutant, i % 2 ? debugKernels : kernels, caps, rng, loadModelSync);
      const key = r.kind === 'typed' ? r.code! : r.kind;
      counts[key] = (counts[key] ?? 0) + 1;
      slowest = Math.max(slowest, r.ms);
      if (r.kind === 'other' || r.kind === 'trap' || r.problem)
        expect.fail(`mutant ${i} (seed ${SEED}): ${r.kind} ${r.problem ?? ''} ${(r.error as Error)?.stack ?? ''}`);
      if (r.ms > 2000) expect.fail(`mutant ${i} (seed ${SEED}) took ${r.ms.toFixed(0)} ms`);
    }
    console.log(`fuzz: ${MUTANTS} mutants in ${(performance.now() - started).toFixed(0)} ms, slowest ${slowest.toFixed(1)} ms`, counts);
    expect(counts.loaded ?? 0).toBeGreaterThan(0);
    expect(Object.keys(counts).length).toBeGreaterThan(8); // many different validators were reached
  }, 120_000);

  it(`600 hostile models built from the op registry (SIMD and debug): typed errors or correct loads, some of each`, () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 600; i++) {
      const rng = makeRng((SEED ^ 0x4057) + i);
      const r = tryMutant(hostileModel(rng), i % 2 ? debugKernels : kernels, caps, rng, loadModelSync);
      const key = r.kind === 'typed' ? r.code! : r.kind;
      counts[key] = (counts[key] ?? 0) + 1;
      if (r.kind === 'other' || r.kind === 'trap' || r.problem)
        expect.fail(`hostile model ${i} (seed ${SEED}): ${r.kind} ${r.problem ?? ''} ${(r.error as Error)?.stack ?? ''}`);
      if (r.ms > 2000) expect.fail(`hostile model ${i} (seed ${SEED}) took ${r.ms.toFixed(0)} ms`);
    }
    console.log('hostile:', counts);
    expect(counts.loaded ?? 0).toBeGreaterThan(30);
    for (const code of ['limit_exceeded', 'shape_mismatch', 'non_finite']) expect(counts[code] ?? 0, code).toBeGreaterThan(0);
  }, 120_000);
});
