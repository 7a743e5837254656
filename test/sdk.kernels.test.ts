// Zero-config kernel loading (sdk/wasm.ts, sdk/default-kernels.ts): which build, why,
// from where; one compile shared by later loads; a missing file is a typed error that a
// retry can recover from once the file is there.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BxnRuntimeError, loadKernels, loadModel } from '../sdk/index.js';
import { makeRng, model200k, wasmBytes } from './sdk.helpers.js';
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
      expect(err.message).toContain(pathToFileURL(join(dir, 'build/bexnet.simd.wasm')).href);
      expect(err.message).toMatch(/options\.wasm.*bexnet\/inline/);
      mkdirSync(join(dir, 'build'));
      copyFileSync('build/bexnet.simd.wasm', join(dir, 'build/bexnet.simd.wasm'));
      const model = await sdk.loadModel(bytes);
      expect(model.info().backendReason).toBe(`simd: WebAssembly SIMD detected; kernels ${pathToFileURL(join(dir, 'build/bexnet.simd.wasm')).href}`);
      // A corrupt packaged file is bad_wasm, not a silent fallback.
      const bad = readFileSync('build/bexnet.scalar.wasm').subarray(0, 100);
      writeFileSync(join(dir, 'build/bexnet.scalar.wasm'), bad);
      expect((await sdk.loadModel(bytes, { backend: 'scalar' }).catch((e: { code: string }) => e)).code).toBe('bad_wasm');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

