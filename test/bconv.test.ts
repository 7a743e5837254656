// bconv2d: tfjs on ±1 data (oracle) ↔ scalar reference ↔ SIMD / scalar / debug builds.
import { describe, expect, it } from 'vitest';
import { KernelHarness, type Build } from './support/wasm';
import { BASE_SEED, rng, plusMinusOne, uniform } from './support/rng';
import { oracleConv2d } from './support/oracle';
import { convGeometry, packBinaryFilters, packSigns, patchWords, wordsFor, type Padding } from '../sdk/layout';

const FLAG_RELU = 1, FLAG_BITS_OUT = 2, FLAG_SUM_X = 4;
const builds: Build[] = ['simd', 'scalar', 'simd-full', 'scalar-full', 'debug'];
const harness = Object.fromEntries(builds.map((b) => [b, new KernelHarness(b)])) as Record<Build, KernelHarness>;
// Every implementation of the kernel, in every build that has it: the shipped builds'
// bconv2d, and the references and forced strategies of the -full builds.
// `bconv2dWith:N` is bconv2d forced to inner-loop strategy N (popcnt8, Harley–Seal, popcnt64, mixed).
const impls: [Build, string][] = [
  ['simd', 'bconv2d'], ['simd-full', 'bconv2dWith:0'], ['simd-full', 'bconv2dWith:1'], ['simd-full', 'bconv2dWith:2'], ['simd-full', 'bconv2dWith:3'], ['simd-full', 'bconv2dReference'],
  ['scalar', 'bconv2d'], ['scalar-full', 'bconv2dReference'], ['debug', 'bconv2d'],
];

interface Case { c: number; cout: number; h: number; w: number; k: number; stride: number; padding: Padding; seed: number }

function cases(): Case[] {
  const out: Case[] = [];
  const couts = [1, 3, 4, 5, 8, 31, 32, 33, 37, 64, 65];
  let i = 0;
  // C ≤ 24 runs the compact lanes patch (1–3 bytes a tap), 25–32 one word a tap.
  for (const c of [1, 5, 8, 12, 16, 17, 24, 31, 32, 33, 127, 128, 129, 200]) {
    for (const k of [1, 3, 5]) {
      for (const stride of [1, 2]) {
        for (const padding of ['same', 'valid'] as Padding[]) {
          const h = k + 2 + (i % 5), w = k + 1 + ((i * 3) % 7); // odd and even, non-square
          out.push({ c, cout: couts[i % couts.length], h, w, k, stride, padding, seed: BASE_SEED + i });
          i++;
        }
      }
    }
  }
  return out;
}

const f = Math.fround;
/** The transform in JS with the kernel's exact f32 operation order. */
const transform = (a: number, b: number, cc: number, sumX: number, dot: number) => f(f(f(a * sumX) + f(b * dot)) + cc);

function run(build: Build, fn: string, x: Uint32Array, wts: Uint32Array, tr: Float32Array, cs: Case, flags: number) {
  const k = harness[build];
  k.reset();
  const g = convGeometry(cs.h, cs.w, cs.k, cs.k, cs.stride, cs.padding);
  const outLen = g.outH * g.outW * (flags & FLAG_BITS_OUT ? wordsFor(cs.cout) : cs.cout);
  const input = k.put(x), trans = k.put(tr);
  let weights = k.put(wts);
  if (fn === 'bconv2d') {
    // bconv2d reads its own layout; the file layout goes through bconv2dPackWeights.
    const packed = k.alloc(k.exports.bconv2dPackedBytes(cs.c, cs.k, cs.k, cs.cout));
    k.exports.bconv2dPackWeights(weights, cs.c, cs.k, cs.k, cs.cout, packed);
    weights = packed;
  }
  const scratch = k.alloc(k.exports.bconv2dScratchBytes(cs.c, cs.k, cs.k, cs.stride, g.outH, g.outW, cs.cout));
  const output = k.output(outLen * 4);
  const [name, inner] = fn.split(':');
  const kernel = inner === undefined ? k.exports[name] : (...a: number[]) => k.exports[name](Number(inner), ...a);
  kernel(input, cs.h, cs.w, cs.c, weights, cs.cout, cs.k, cs.k, cs.stride, g.padTop, g.padLeft, g.outH, g.outW, trans, flags, output, scratch);
  k.checkGuards();
  return flags & FLAG_BITS_OUT ? k.u32(output, outLen) : k.f32(output, outLen);
}

describe('bconv2d', () => {
  for (const cs of cases()) {
    const name = `C=${cs.c} Cout=${cs.cout} ${cs.h}x${cs.w} k=${cs.k} s=${cs.stride} ${cs.padding} seed=${cs.seed}`;
    it(name, () => {
      const rand = rng(cs.seed);
      const { c, cout, h, w, k } = cs;
      const x = plusMinusOne(rand, h * w * c);
      const wt = plusMinusOne(rand, k * k * c * cout);
      const g = convGeometry(h, w, k, k, cs.stride, cs.padding);
      const positions = g.outH * g.outW;
      // Oracle: ±1 conv padded with +1, and Σx of each window (a ones filter).
      const dot = oracleConv2d(x, h, w, c, wt, k, k, cout, cs.stride, g, 1);
      const sumX = oracleConv2d(x, h, w, c, new Float32Array(k * k * c).fill(1), k, k, 1, cs.stride, g, 1);
      const xb = packSigns(x, h * w, c);
      const wb = packBinaryFilters(wt, k, k, c, cout);
      expect(wb.length).toBe(cout * patchWords(c, k, k));

      const ones = new Float32Array(cout).fill(1), zeros = new Float32Array(cout);
      const dotTransform = new Float32Array([...zeros, ...ones, ...zeros]);
      const sumTransform = new Float32Array([...ones, ...zeros, ...zeros]);
      const a = uniform(rand, cout, -0.5, 0.5), b = uniform(rand, cout, 0.05, 1), cc = uniform(rand, cout, -3, 3);
      const dabn = new Float32Array([...a, ...b, ...cc]);
      const expectY = new Float32Array(positions * cout);
      const expectBits = new Uint32Array(positions * wordsFor(cout));
      for (let p = 0; p < positions; p++) {
        for (let o = 0; o < cout; o++) {
          const y = transform(a[o], b[o], cc[o], sumX[p], dot[p * cout + o]);
          expectY[p * cout + o] = Math.max(y, 0);
          if (y < 0) expectBits[p * wordsFor(cout) + (o >>> 5)] |= 1 << (o & 31);
        }
      }
      for (const [build, fn] of impls) {
        const where = `${build}.${fn} ${name}`;
        expect(run(build, fn, xb, wb, dotTransform, cs, 0), `${where} dot`).toEqual(dot);
        expect(run(build, fn, xb, wb, sumTransform, cs, FLAG_SUM_X), `${where} sumX`).toEqual(
          Float32Array.from({ length: positions * cout }, (_, i) => sumX[Math.floor(i / cout)]));
        expect(run(build, fn, xb, wb, dabn, cs, FLAG_SUM_X | FLAG_RELU), `${where} transform+relu`).toEqual(expectY);
        expect(run(build, fn, xb, wb, dabn, cs, FLAG_SUM_X | FLAG_BITS_OUT), `${where} bits out`).toEqual(expectBits);
      }
    });
  }

  it(`DABN α/β weights agree with tfjs on the real-valued weights (seed=${BASE_SEED})`, () => {
    const rand = rng(BASE_SEED ^ 0xdab);
    const cs: Case = { c: 45, cout: 13, h: 7, w: 9, k: 3, stride: 1, padding: 'same', seed: BASE_SEED };
    const x = plusMinusOne(rand, cs.h * cs.w * cs.c);
    const mask = plusMinusOne(rand, 9 * cs.c * cs.cout);
    const alpha = uniform(rand, cs.cout, 0.1, 1), beta = uniform(rand, cs.cout, -1, 0.05);
    const real = mask.map((s, i) => (s > 0 ? alpha[i % cs.cout] : beta[i % cs.cout]));
    const g = convGeometry(cs.h, cs.w, 3, 3, 1, 'same');
    const want = oracleConv2d(x, cs.h, cs.w, cs.c, real, 3, 3, cs.cout, 1, g, 1);
    const tr = new Float32Array([...alpha.map((al, o) => (al + beta[o]) / 2), ...alpha.map((al, o) => (al - beta[o]) / 2), ...new Float32Array(cs.cout)]);
    for (const [build, fn] of impls) {
      const got = run(build, fn, packSigns(x, cs.h * cs.w, cs.c), packBinaryFilters(mask, 3, 3, cs.c, cs.cout), tr, cs, FLAG_SUM_X) as Float32Array;
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${build}.${fn} @${i}`).toBeLessThan(1e-4 * 9 * cs.c);
    }
  });

  // C = 4000, 5×5: n = 100,000 bits, 782 vectors per filter (25 widenings). The other two are the
  // largest filters of the lanes layout (≤ 288 bytes: 2304×1×1, 256×3×3) and the old limit (192 bytes):
  // its Harley–Seal chunks widen at 124 bytes.
  for (const [c, k, cout] of [[4000, 5, 6], [2304, 1, 19], [256, 3, 17], [1536, 1, 19], [160, 3, 17], [288, 3, 9]]) it(`large K (C=${c}, ${k}x${k}): u8 popcount lanes widen before they overflow`, () => {
    const rand = rng(BASE_SEED ^ 0x1a6e ^ c);
    for (const fill of ['all -1 input, all +1 weights', 'random']) {
      const x = fill === 'random' ? plusMinusOne(rand, k * k * c) : new Float32Array(k * k * c).fill(-1);
      const wt = fill === 'random' ? plusMinusOne(rand, k * k * c * cout) : new Float32Array(k * k * c * cout).fill(1);
      const cs: Case = { c, cout, h: k, w: k, k, stride: 1, padding: 'valid', seed: BASE_SEED };
      const want = oracleConv2d(x, k, k, c, wt, k, k, cout, 1, convGeometry(k, k, k, k, 1, 'valid'), 1);
      if (fill !== 'random') expect(want[0]).toBe(-k * k * c);
      const tr = new Float32Array([...new Float32Array(cout), ...new Float32Array(cout).fill(1), ...new Float32Array(cout)]);
      for (const [build, fn] of impls) {
        expect(run(build, fn, packSigns(x, k * k, c), packBinaryFilters(wt, k, k, c, cout), tr, cs, 0), `${build}.${fn} ${fill}`).toEqual(want);
      }
    }
  });
});
