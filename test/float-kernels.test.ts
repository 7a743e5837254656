// Float kernels and bit packing: tfjs (oracle) ↔ scalar reference ↔ SIMD / scalar / debug builds.
import { describe, expect, it } from 'vitest';
import { KernelHarness, type Build } from './support/wasm';
import { BASE_SEED, rng, plusMinusOne, uniform } from './support/rng';
import { oracleConv2d, tf } from './support/oracle';
import { convGeometry, packBinaryWeightsByOutput, packFloatFilters, packSigns, quantizeInt8, roundUp, wordsFor, type Padding } from '../sdk/layout';

// The shipped builds' kernels and the debug build, against the reference of the SIMD -full build.
const builds: Build[] = ['simd', 'scalar', 'debug'];
const harness = Object.fromEntries([...builds, 'simd-full'].map((b) => [b, new KernelHarness(b as Build)])) as Record<Build, KernelHarness>;
/** Every build's optimized entry plus the SIMD build's reference. */
const implsOf = (fn: string): [Build, string][] => [...builds.map((b): [Build, string] => [b, fn]), ['simd-full', `${fn}Reference`]];

interface Shape { c: number; cout: number; h: number; w: number; k: number; stride: number; padding: Padding; seed: number }
function shapes(): Shape[] {
  const out: Shape[] = [];
  const couts = [1, 3, 5, 8, 9, 16, 31, 33];
  let i = 0;
  for (const c of [1, 3, 4, 7, 32, 33, 129]) {
    for (const k of [1, 3, 5]) {
      for (const stride of [1, 2]) {
        for (const padding of ['same', 'valid'] as Padding[]) {
          out.push({ c, cout: couts[i % couts.length], h: k + 2 + (i % 4), w: k + 3 + ((i * 5) % 6), k, stride, padding, seed: BASE_SEED + 1000 + i });
          i++;
        }
      }
    }
  }
  // One output pixel (late layers, heads: conv2dBinaryWeights looks up subset sums there), with and
  // without padding, Cout tails of every length mod 4 and 8 (and fewer than 4), K not a multiple of
  // 8, exactly one batch of 16 tables (K = 128), and many batches (K = 2304).
  for (const [c, cout, h, w, k, stride, padding] of [[7, 13, 3, 3, 3, 1, 'valid'], [129, 345, 1, 1, 1, 1, 'valid'], [33, 9, 1, 1, 3, 1, 'same'], [4, 40, 2, 2, 2, 2, 'valid'],
    [256, 70, 3, 3, 3, 1, 'valid'], [128, 7, 1, 1, 1, 1, 'valid'], [201, 3, 1, 1, 1, 1, 'valid']] as const)
    out.push({ c, cout, h, w, k, stride, padding, seed: BASE_SEED + 1900 + out.length });
  return out;
}

/** |a − b| ≤ tol·scale elementwise, with the index and seed in the message. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number> | number, tol: number, where: string) {
  expect(got.length, where).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i];
    if (!(Math.abs(got[i] - want[i]) <= tol * s)) throw new Error(`${where}: @${i} got ${got[i]}, want ${want[i]} (tol ${tol * s})`);
  }
}

/**
 * int8 weights as the kernels read them: per-output-channel symmetric quantization of
 * TF-layout weights [rows, cout], q packed into panels, scales padded to whole panels;
 * `real` is the dequantized TF-layout tensor (the oracle's weights).
 */
function int8Panels(wt: Float32Array, rows: number, cout: number) {
  const { q, scales } = quantizeInt8(wt, cout);
  const panels = Int8Array.from(packFloatFilters(Float32Array.from(q), rows, cout));
  const padded = new Float32Array(roundUp(cout, 8)).fill(1);
  padded.set(scales);
  return { q: panels, scales: padded, real: Float32Array.from(q, (v, i) => v * scales[i % cout]) };
}

function call(build: Build, fn: string, make: (k: KernelHarness) => { args: number[]; out: number; outLen: number; u32?: boolean }) {
  const k = harness[build];
  k.reset();
  const { args, out, outLen, u32 } = make(k);
  const ret = k.exports[fn](...args);
  k.checkGuards();
  return { data: u32 ? k.u32(out, outLen) : k.f32(out, outLen), ret };
}

describe('conv2d (float) and conv2dBinaryWeights', () => {
  for (const s of shapes()) {
    const name = `C=${s.c} Cout=${s.cout} ${s.h}x${s.w} k=${s.k} s=${s.stride} ${s.padding} seed=${s.seed}`;
    it(name, () => {
      const rand = rng(s.seed);
      const { c, cout, h, w, k, stride } = s;
      const g = convGeometry(h, w, k, k, stride, s.padding);
      const x = uniform(rand, h * w * c), wt = uniform(rand, k * k * c * cout), bias = uniform(rand, cout);
      const conv = oracleConv2d(x, h, w, c, wt, k, k, cout, stride, g, 0);
      const absConv = oracleConv2d(x.map(Math.abs), h, w, c, wt.map(Math.abs), k, k, cout, stride, g, 0);
      const outLen = g.outH * g.outW * cout;
      for (const relu of [0, 1]) {
        const want = Array.from(conv, (v, i) => (relu ? Math.max(v + bias[i % cout], 0) : v + bias[i % cout]));
        for (const [build, fn] of implsOf('conv2d')) {
          const { data } = call(build, fn, (kh) => {
            const out = kh.output(outLen * 4);
            const scratch = kh.alloc(kh.exports.conv2dScratchBytes(c, k, k, stride, g.outH, g.outW, cout));
            return { args: [kh.put(x), h, w, c, kh.put(packFloatFilters(wt, k * k * c, cout)), kh.put(bias), cout, k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, relu, out, scratch], out, outLen };
          });
          expectClose(data, want, Array.from(absConv, (v, i) => v + Math.abs(bias[i % cout]) + 1e-3), 1e-5, `${build}.${fn} relu=${relu} ${name}`);
        }
      }
      // Bit outputs (flag 2, first layers feeding a sign): exactly the signs of the same
      // implementation's f32 output (same arithmetic), packed; padding bits zero even when
      // the panel lanes past Cout hold nonzero weights (the format allows it).
      const bitsLen = g.outH * g.outW * wordsFor(cout);
      const rows = k * k * c, dirty = packFloatFilters(wt, rows, cout);
      for (let o = cout; o < roundUp(cout, 8); o++) for (let r = 0; r < rows; r++) dirty[((o >> 3) * rows + r) * 8 + (o & 7)] = rand() - 0.5;
      for (const [build, fn] of implsOf('conv2d')) {
        const run = (flags: number, len: number, u32: boolean) => call(build, fn, (kh) => {
          const out = kh.output(len * 4);
          const scratch = kh.alloc(kh.exports.conv2dScratchBytes(c, k, k, stride, g.outH, g.outW, cout));
          return { args: [kh.put(x), h, w, c, kh.put(dirty), kh.put(bias), cout, k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, flags, out, scratch], out, outLen: len, u32 };
        }).data;
        const f = run(0, outLen, false) as Float32Array;
        expect(run(2, bitsLen, true), `${build}.${fn} bits out ${name}`).toEqual(packSigns(f, g.outH * g.outW, cout));
      }
      // int8 weights read as stored: oracle is tfjs on the dequantized weights.
      const i8 = int8Panels(wt, k * k * c, cout);
      const conv8 = oracleConv2d(x, h, w, c, i8.real, k, k, cout, stride, g, 0);
      const abs8 = oracleConv2d(x.map(Math.abs), h, w, c, i8.real.map(Math.abs), k, k, cout, stride, g, 0);
      for (const [build, fn] of implsOf('conv2dInt8')) {
        const { data } = call(build, fn, (kh) => {
          const out = kh.output(outLen * 4);
          const scratch = kh.alloc(kh.exports.conv2dScratchBytes(c, k, k, stride, g.outH, g.outW, cout));
          return { args: [kh.put(x), h, w, c, kh.put(i8.q), kh.put(i8.scales), kh.put(bias), cout, k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, 1, out, scratch], out, outLen };
        });
        expectClose(data, Array.from(conv8, (v, i) => Math.max(v + bias[i % cout], 0)), Array.from(abs8, (v, i) => v + Math.abs(bias[i % cout]) + 1e-3), 1e-5, `${build}.${fn} ${name}`);
      }
      // Binary α/β weights on float inputs: oracle is tfjs on the real-valued α/β weights.
      const mask = plusMinusOne(rand, k * k * c * cout);
      const alpha = uniform(rand, cout, 0.1, 1), beta = uniform(rand, cout, -1, 0.05), shift = uniform(rand, cout);
      const real = mask.map((m, i) => (m > 0 ? alpha[i % cout] : beta[i % cout]));
      const want = oracleConv2d(x, h, w, c, real, k, k, cout, stride, g, 0).map((v, i) => v + shift[i % cout]);
      const absWant = oracleConv2d(x.map(Math.abs), h, w, c, real.map(Math.abs), k, k, cout, stride, g, 0);
      const tr = new Float32Array([...alpha.map((a, o) => (a + beta[o]) / 2), ...alpha.map((a, o) => (a - beta[o]) / 2), ...shift]);
      for (const relu of [0, 1]) {
        for (const [build, fn] of implsOf('conv2dBinaryWeights')) {
          const { data } = call(build, fn, (kh) => {
            const out = kh.output(outLen * 4);
            const scratch = kh.alloc(kh.exports.conv2dBinaryWeightsScratchBytes(c, k, k, stride, g.outH, g.outW, cout));
            // A one-pixel output reads conv2dBinaryWeightsPackWeights' layout (the sdk repacks such layers at load); the reference the file layout.
            let wts = kh.put(packBinaryWeightsByOutput(mask, k, k, c, cout));
            if (g.outH * g.outW === 1 && !fn.endsWith('Reference')) {
              const packed = kh.alloc(kh.exports.conv2dBinaryWeightsPackedBytes(c, k, k, cout));
              kh.exports.conv2dBinaryWeightsPackWeights(wts, c, k, k, cout, packed);
              wts = packed;
            }
            return { args: [kh.put(x), h, w, c, wts, cout, k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, kh.put(tr), relu, out, scratch], out, outLen };
          });
          expectClose(data, relu ? want.map((v) => Math.max(v, 0)) : want, Array.from(absWant, (v, i) => v + Math.abs(shift[i % cout]) + 1e-3), 2e-5, `${build}.${fn} relu ${relu} ${name}`);
        }
      }
    });
  }
});

describe('depthwiseConv2d, pools', () => {
  for (const s of shapes().filter((_, i) => i % 2 === 0)) {
    const name = `C=${s.c} ${s.h}x${s.w} k=${s.k} s=${s.stride} ${s.padding} seed=${s.seed}`;
    it(name, () => {
      const rand = rng(s.seed);
      const { c, h, w, k, stride } = s;
      const g = convGeometry(h, w, k, k, stride, s.padding);
      const outLen = g.outH * g.outW * c;
      const x = uniform(rand, h * w * c), wt = uniform(rand, k * k * c), bias = uniform(rand, c);
      const pads: [number, number][] = [[0, 0], [g.padTop, g.padBottom], [g.padLeft, g.padRight], [0, 0]];
      const [dw, dwAbs, maxP, avgP] = tf.tidy(() => {
        const xt = tf.tensor4d(x, [1, h, w, c]);
        const dwc = (xx: tf.Tensor4D, ww: Float32Array) => tf.depthwiseConv2d(tf.pad(xx, pads), tf.tensor4d(ww, [k, k, c, 1]), stride, 'valid');
        return [dwc(xt, wt).dataSync(), dwc(tf.abs(xt), wt.map(Math.abs)).dataSync(),
          tf.maxPool(xt, [k, k], stride, s.padding).dataSync(), tf.avgPool(xt, [k, k], stride, s.padding).dataSync()];
      });
      for (const [build, fn] of implsOf('depthwiseConv2d')) {
        const { data } = call(build, fn, (kh) => {
          const out = kh.output(outLen * 4);
          const scratch = kh.alloc(kh.exports.depthwiseConv2dScratchBytes(c, k, k, stride, g.outH, g.outW, c));
          return { args: [kh.put(x), h, w, c, kh.put(wt), kh.put(bias), k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, 1, out, scratch], out, outLen };
        });
        expectClose(data, Array.from(dw, (v, i) => Math.max(v + bias[i % c], 0)), Array.from(dwAbs, (v, i) => v + Math.abs(bias[i % c])), 1e-5, `${build}.${fn} ${name}`);
      }
      // int8 depthwise weights [kh, kw, C] with one scale per channel, read as stored.
      const { q: q8, scales: s8 } = quantizeInt8(wt, c);
      const real8 = Float32Array.from(q8, (v, i) => v * s8[i % c]);
      const [dw8, dw8Abs] = tf.tidy(() => {
        const xt = tf.tensor4d(x, [1, h, w, c]);
        const dwc = (xx: tf.Tensor4D, ww: Float32Array) => tf.depthwiseConv2d(tf.pad(xx, pads), tf.tensor4d(ww, [k, k, c, 1]), stride, 'valid');
        return [dwc(xt, real8).dataSync(), dwc(tf.abs(xt), real8.map(Math.abs)).dataSync()];
      });
      for (const [build, fn] of implsOf('depthwiseConv2dInt8')) {
        const { data } = call(build, fn, (kh) => {
          const out = kh.output(outLen * 4);
          const scratch = kh.alloc(kh.exports.depthwiseConv2dScratchBytes(c, k, k, stride, g.outH, g.outW, c));
          return { args: [kh.put(x), h, w, c, kh.put(q8), kh.put(s8), kh.put(bias), k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, 0, out, scratch], out, outLen };
        });
        expectClose(data, Array.from(dw8, (v, i) => v + bias[i % c]), Array.from(dw8Abs, (v, i) => v + Math.abs(bias[i % c]) + 1e-3), 1e-5, `${build}.${fn} ${name}`);
      }
      const poolArgs = (kh: KernelHarness, input: Float32Array | Uint32Array, outLenP: number, u32 = false) => {
        const out = kh.output(outLenP * 4);
        return { args: [kh.put(input), h, w, c, k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, out], out, outLen: outLenP, u32 };
      };
      for (const [build, fn] of implsOf('maxPool2d')) {
        expect(call(build, fn, (kh) => poolArgs(kh, x, outLen)).data, `${build}.${fn} ${name}`).toEqual(maxP);
      }
      const avgRef = call('simd-full', 'avgPool2dReference', (kh) => poolArgs(kh, x, outLen)).data;
      expectClose(avgRef, avgP, 1, 1e-6, `avgPool2dReference vs tfjs ${name}`);
      for (const [build, fn] of implsOf('avgPool2d')) {
        // Same summation order per channel in every implementation: exact.
        expect(call(build, fn, (kh) => poolArgs(kh, x, outLen)).data, `${build}.${fn} ${name}`).toEqual(avgRef);
      }
      // Bit-packed max pool = max pool of the ±1 values.
      const pm = plusMinusOne(rand, h * w * c);
      const wantBits = packSigns(tf.tidy(() => tf.maxPool(tf.tensor4d(pm, [1, h, w, c]), [k, k], stride, s.padding).dataSync()), g.outH * g.outW, c);
      for (const [build, fn] of implsOf('maxPool2dBits')) {
        expect(call(build, fn, (kh) => poolArgs(kh, packSigns(pm, h * w, c), g.outH * g.outW * wordsFor(c), true)).data, `${build}.${fn} ${name}`).toEqual(wantBits);
      }
      // With a flip mask: flipped channels take the min of their ±1 values (tfjs: −maxPool(−x)).
      const flipped = Array.from({ length: c }, (_, ch) => ch === 0 || (ch < c - 1 && rand() < 0.5)); // both kinds when C ≥ 2
      const flip = new Uint32Array(wordsFor(c));
      flipped.forEach((f, ch) => { if (f) flip[ch >> 5] |= 1 << (ch & 31); });
      const [maxOf, minOf] = tf.tidy(() => {
        const t = tf.tensor4d(pm, [1, h, w, c]);
        return [tf.maxPool(t, [k, k], stride, s.padding).dataSync(), tf.neg(tf.maxPool(tf.neg(t), [k, k], stride, s.padding)).dataSync()];
      });
      const wantFlip = packSigns(maxOf.map((v, i) => (flipped[i % c] ? minOf[i] : v)), g.outH * g.outW, c);
      for (const [build, fn] of implsOf('maxPool2dBitsFlip')) {
        const { data } = call(build, fn, (kh) => {
          const out = kh.output(g.outH * g.outW * wordsFor(c) * 4);
          return { args: [kh.put(packSigns(pm, h * w, c)), h, w, c, k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, kh.put(flip), out], out, outLen: g.outH * g.outW * wordsFor(c), u32: true };
        });
        expect(data, `${build}.${fn} ${name}`).toEqual(wantFlip);
      }
    });
  }
});

describe('dense, globalAvgPool, scaleShift, relu, softmax', () => {
  it(`dense over K, N not multiples of 4/8 (seed=${BASE_SEED})`, () => {
    const rand = rng(BASE_SEED + 7);
    for (const [kk, n] of [[1, 1], [7, 3], [33, 10], [200, 345], [1152, 9]]) {
      const x = uniform(rand, kk), wt = uniform(rand, kk * n), bias = uniform(rand, n);
      const want = tf.tidy(() => tf.add(tf.matMul(tf.tensor2d(x, [1, kk]), tf.tensor2d(wt, [kk, n])), tf.tensor1d(bias)).dataSync());
      for (const [build, fn] of implsOf('dense')) {
        const { data } = call(build, fn, (kh) => {
          const out = kh.output(n * 4);
          return { args: [kh.put(x), kk, kh.put(packFloatFilters(wt, kk, n)), kh.put(bias), n, 0, out], out, outLen: n };
        });
        expectClose(data, want, kk + 1, 1e-6, `${build}.${fn} K=${kk} N=${n}`);
      }
      const i8 = int8Panels(wt, kk, n);
      const want8 = tf.tidy(() => tf.relu(tf.add(tf.matMul(tf.tensor2d(x, [1, kk]), tf.tensor2d(i8.real, [kk, n])), tf.tensor1d(bias))).dataSync());
      for (const [build, fn] of implsOf('denseInt8')) {
        const { data } = call(build, fn, (kh) => {
          const out = kh.output(n * 4);
          return { args: [kh.put(x), kk, kh.put(i8.q), kh.put(i8.scales), kh.put(bias), n, 1, out], out, outLen: n };
        });
        expectClose(data, want8, kk + 1, 1e-6, `${build}.${fn} K=${kk} N=${n}`);
      }
    }
  });

  it(`globalAvgPool and scaleShift (seed=${BASE_SEED})`, () => {
    const rand = rng(BASE_SEED + 8);
    for (const [pixels, c] of [[1, 1], [49, 7], [9, 129], [16, 64]]) {
      const x = uniform(rand, pixels * c), scale = uniform(rand, c), shift = uniform(rand, c);
      const mean = tf.tidy(() => tf.mean(tf.tensor2d(x, [pixels, c]), 0).dataSync());
      for (const [build, fn] of implsOf('globalAvgPool')) {
        const { data } = call(build, fn, (kh) => { const out = kh.output(c * 4); return { args: [kh.put(x), pixels, c, out], out, outLen: c }; });
        expectClose(data, mean, 1, 1e-6, `${build}.${fn} ${pixels}x${c}`);
      }
      for (const relu of [0, 1]) {
        const want = x.map((v, i) => { const y = Math.fround(Math.fround(v * scale[i % c]) + shift[i % c]); return relu ? Math.max(y, 0) : y; });
        for (const [build, fn] of implsOf('scaleShift')) {
          const { data } = call(build, fn, (kh) => { const out = kh.output(x.byteLength); return { args: [kh.put(x), pixels, c, kh.put(scale), kh.put(shift), relu, out], out, outLen: x.length }; });
          expect(data, `${build}.${fn} ${pixels}x${c} relu=${relu}`).toEqual(want);
        }
      }
    }
  });

  it('relu, softmax', () => {
    const rand = rng(BASE_SEED + 9);
    for (const n of [1, 3, 4, 10, 345]) {
      const x = uniform(rand, n, -30, 30);
      const sm = tf.tidy(() => tf.softmax(tf.tensor1d(x)).dataSync());
      for (const build of builds) {
        expect(call(build, 'relu', (kh) => { const out = kh.output(n * 4); return { args: [kh.put(x), n, out], out, outLen: n }; }).data).toEqual(x.map((v) => Math.max(v, 0)));
        expectClose(call(build, 'softmax', (kh) => { const out = kh.output(n * 4); return { args: [kh.put(x), n, out], out, outLen: n }; }).data, sm, 1, 1e-6, `${build}.softmax n=${n}`);
      }
    }
  });
});

describe('packSigns', () => {
  it('one-hot bit order: channel c is bit c%32 of word c>>5, padding bits 0', () => {
    for (const c of [1, 31, 32, 33, 127, 128, 129, 200]) {
      for (let hot = 0; hot < c; hot++) {
        const x = new Float32Array(2 * c).fill(1); // two pixels; the hot channel is in the second
        x[c + hot] = -0.5;
        const want = new Uint32Array(2 * wordsFor(c));
        want[wordsFor(c) + (hot >>> 5)] = 1 << (hot & 31);
        for (const [build, fn] of implsOf('packSigns')) {
          const { data } = call(build, fn, (kh) => { const out = kh.output(want.byteLength); return { args: [kh.put(x), out, 2, c], out, outLen: want.length, u32: true }; });
          expect(data, `${build}.${fn} C=${c} hot=${hot}`).toEqual(want);
        }
      }
    }
  });

  it(`random data incl. 0, -0, NaN; affine form; unpack round trip (seed=${BASE_SEED})`, () => {
    const rand = rng(BASE_SEED + 10);
    for (const [pixels, c] of [[5, 1], [3, 33], [7, 129], [2, 200]]) {
      const x = uniform(rand, pixels * c);
      x[0] = 0; x[1 % x.length] = -0; x[2 % x.length] = NaN;
      const want = packSigns(x, pixels, c);
      const scale = uniform(rand, c), shift = uniform(rand, c);
      const wantAffine = packSigns(x.map((v, i) => Math.fround(Math.fround(v * scale[i % c]) + shift[i % c])), pixels, c);
      const outLen = pixels * wordsFor(c);
      for (const [build, fn] of implsOf('packSigns')) {
        expect(call(build, fn, (kh) => { const out = kh.output(outLen * 4); return { args: [kh.put(x), out, pixels, c], out, outLen, u32: true }; }).data, `${build}.${fn}`).toEqual(want);
      }
      for (const [build, fn] of implsOf('packSignsAffine')) {
        expect(call(build, fn, (kh) => { const out = kh.output(outLen * 4); return { args: [kh.put(x), out, pixels, c, kh.put(scale), kh.put(shift)], out, outLen, u32: true }; }).data, `${build}.${fn}`).toEqual(wantAffine);
      }
      const unpacked = call('simd-full', 'unpackSigns', (kh) => { const out = kh.output(pixels * c * 4); return { args: [kh.put(want), out, pixels, c], out, outLen: pixels * c }; }).data;
      expect(unpacked).toEqual(x.map((v) => (v < 0 ? -1 : 1)));
    }
  });
});
