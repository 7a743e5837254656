// The example models in every real runtime (targets/*), compared with Node on the same
// seeded inputs: same kernel build → bit-identical outputs; scalar vs simd → within
// FLOAT_TOLERANCE × max |output|. A runtime that is not installed fails here (.ci/run installs them).
// The DABN sketch net needs only the core kernel build, its X-Net the complete one: zero-config
// loading must find the right file in every runtime that locates its own kernels.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare, EXAMPLE_MODELS, FLOAT_TOLERANCE, makeInputs, RUNTIMES, smoke, type SmokeResult } from '../targets/runners.mjs';
import { BASE_SEED } from './support/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'bexnet-runtimes-'));
const inputsPath = join(dir, 'inputs.f32');
let inputs: Float32Array;
const ZERO_CONFIG = new Set(['node', 'deno', 'bun', 'chromium', 'firefox', 'webkit']);
/** The kernel file zero-config loading takes for each example: core unless the model has X-Net layers. */
const KERNEL_FILE = { 'sketch-dabn': 'simd-core', 'sketch-xnet-dabn': 'simd' } as const;
const reference: Record<string, Partial<Record<'simd' | 'scalar', SmokeResult>>> = {};

beforeAll(async () => {
  inputs = await makeInputs(BASE_SEED);
  writeFileSync(inputsPath, new Uint8Array(inputs.buffer));
  for (const [name, model] of Object.entries(EXAMPLE_MODELS)) {
    reference[name] = {
      simd: await smoke('node', { inputs, inputsPath, backend: 'simd', model }),
      scalar: await smoke('node', { inputs, inputsPath, backend: 'scalar', model }),
    };
  }
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('every example model has its expected kernel file', () => {
  expect(Object.keys(KERNEL_FILE).sort()).toEqual(Object.keys(EXAMPLE_MODELS).sort());
});

for (const [name, model] of Object.entries(EXAMPLE_MODELS) as [keyof typeof KERNEL_FILE, string][]) {
  const file = KERNEL_FILE[name];
  describe(`${name} in real runtimes (seed ${BASE_SEED})`, () => {
    it('Node: the reference builds differ only within the float tolerance, and the outputs are not degenerate', () => {
      const { simd, scalar } = reference[name] as Required<(typeof reference)[string]>;
      expect([simd.build, scalar.build]).toEqual(['simd', 'scalar']);
      expect(scalar.reason).toMatch(new RegExp(`^scalar: requested \\(backend: 'scalar'\\); kernels file://\\S+/build/bexnet\\.${file.replace('simd', 'scalar')}\\.wasm$`));
      expect(simd.outputs).toHaveLength(8);
      // Different inputs give different outputs (a constant model would agree trivially).
      expect(new Set(simd.outputs.map((o) => o.join())).size).toBe(8);
      const c = compare(scalar, simd);
      expect(c.top1Same).toBe(true);
      expect(c.maxAbsDiff).toBeLessThanOrEqual(FLOAT_TOLERANCE * c.maxAbs);
      expect(c.agree).toBe(true);
    });

    for (const runtime of RUNTIMES.filter((r) => r !== 'node' && r !== 'quickjs')) { // quickjs: test/runtimes.quickjs.test.ts
      it(`${runtime}: same outputs as Node, timings measured`, async () => {
        const r = await smoke(runtime, { inputs, inputsPath, model });
        console.log(`${name} ${runtime} ${r.version} ${r.build}: cold start ${r.coldStartMs.toFixed(1)} ms, median ${r.medianMs.toFixed(3)} ms`);
        expect(r.runtime).toBe(runtime);
        expect(r.version).toMatch(/\d+\.\d+/);
        expect(r.build).toBe('simd'); // every engine here has wasm SIMD; 'auto' must find it
        // Node, Deno, Bun and the browsers pass no kernel option: the sdk located its wasm itself.
        expect(r.reason).toMatch(ZERO_CONFIG.has(runtime) ? new RegExp(`^simd: WebAssembly SIMD detected; kernels (file|http)://\\S+/build/bexnet\\.${file}\\.wasm$`) : /^simd: /);
        const c = compare(r, reference[name].simd!);
        expect(c.differing, `${c.differing} outputs differ from Node's, max |Δ| ${c.maxAbsDiff}`).toBe(0);
        expect(c.agree).toBe(true);
        expect(r.coldStartMs).toBeGreaterThan(r.medianMs);
        expect(r.medianMs).toBeGreaterThan(0);
      }, 120_000);
    }

    it('scalar build in a browser engine matches Node scalar bit for bit', async () => {
      const r = await smoke('chromium', { inputs, inputsPath, backend: 'scalar', model });
      expect(r.build).toBe('scalar');
      expect(compare(r, reference[name].scalar!).differing).toBe(0);
    }, 120_000);
  });
}
