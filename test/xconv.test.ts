// X-Net kernels (assembly/xconv.ts): tfjs dense conv with masked weights (oracle) ↔
// references ↔ SIMD / scalar / debug builds, on random graphs, odd sizes and padding.
import { describe, expect, it } from 'vitest';
import { KernelHarness, type Build } from './support/wasm';
import { BASE_SEED, rng, plusMinusOne, uniform } from './support/rng';
import { oracleConv2d } from './support/oracle';
import { convGeometry, packFloatFilters, packSigns, packXBinaryFilters, packXBinaryWeightsByBlock, wordsFor, xbconvFilterBytes, type Padding } from '../sdk/layout';
import { layerChannelTable, layerGroupTable, type LayerGraph } from '../sdk/expander';

const FLAG_RELU = 1, FLAG_BITS_OUT = 2, FLAG_SUM_X = 4;
const builds: Build[] = ['simd', 'scalar', 'debug', 'simd-full', 'scalar-full'];
const harness = Object.fromEntries(builds.map((b) => [b, new KernelHarness(b)])) as Record<Build, KernelHarness>;
/** The optimized kernel in the shipped builds and the debug build, and the references. */
const implsOf = (fn: string): [Build, string][] => [['simd', fn], ['scalar', fn], ['debug', fn], ['simd-full', `${fn}Reference`], ['scalar-full', `${fn}Reference`]];

interface Case { c: number; inGroup: number; d: number; cout: number; h: number; w: number; k: number; stride: number; padding: Padding; seed: number }

function cases(groupsOf: [number, number, number][], couts: number[]): Case[] {
  const out: Case[] = [];
  let i = 0;
  for (const [c, inGroup, d] of groupsOf) {
    for (const k of [1, 3, 5]) {
      for (const stride of [1, 2]) {
        for (const padding of ['same', 'valid'] as Padding[]) {
          out.push({ c, inGroup, d, cout: couts[i % couts.length], h: k + 2 + (i % 5), w: k + 1 + ((i * 3) % 7), k, stride, padding, seed: BASE_SEED + 7000 + i });
          i++;
        }
      }
    }
  }
  return out;
}

/** The layer's graph (balanced, blocks of 8 outputs), its group table for the kernel and the channel table. */
function graphOf(cs: Case) {
  const g: LayerGraph = { inChannels: cs.c, outChannels: cs.cout, degree: cs.d, inGroup: cs.inGroup, outGroup: 8, seedLo: cs.seed, seedHi: 0, balanced: true };
  const groups = layerGroupTable(g);
  return { groups, channels: layerChannelTable(g, groups) };
}

/** Compact weights [kh, kw, D, Cout] → the dense tfjs filter [kh, kw, C, Cout] with zeros where there is no edge. */
function maskedDense(compact: Float32Array, channels: Int32Array, cs: Case): Float32Array {
  const taps = cs.k * cs.k, dense = new Float32Array(taps * cs.c * cs.cout);
  for (let t = 0; t < taps; t++) {
    for (let o = 0; o < cs.cout; o++) {
      for (let j = 0; j < cs.d; j++) dense[(t * cs.c + channels[o * cs.d + j]) * cs.cout + o] = compact[(t * cs.d + j) * cs.cout + o];
    }
  }
  return dense;
}

function call(build: Build, fn: string, make: (k: KernelHarness) => { args: number[]; out: number; outLen: number; u32?: boolean }) {
  const k = harness[build];
  k.reset();
  const { args, out, outLen, u32 } = make(k);
  k.exports[fn](...args);
  k.checkGuards();
  return u32 ? k.u32(out, outLen) : k.f32(out, outLen);
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, tol: number, where: string) {
  expect(got.length, where).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * scale[i])) throw new Error(`${where}: @${i} got ${got[i]}, want ${want[i]} (tol ${tol * scale[i]})`);
  }
}

describe('xconv2d (float X-Conv)', () => {
  // [C, inGroup, D]: groups of 1, 2, 4 and 8 channels, C and D not multiples of 8 or 32.
  const all = cases([[7, 1, 3], [33, 1, 11], [36, 2, 18], [64, 4, 16], [40, 8, 16], [128, 8, 32]], [1, 5, 8, 13, 16, 33]);
  // Outputs of several 128 KB bands of rows (xconv2d's X_BAND_BYTES), the last one partial:
  // f32 outputs in 5, 10 and 2 bands, bit outputs (4 bytes a pixel) in 2 in the second case.
  all.push(
    { c: 40, inGroup: 8, d: 16, cout: 72, h: 47, w: 45, k: 3, stride: 1, padding: 'same', seed: BASE_SEED + 7900 },
    { c: 16, inGroup: 8, d: 8, cout: 8, h: 121, w: 300, k: 3, stride: 1, padding: 'same', seed: BASE_SEED + 7901 },
    { c: 32, inGroup: 4, d: 16, cout: 72, h: 61, w: 59, k: 5, stride: 2, padding: 'valid', seed: BASE_SEED + 7902 },
  );
  for (const cs of all) {
    const name = `C=${cs.c} g=${cs.inGroup} D=${cs.d} Cout=${cs.cout} ${cs.h}x${cs.w} k=${cs.k} s=${cs.stride} ${cs.padding} seed=${cs.seed}`;
    it(name, () => {
      const rand = rng(cs.seed);
      const { c, cout, h, w, k, stride, d } = cs;
      const g = convGeometry(h, w, k, k, stride, cs.padding);
      const { groups, channels } = graphOf(cs);
      const x = uniform(rand, h * w * c), compact = uniform(rand, k * k * d * cout), bias = uniform(rand, cout);
      const dense = maskedDense(compact, channels, cs);
      const conv = oracleConv2d(x, h, w, c, dense, k, k, cout, stride, g, 0);
      const scale = oracleConv2d(x.map(Math.abs), h, w, c, dense.map(Math.abs), k, k, cout, stride, g, 0).map((v, i) => v + Math.abs(bias[i % cout]) + 1e-3);
      const outLen = g.outH * g.outW * cout, bitsLen = g.outH * g.outW * wordsFor(cout);
      const panels = packFloatFilters(compact, k * k * d, cout);
      for (const [build, fn] of implsOf('xconv2d')) {
        const run = (flags: number, len: number, u32: boolean) => call(build, fn, (kh) => {
          const out = kh.output(len * 4);
          const scratch = kh.alloc(kh.exports.xconv2dScratchBytes(d, k, k, stride, g.outH, g.outW, cout));
          return { args: [kh.put(x), h, w, c, kh.put(groups), cs.inGroup, d, kh.put(panels), kh.put(bias), cout, k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, flags, out, scratch], out, outLen: len, u32 };
        });
        for (const relu of [0, 1]) {
          const want = Array.from(conv, (v, i) => (relu ? Math.max(v + bias[i % cout], 0) : v + bias[i % cout]));
          expectClose(run(relu, outLen, false), want, scale, 1e-5, `${build}.${fn} relu=${relu} ${name}`);
        }
        // Bit outputs: the signs of the same implementation's f32 output, padding bits zero.
        expect(run(FLAG_BITS_OUT, bitsLen, true), `${build}.${fn} bits ${name}`).toEqual(packSigns(run(0, outLen, false), g.outH * g.outW, cout));
      }
    });
  }
});

describe('xdense (float X-Dense)', () => {
  for (const [kIn, inGroup, d, n] of [[24, 1, 7, 10], [100, 4, 40, 33], [512, 8, 64, 345], [9, 1, 9, 3]]) {
    it(`K=${kIn} g=${inGroup} D=${d} N=${n}`, () => {
      const cs: Case = { c: kIn, inGroup, d, cout: n, h: 1, w: 1, k: 1, stride: 1, padding: 'valid', seed: BASE_SEED + kIn };
      const rand = rng(cs.seed);
      const { groups, channels } = graphOf(cs);
      const x = uniform(rand, kIn), compact = uniform(rand, d * n), bias = uniform(rand, n);
      const dense = maskedDense(compact, channels, cs);
      const want = Array.from({ length: n }, (_, o) => { let s = bias[o]; for (let i = 0; i < kIn; i++) s += x[i] * dense[i * n + o]; return Math.max(s, 0); });
      const scale = Array.from({ length: n }, (_, o) => { let s = Math.abs(bias[o]) + 1e-3; for (let i = 0; i < kIn; i++) s += Math.abs(x[i] * dense[i * n + o]); return s; });
      for (const [build, fn] of implsOf('xdense')) {
        const got = call(build, fn, (kh) => {
          const out = kh.output(n * 4);
          return { args: [kh.put(x), kIn, kh.put(groups), inGroup, d, kh.put(packFloatFilters(compact, d, n)), kh.put(bias), n, FLAG_RELU, out, kh.alloc(kh.exports.xconv2dScratchBytes(d, 1, 1, 1, 1, 1, n))], out, outLen: n };
        });
        expectClose(got, want, scale, 1e-5, `${build}.${fn}`);
      }
    });
  }
});

describe('xconv2dBinaryWeights (float inputs × binary α/β weights on an X graph)', () => {
  // Float inputs allow any inGroup; Cout not a multiple of 8 leaves bits of the last block unused.
  const all = cases([[7, 1, 3], [33, 1, 11], [36, 2, 18], [40, 8, 16], [128, 8, 32]], [1, 5, 8, 13, 33]).filter((_, i) => i % 2 === 0);
  all.push({ c: 512, inGroup: 8, d: 128, cout: 345, h: 1, w: 1, k: 1, stride: 1, padding: 'valid', seed: BASE_SEED + 7900 }); // the sketch net's X head
  for (const cs of all) {
    const name = `C=${cs.c} g=${cs.inGroup} D=${cs.d} Cout=${cs.cout} ${cs.h}x${cs.w} k=${cs.k} s=${cs.stride} ${cs.padding} seed=${cs.seed}`;
    it(name, () => {
      const rand = rng(cs.seed);
      const { c, cout, h, w, k, stride, d } = cs;
      const g = convGeometry(h, w, k, k, stride, cs.padding);
      const { groups, channels } = graphOf(cs);
      const x = uniform(rand, h * w * c), mask = plusMinusOne(rand, k * k * d * cout);
      const alpha = uniform(rand, cout, 0.1, 1), beta = uniform(rand, cout, -1, 0.05), shift = uniform(rand, cout);
      // Oracle: tfjs's dense conv on the real α/β weights, masked to the graph's edges.
      const real = maskedDense(mask.map((m, i) => (m > 0 ? alpha[i % cout] : beta[i % cout])), channels, cs);
      const want = oracleConv2d(x, h, w, c, real, k, k, cout, stride, g, 0).map((v, i) => v + shift[i % cout]);
      const scale = oracleConv2d(x.map(Math.abs), h, w, c, real.map(Math.abs), k, k, cout, stride, g, 0).map((v, i) => v + Math.abs(shift[i % cout]) + 1e-3);
      const tr = new Float32Array([...alpha.map((a, o) => (a + beta[o]) / 2), ...alpha.map((a, o) => (a - beta[o]) / 2), ...shift]);
      const wbytes = new Uint32Array(packXBinaryWeightsByBlock(mask, k, k, d, cout).buffer);
      const outLen = g.outH * g.outW * cout;
      for (const [build, fn] of implsOf('xconv2dBinaryWeights')) {
        for (const relu of [0, 1]) {
          const got = call(build, fn, (kh) => {
            const out = kh.output(outLen * 4);
            const scratch = kh.alloc(kh.exports.xconv2dBinaryWeightsScratchBytes(d, k, k, stride, g.outH, g.outW, cout));
            return { args: [kh.put(x), h, w, c, kh.put(groups), cs.inGroup, d, kh.put(wbytes), cout, k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, kh.put(tr), relu, out, scratch], out, outLen };
          });
          expectClose(got, relu ? want.map((v) => Math.max(v, 0)) : want, scale, 2e-5, `${build}.${fn} relu=${relu} ${name}`);
        }
      }
    });
  }
});

const f = Math.fround;
/** The transform in JS with the kernel's exact f32 operation order. */
const transform = (a: number, b: number, cc: number, sumX: number, dot: number) => f(f(f(a * sumX) + f(b * dot)) + cc);

describe('xbconv2d (binary X-Conv)', () => {
  // inGroup 8 and 16 (whole bytes); C not a multiple of 32; D from one byte to 264 channels (several Harley–Seal chunks);
  // input pixels of 4 to 68 bytes (swizzle gather, every tail length) and of 260 bytes (byte gather).
  const all = cases([[8, 8, 8], [40, 8, 16], [64, 8, 24], [96, 16, 32], [200, 8, 40], [256, 8, 64], [520, 8, 264], [2080, 8, 16]], [1, 4, 5, 8, 13, 33, 64]);
  for (const cs of all) {
    const name = `C=${cs.c} g=${cs.inGroup} D=${cs.d} Cout=${cs.cout} ${cs.h}x${cs.w} k=${cs.k} s=${cs.stride} ${cs.padding} seed=${cs.seed}`;
    it(name, () => {
      const rand = rng(cs.seed);
      const { c, cout, h, w, k, stride, d } = cs;
      const g = convGeometry(h, w, k, k, stride, cs.padding);
      const { groups, channels } = graphOf(cs);
      const x = plusMinusOne(rand, h * w * c), compact = plusMinusOne(rand, k * k * d * cout);
      // Oracle: the ±1 conv over the connected channels, padded with +1, and each output's Σx over them.
      const dot = oracleConv2d(x, h, w, c, maskedDense(compact, channels, cs), k, k, cout, stride, g, 1);
      const sumX = oracleConv2d(x, h, w, c, maskedDense(new Float32Array(compact.length).fill(1), channels, cs), k, k, cout, stride, g, 1);
      const filters = packXBinaryFilters(compact, k, k, d, cout);
      expect(filters.length).toBe(cout * xbconvFilterBytes(d, k, k));
      const positions = g.outH * g.outW;
      const ones = new Float32Array(cout).fill(1), zeros = new Float32Array(cout);
      const a = uniform(rand, cout, -0.5, 0.5), b = uniform(rand, cout, 0.05, 1), cc = uniform(rand, cout, -3, 3);
      const expectY = new Float32Array(positions * cout), expectBits = new Uint32Array(positions * wordsFor(cout));
      for (let p = 0; p < positions; p++) {
        for (let o = 0; o < cout; o++) {
          const y = transform(a[o], b[o], cc[o], sumX[p * cout + o], dot[p * cout + o]);
          expectY[p * cout + o] = Math.max(y, 0);
          if (y < 0) expectBits[p * wordsFor(cout) + (o >>> 5)] |= 1 << (o & 31);
        }
      }
      for (const [build, fn] of implsOf('xbconv2d')) {
        const run = (tr: Float32Array, flags: number) => call(build, fn, (kh) => {
          const len = positions * (flags & FLAG_BITS_OUT ? wordsFor(cout) : cout);
          const out = kh.output(len * 4);
          const scratch = kh.alloc(kh.exports.xbconv2dScratchBytes(d, k, k, stride, g.outH, g.outW, cout));
          // The optimized kernels read the layout xbconv2dPackWeights makes (as the sdk repacks at load); references the file layout.
          let wts = kh.put(new Int8Array(filters.buffer));
          if (!fn.endsWith('Reference')) {
            const packed = kh.alloc(kh.exports.xbconv2dPackedBytes(d, k, k, cout));
            kh.exports.xbconv2dPackWeights(wts, d, k, k, cout, packed);
            wts = packed;
          }
          return { args: [kh.put(packSigns(x, h * w, c)), h, w, c, kh.put(groups), cs.inGroup, d, wts, cout, k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, kh.put(tr), flags, out, scratch], out, outLen: len, u32: (flags & FLAG_BITS_OUT) !== 0 };
        });
        const where = `${build}.${fn} ${name}`;
        expect(run(new Float32Array([...zeros, ...ones, ...zeros]), 0), `${where} dot`).toEqual(dot);
        expect(run(new Float32Array([...ones, ...zeros, ...zeros]), FLAG_SUM_X), `${where} sumX`).toEqual(sumX);
        const dabn = new Float32Array([...a, ...b, ...cc]);
        expect(run(dabn, FLAG_SUM_X | FLAG_RELU), `${where} transform+relu`).toEqual(expectY);
        expect(run(dabn, FLAG_SUM_X | FLAG_BITS_OUT), `${where} bits out`).toEqual(expectBits);
      }
    });
  }
});

describe('xbconv2d: counts past the u8 and u16 ranges', () => {
  // 3×3 windows of 2048 / 2040 channels: 2304 / 2295 byte positions per filter, so the u8
  // Harley–Seal state flushes many times, in place (rows of whole steps) and from a patch.
  for (const d of [2048, 2040]) {
    it(`every bit mismatching, D = C = ${d}, 3x3, Cout 19`, () => {
      const cout = 19, cs: Case = { c: d, inGroup: 8, d, cout, h: 3, w: 3, k: 3, stride: 1, padding: 'valid', seed: BASE_SEED };
      const { groups } = graphOf(cs);
      const filters = packXBinaryFilters(new Float32Array(9 * d * cout).fill(1), 3, 3, d, cout);
      const tr = new Float32Array([...new Float32Array(cout), ...new Float32Array(cout).fill(1), ...new Float32Array(cout)]);
      for (const [build, fn] of implsOf('xbconv2d')) {
        const got = call(build, fn, (kh) => {
          let wts = kh.put(new Int8Array(filters.buffer));
          if (!fn.endsWith('Reference')) {
            const packed = kh.alloc(kh.exports.xbconv2dPackedBytes(d, 3, 3, cout));
            kh.exports.xbconv2dPackWeights(wts, d, 3, 3, cout, packed);
            wts = packed;
          }
          const out = kh.output(cout * 4), scratch = kh.alloc(kh.exports.xbconv2dScratchBytes(d, 3, 3, 1, 1, 1, cout));
          return { args: [kh.put(packSigns(new Float32Array(9 * d).fill(-1), 9, d)), 3, 3, d, kh.put(groups), 8, d, wts, cout, 3, 3, 1, 0, 0, 1, 1, kh.put(tr), 0, out, scratch], out, outLen: cout };
        });
        expect(Array.from(got), `${build}.${fn}`).toEqual(new Array(cout).fill(-9 * d));
      }
    });
  }
});
