// The op registry (sdk/ops.ts): every descriptor complete, FORMAT.md's op table in step,
// and each JS scratch size equal to what the kernel's *ScratchBytes export computes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { axisGeometry } from '../sdk/layout.js';
import { DESCRIPTOR_FIELDS, OPS } from '../sdk/ops.js';
import type { BxnLayer } from '../sdk/format/model.js';
import { BASE_SEED } from './support/rng.js';
import { makeRng, wasmBytes } from './sdk.helpers.js';

describe('op registry', () => {
  it('every descriptor defines every field (null where an op has no scratch, repacking or content rule)', () => {
    for (const op of OPS) {
      for (const field of DESCRIPTOR_FIELDS) expect(op[field], `${op.name}.${field}`).not.toBeUndefined();
      expect(typeof op.infer, op.name).toBe('function');
      expect(typeof op.step, op.name).toBe('function');
      expect(typeof op.params, op.name).toBe('function');
      for (const slot of op.tensors) expect(slot.encodings.length, `${op.name}.${slot.role}`).toBeGreaterThan(0);
      // A kernel that takes scratch has its *ScratchBytes export in the list the loader checks.
      if (op.scratch) expect(op.kernels, op.name).toContain(op.scratch.export);
      if (op.repack) expect(op.kernels, op.name).toEqual(expect.arrayContaining([op.repack.packedBytes, op.repack.pack]));
    }
    expect(new Set(OPS.map((o) => o.code)).size).toBe(OPS.length);
    expect(new Set(OPS.map((o) => o.name)).size).toBe(OPS.length);
  });

  it("FORMAT.md's op table lists every op with its code, in order", () => {
    const doc = readFileSync(new URL('../sdk/FORMAT.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (\d+) \| `(\w+)` \|/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(rows).toEqual(OPS.map((o) => [o.code, o.name]));
  });

  for (const build of ['simd', 'scalar'] as const) {
    it(`scratch bytes in JS equal the ${build} kernels' exports on random in-range shapes (seed ${BASE_SEED})`, () => {
      const exports = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(build)), { env: { abort: () => {} } }).exports as
        Record<string, (...a: number[]) => number>;
      const rng = makeRng(BASE_SEED ^ 0x5c7a);
      let compared = 0;
      for (const op of OPS) {
        if (!op.scratch) continue;
        for (let k = 0; k < 300; k++) {
          const h = rng.int(1, 300), w = rng.int(1, 300), c = rng.int(1, 700);
          const kh = rng.int(1, 64), kw = rng.int(1, 64), stride = rng.int(1, 16), padding = rng.pick(['same', 'valid'] as const);
          const gy = axisGeometry(h, kh, stride, padding), gx = axisGeometry(w, kw, stride, padding);
          if (!gy || !gx) continue;
          // X-layers' scratch depends on D (whole bytes for the binary one).
          const graph = op.attributes.graph ? { degree: 8 * rng.int(1, 90), inGroup: 8 } : null;
          const layer = { op: op.name, kh, kw, stride, outChannels: rng.int(1, 700), input: { h, w, c, dtype: 'f32' },
            output: { h: gy.out, w: gx.out, c: 1, dtype: 'f32' }, graph } as unknown as BxnLayer;
          const args = op.scratch.args(layer);
          const js = op.scratch.bytes(...args);
          if (js > 0x7fffffff) continue; // out of i32 range: the reader rejects these (the hostile tests)
          expect(js, `${op.name}(${args})`).toBe(exports[op.scratch.export](...args));
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(500);
    });
  }
});
