// Zero-config kernel loading (sdk/wasm.ts, sdk/default-kernels.ts): which build, why,
// from where; the core build for a model that needs no more; one compile shared by later
// loads; a missing file is a typed error that a retry can recover from once the file is there.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BxnRuntimeError, loadKernels, loadModel, readBxn } from '../sdk/index.js';
import { CORE_KERNELS, kernelsNeeded } from '../sdk/ops.js';
import { makeRng, model200k, randomModel, singleOpModel, wasmBytes } from './sdk.helpers.js';
import { writeBxn } from '../sdk/format/index.js';

describe('zero-config kernels', () => {
  it('are compiled once and shared; the reason names the build and the file', async () => {
    const [a, b] = [await loadKernels(), await loadKernels()];
    expect(a.module).toBeDefined();
    expect(b.module).toBe(a.module);
    expect(a.reason).toMatch(/^simd: WebAssembly SIMD detected; kernels file:\/\/\S+\/build\/bexnet\.simd\.wasm$/);
    const scalar = await loadKernels({ backend: 'scalar' });
    expect(scalar.backend).toBe('scalar');
    expect(scalar.reason).toMatch(/^scalar: requested \(backend: 'scalar'\); kernels file:\/\/\S+\/build\/bexnet\.scalar\.wasm$/);
  });

  it('explicit options say where the kernels came from', async () => {
    expect((await loadKernels({ wasm: { scalar: wasmBytes('scalar') } })).reason).toBe('scalar: only options.wasm.scalar was given; kernels from options.wasm.scalar');
    expect((await loadKernels({ wasm: { simd: wasmBytes('simd'), scalar: wasmBytes('scalar') } })).reason).toBe('simd: WebAssembly SIMD detected; kernels from options.wasm.simd');
    const module = new WebAssembly.Module(wasmBytes('simd'));
    const m = await loadModel(writeBxn(model200k(makeRng(3)).model), { wasmModule: module, backend: 'simd' });
    expect(m.info().backendReason).toBe('simd: a precompiled module was passed (wasmModule)');
  });

  it('a model without X-Net layers loads the core build, with the same outputs as the complete one', async () => {
    const rng = makeRng(11);
    const kinds = { core: 0, all: 0 };
    for (const m of [model200k(rng), singleOpModel(rng, 'xbconv2d'), singleOpModel(rng, 'xconv2d'), ...Array.from({ length: 40 }, () => randomModel(rng))]) {
      const bytes = writeBxn(m.model);
      const parsed = readBxn(bytes);
      const core = !parsed.layers.some((l) => l.graph); // X layers, and only they, have a graph record
      expect([...kernelsNeeded(parsed)].every((k) => CORE_KERNELS.has(k)), parsed.layers.map((l) => l.op).join(' ')).toBe(core);
      kinds[core ? 'core' : 'all']++;
      const zero = await loadModel(bytes);
      expect(zero.info().backendReason).toMatch(core ? /\/build\/bexnet\.simd-core\.wasm$/ : /\/build\/bexnet\.simd\.wasm$/);
      const complete = await loadModel(bytes, { wasm: { simd: wasmBytes('simd') } });
      const x = m.input();
      expect(zero.run(x)).toEqual(complete.run(x));
      zero.dispose(); complete.dispose();
    }
    expect(kinds.core).toBeGreaterThan(10);
    expect(kinds.all).toBeGreaterThan(5);
  });

  it("loadKernels(options, 'core') gives the core build; an X-Net model on it is bad_wasm saying which build it needs", async () => {
    await expect(loadKernels({}, 'half' as 'core')).rejects.toThrow(/kernel set must be 'core' or 'all', got string/);
    const core = await loadKernels({}, 'core');
    expect(core.reason).toMatch(/^simd: WebAssembly SIMD detected; kernels file:\/\/\S+\/build\/bexnet\.simd-core\.wasm$/);
    expect(core.module).not.toBe((await loadKernels()).module);
    // The single-file build has only the complete kernels: both sets are its one compiled module.
    const inline = await import(new URL('../dist/sdk.inline.mjs', import.meta.url).href) as { loadKernels: typeof loadKernels };
    const [inlineCore, inlineAll] = [await inline.loadKernels({}, 'core'), await inline.loadKernels({}, 'all')];
    expect(inlineCore.reason).toMatch(/kernels inlined in this module$/);
    expect(inlineCore.module).toBe(inlineAll.module);
    const dense = writeBxn(model200k(makeRng(5)).model);
    expect((await loadModel(dense, { kernels: core })).info().backendReason).toBe(core.reason);
    const x = writeBxn(singleOpModel(makeRng(6), 'xbconv2d').model);
    const err = await loadModel(x, { kernels: core }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BxnRuntimeError);
    expect((err as BxnRuntimeError).code).toBe('bad_wasm');
    expect((err as Error).message).toMatch(/no export 'xbconv2d.*' \(an X-Net kernel: the core build .* has none; pass the complete/);
  });

  it('a missing kernel file is wasm_not_found naming the URL; the failure is not cached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bexnet-zc-'));
    try {
      mkdirSync(join(dir, 'dist'));
      await build({ entryPoints: ['sdk/index.ts'], bundle: true, format: 'esm', platform: 'neutral', outfile: join(dir, 'dist/sdk.mjs'), logLevel: 'silent' });
      const sdk = await import(pathToFileURL(join(dir, 'dist/sdk.mjs')).href);
      const bytes = writeBxn(model200k(makeRng(4)).model);
      const err = await sdk.loadModel(bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(sdk.BxnRuntimeError);
      expect(err).not.toBeInstanceOf(BxnRuntimeError); // its own copy of the classes
      expect(err.code).toBe('wasm_not_found');
      expect(err.message).toContain(pathToFileURL(join(dir, 'build/bexnet.simd-core.wasm')).href);
      expect(err.message).toMatch(/options\.wasm.*bexnet\/inline/);
      mkdirSync(join(dir, 'build'));
      copyFileSync('build/bexnet.simd-core.wasm', join(dir, 'build/bexnet.simd-core.wasm'));
      const model = await sdk.loadModel(bytes);
      expect(model.info().backendReason).toBe(`simd: WebAssembly SIMD detected; kernels ${pathToFileURL(join(dir, 'build/bexnet.simd-core.wasm')).href}`);
      // A corrupt packaged file is bad_wasm, not a silent fallback.
      const bad = readFileSync('build/bexnet.scalar-core.wasm').subarray(0, 100);
      writeFileSync(join(dir, 'build/bexnet.scalar-core.wasm'), bad);
      expect((await sdk.loadModel(bytes, { backend: 'scalar' }).catch((e: { code: string }) => e)).code).toBe('bad_wasm');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

