// The two release builds come from one source: SIMD has v128 code, scalar has none.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { ENTRIES, entryPoints, entryUrl } from '../tools/entries.mjs';
import binaryen from 'binaryen';
import { CORE_KERNELS, OPS } from '../sdk/ops.js';

const text = (name: string) => {
  const mod = binaryen.readBinary(readFileSync(new URL(`../build/bexnet.${name}.wasm`, import.meta.url)));
  const wat = mod.emitText();
  mod.dispose();
  return wat;
};

describe('wasm builds', () => {
  it('SIMD build contains v128 instructions, including i8x16.popcnt', () => {
    const wat = text('simd');
    expect(wat).toMatch(/v128\.load/);
    expect(wat).toMatch(/i8x16\.popcnt/);
    expect(wat).toMatch(/f32x4\.mul/);
  });
  it('scalar and debug builds contain no v128 type or instruction', () => {
    for (const name of ['scalar', 'scalar-core', 'debug']) expect(text(name)).not.toMatch(/v128|i8x16|i16x8|i32x4|f32x4/);
  });
  it('no relaxed-SIMD instructions in any build', () => {
    for (const name of ['simd', 'simd-core', 'scalar', 'scalar-core', 'simd-full', 'scalar-full', 'debug']) expect(text(name)).not.toMatch(/relaxed/);
  });
  it('the shipped builds export exactly what the op registry calls; the -full builds add only references and probes', () => {
    const exportsOf = (name: string) => WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(new URL(`../build/bexnet.${name}.wasm`, import.meta.url)))).map((e) => e.name).sort();
    const called = new Set(['heapBase', 'memory', ...OPS.flatMap((op) => [...op.kernels, ...(op.scratch ? [op.scratch.export] : [])])]);
    for (const name of ['simd', 'scalar']) expect(exportsOf(name), name).toEqual([...called].sort());
    // The core builds: the registry's CORE_KERNELS, which leave out exactly the X-Net ops' kernels.
    const core = ['heapBase', 'memory', ...CORE_KERNELS].sort();
    for (const name of ['simd-core', 'scalar-core']) expect(exportsOf(name), name).toEqual(core);
    expect([...called].filter((e) => !CORE_KERNELS.has(e) && e !== 'heapBase' && e !== 'memory').sort()).toEqual([
      'xbconv2d', 'xbconv2dPackWeights', 'xbconv2dPackedBytes', 'xbconv2dScratchBytes',
      'xconv2d', 'xconv2dBinaryWeights', 'xconv2dBinaryWeightsScratchBytes', 'xconv2dScratchBytes', 'xdense',
    ]);
    const extra = exportsOf('simd-full').filter((e) => !called.has(e));
    expect(extra.length).toBeGreaterThan(10);
    expect(extra.filter((e) => !e.endsWith('Reference'))).toEqual(['bconv2dWith', 'xorPopcntCeiling']);
    expect(exportsOf('scalar-full')).toEqual(exportsOf('simd-full'));
    expect(exportsOf('debug')).toEqual(exportsOf('simd-full'));
  });
});

describe('Node entry points (tools/entries.mjs)', () => {
  it('a listed source that does not exist is an error, not a silently smaller build', () => {
    expect(() => entryPoints({ ...ENTRIES, ghost: { source: 'tools/no-such-entry.ts', what: 'test' } })).toThrow(/missing sources: tools\/no-such-entry\.ts/);
    const points = entryPoints();
    expect(Object.keys(points)).toEqual(Object.keys(ENTRIES));
    for (const [name, path] of Object.entries(points)) expect(existsSync(path), name).toBe(true);
  });
  it('every npm script that runs a bundle builds first and runs an entry of the table; every entry is built', () => {
    const scripts = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts as Record<string, string>;
    const used = new Set<string>();
    for (const [name, cmd] of Object.entries(scripts)) {
      const m = /node (?:--\S+ )*dist\/([\w-]+)\.mjs/.exec(cmd);
      if (!m) continue;
      expect(cmd, name).toMatch(/^npm run build && /);
      expect(Object.keys(ENTRIES), name).toContain(m[1]);
      used.add(m[1]);
    }
    expect(used.size).toBeGreaterThanOrEqual(7);
    for (const name of Object.keys(ENTRIES)) expect(existsSync(entryUrl(name as keyof typeof ENTRIES)), `dist/${name}.mjs`).toBe(true);
  });
});
