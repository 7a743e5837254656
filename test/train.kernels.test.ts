// The wasm training kernels (tools/train/wasm-kernels.ts) against the pure-JS cpu
// backend on the same data: conv gradients for same/valid, stride 1/2, 1x1 and
// the dense-like valid conv, odd channel counts, plus the BatchNorm gradient
// override, the per-channel Sum/Mean; and assembly/training.ts's SIMD kernels against their references.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../tools/train/backend.js';
import { useTrainingForwardConv } from '../tools/train/wasm-kernels.js';
import { KernelHarness } from './support/wasm.js';
import { BASE_SEED, rng, uniform } from './support/rng.js';

beforeAll(async () => {
  await setupBackend({ quiet: true, prefer: 'wasm' });
});

async function on<T>(backend: string, f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** d/dx and d/dw of Σ conv(x, w)² on the wasm backend equal the cpu backend's; returns the cpu's. */
async function expectGradsMatchCpu(conv: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor, xv: Float32Array, xShape: number[], wv: Float32Array, wShape: number[]) {
  const run = () => {
    const x = tf.tensor4d(xv, xShape as [number, number, number, number]), w = tf.tensor4d(wv, wShape as [number, number, number, number]);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.square(conv(a as tf.Tensor4D, b as tf.Tensor4D)).sum());
    return g([x, w]).map((t) => t.dataSync());
  };
  const [dxW, dwW] = await on('wasm', run);
  const [dxC, dwC] = await on('cpu', run);
  expect(maxAbsDiff(dxW, dxC)).toBeLessThan(1e-3);
  expect(maxAbsDiff(dwW, dwC)).toBeLessThan(1e-3);
  await tf.setBackend('wasm');
  return { dxC, dwC };
}

describe('wasm conv gradients equal the cpu backend', () => {
  const cases: [number, number, number, number, number, number, 'same' | 'valid'][] = [
    // H, W, k, ci, co, stride, pad
    [7, 7, 3, 3, 5, 1, 'same'], [8, 6, 3, 3, 5, 2, 'same'], [9, 9, 3, 3, 5, 2, 'valid'], [6, 6, 1, 3, 5, 1, 'valid'],
    [3, 3, 3, 3, 5, 1, 'valid'], [5, 4, 5, 3, 5, 2, 'same'], [4, 4, 2, 3, 5, 1, 'same'],
    [9, 7, 3, 17, 9, 1, 'valid'], [6, 6, 3, 1, 33, 1, 'same'], [5, 5, 3, 8, 16, 1, 'valid'], [11, 10, 3, 6, 7, 2, 'valid'],
  ];
  for (const [H, W, k, ci, co, s, pad] of cases) {
    it(`${H}x${W} k${k} ${ci}->${co} s${s} ${pad} (seed ${BASE_SEED})`, async () => {
      const rand = rng(BASE_SEED ^ (H * 131 + k * 17 + ci * 7 + co));
      const xv = uniform(rand, 2 * H * W * ci);
      const wv = uniform(rand, k * k * ci * co);
      await expectGradsMatchCpu((x, w) => tf.conv2d(x, w, s, pad), xv, [2, H, W, ci], wv, [k, k, ci, co]);
    });
  }

  // Depthwise (multiplier 1): the wasm backend ships neither gradient; ours are JS loops.
  const dwCases: [number, number, number, number, number, 'same' | 'valid'][] = [
    // H, W, k, C, stride, pad
    [7, 7, 3, 5, 1, 'same'], [8, 6, 3, 17, 2, 'same'], [9, 9, 3, 3, 2, 'valid'], [5, 4, 5, 8, 2, 'same'], [6, 7, 3, 33, 1, 'valid'],
  ];
  for (const [H, W, k, C, s, pad] of dwCases) {
    it(`depthwise ${H}x${W} k${k} C${C} s${s} ${pad}`, async () => {
      const rand = rng(BASE_SEED ^ (H * 131 + k * 17 + C * 7 + s));
      const xv = uniform(rand, 2 * H * W * C), wv = uniform(rand, k * k * C);
      const { dwC } = await expectGradsMatchCpu((x, w) => tf.depthwiseConv2d(x, w, s, pad), xv, [2, H, W, C], wv, [k, k, C, 1]);
      expect(maxAbsDiff(dwC, new Float32Array(dwC.length))).toBeGreaterThan(0.1);
    });
  }

  it('batch norm gradient override matches finite differences', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(Array.from({ length: 2 * 3 * 3 * 4 }, (_, i) => Math.sin(i)), [2, 3, 3, 4]);
    const gamma = tf.tensor1d([1, 2, 0.5, -1]), beta = tf.tensor1d([0, 1, 0, -1]);
    const f = (a: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return tf.sum(tf.mul(tf.batchNorm(a, mean, variance, beta, gamma, 1e-3), tf.range(0, 72).reshape([2, 3, 3, 4])));
    };
    const g = tf.grad(f)(x).dataSync();
    const xv = x.dataSync();
    for (const i of [0, 5, 17, 40, 71]) {
      const h = 1e-2;
      const p = Float32Array.from(xv); p[i] += h;
      const m = Float32Array.from(xv); m[i] -= h;
      const fd = (f(tf.tensor4d(p, x.shape as [number, number, number, number])).dataSync()[0] - f(tf.tensor4d(m, x.shape as [number, number, number, number])).dataSync()[0]) / (2 * h);
      expect(g[i]).toBeCloseTo(fd, 1);
    }
  });
});

describe('training forward Conv2D (our conv2d) equals the cpu backend', () => {
  const cases: [number, number, number, number, number, number, 'same' | 'valid'][] = [
    // N, H, k, ci, co, stride, pad
    [3, 9, 3, 17, 9, 1, 'valid'], [2, 8, 3, 3, 33, 2, 'same'], [2, 28, 5, 1, 32, 2, 'same'], [4, 3, 3, 128, 20, 1, 'valid'], [1, 7, 1, 5, 7, 1, 'valid'],
  ];
  for (const [N, H, k, ci, co, s, pad] of cases) {
    it(`${N}x${H}x${H}x${ci} k${k} -> ${co} s${s} ${pad} (seed ${BASE_SEED})`, async () => {
      const rand = rng(BASE_SEED ^ (N * 7919 + H * 31 + ci * 7 + co));
      const xv = uniform(rand, N * H * H * ci), wv = uniform(rand, k * k * ci * co);
      const run = () => tf.conv2d(tf.tensor4d(xv, [N, H, H, ci]), tf.tensor4d(wv, [k, k, ci, co]), s, pad).dataSync();
      await tf.setBackend('wasm');
      const shipped = run();
      const before = useTrainingForwardConv(true);
      try {
        const ours = run();
        const cpu = await on('cpu', run);
        expect(maxAbsDiff(ours, cpu)).toBeLessThan(1e-4 * k * k * ci);
        expect(maxAbsDiff(ours, shipped)).toBeLessThan(1e-4 * k * k * ci);
      } finally {
        await tf.setBackend('wasm');
        useTrainingForwardConv(before);
      }
      expect(useTrainingForwardConv(false)).toBe(false); // restored
    });
  }
});

describe('wasm MaxPoolGrad (JS kernel) equals the cpu backend', () => {
  const cases: [number, number, number, number, 'same' | 'valid'][] = [
    // H, W, pool, stride, pad
    [14, 14, 2, 2, 'valid'], [7, 7, 2, 2, 'valid'], [7, 6, 3, 2, 'same'], [5, 5, 3, 1, 'same'],
  ];
  for (const [H, W, p, s, pad] of cases) {
    it(`${H}x${W} pool ${p} stride ${s} ${pad}`, async () => {
      // distinct values (no ties) so both backends pick the same maximum
      const xv = Array.from({ length: 2 * H * W * 5 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
      const run = () => {
        const x = tf.tensor4d(xv, [2, H, W, 5]);
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, p, s, pad), tf.range(1, 1 + tf.maxPool(x, p, s, pad).size).reshape(tf.maxPool(x, p, s, pad).shape))));
        return g(x).dataSync();
      };
      const w = await on('wasm', run);
      const c = await on('cpu', run);
      expect(maxAbsDiff(w, c)).toBeLessThan(1e-4);
      await tf.setBackend('wasm');
    });
  }
});

describe('strided input gradient (matmul + col2im) on a first-layer shape', () => {
  it('5x5 stride 2 same, 1 input channel', async () => {
    const xv = Array.from({ length: 3 * 28 * 28 }, (_, i) => Math.sin(i * 0.37));
    const wv = Array.from({ length: 25 * 8 }, (_, i) => Math.cos(i * 1.3));
    const run = () => {
      const x = tf.tensor4d(xv, [3, 28, 28, 1]), w = tf.tensor4d(wv, [5, 5, 1, 8]);
      return tf.grad((a: tf.Tensor) => tf.square(tf.conv2d(a as tf.Tensor4D, w, 2, 'same')).sum())(x).dataSync();
    };
    const w = await on('wasm', run);
    const c = await on('cpu', run);
    expect(maxAbsDiff(w, c)).toBeLessThan(1e-3);
    await tf.setBackend('wasm');
  });
});

describe('convFilterGrad (assembly/training.ts): SIMD equals the reference', () => {
  const k = new KernelHarness('train');
  // n, h, w, c, cout, kh, kw, stride, padTop, padLeft, outH, outW
  const cases = [
    [1, 5, 5, 1, 1, 3, 3, 1, 0, 0, 3, 3], [2, 7, 6, 3, 5, 3, 3, 1, 1, 1, 7, 6], [3, 9, 9, 17, 9, 3, 3, 2, 0, 0, 4, 4],
    [2, 16, 16, 32, 64, 3, 3, 1, 0, 0, 14, 14], [5, 3, 3, 129, 33, 3, 3, 1, 0, 0, 1, 1], [4, 1, 1, 200, 7, 1, 1, 1, 0, 0, 1, 1],
    [2, 28, 28, 1, 32, 5, 5, 2, 1, 1, 14, 14], [1, 8, 5, 4, 8, 2, 4, 1, 1, 2, 8, 5], [40, 4, 4, 6, 10, 3, 3, 1, 0, 0, 2, 2],
  ];
  for (const [n, h, w, c, cout, kh, kw, s, pt, pl, oh, ow] of cases) {
    it(`n${n} ${h}x${w}x${c} -> ${oh}x${ow}x${cout} k${kh}x${kw} s${s} pad ${pt},${pl} (seed ${BASE_SEED})`, () => {
      k.reset();
      const rand = rng(BASE_SEED ^ (n * 1009 + c * 31 + cout));
      const x = k.put(uniform(rand, n * h * w * c)), dy = k.put(uniform(rand, n * oh * ow * cout));
      const dwBytes = kh * kw * c * cout * 4;
      const ref = k.output(dwBytes), got = k.output(dwBytes);
      const scratch = k.output(k.exports.convFilterGradScratchBytes(n, c, oh, ow, cout, kh, kw, s));
      k.exports.convFilterGradReference(x, n, h, w, c, dy, oh, ow, cout, kh, kw, s, pt, pl, ref);
      k.exports.convFilterGrad(x, n, h, w, c, dy, oh, ow, cout, kh, kw, s, pt, pl, got, scratch);
      k.checkGuards();
      const a = k.f32(ref, dwBytes / 4), b = k.f32(got, dwBytes / 4);
      // Summation order differs (blocked over images): relative tolerance on the magnitude.
      const terms = n * oh * ow;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst).toBeLessThan(1e-5 * terms + 1e-6);
      expect(a.some((v) => v !== 0)).toBe(true);
    });
  }
});

describe('depthwise gradients: SIMD against the plain loops (assembly/training.ts)', () => {
  const k = new KernelHarness('train');
  // n, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW: channels not a multiple of 4, padding, strides
  const cases = [
    [1, 5, 5, 1, 3, 3, 1, 0, 0, 3, 3], [2, 7, 6, 3, 3, 3, 1, 1, 1, 7, 6], [3, 9, 9, 17, 3, 3, 2, 0, 0, 4, 4],
    [2, 14, 14, 64, 3, 3, 2, 0, 0, 7, 7], [2, 8, 8, 33, 5, 5, 2, 2, 2, 4, 4], [1, 8, 5, 4, 2, 4, 1, 1, 2, 8, 5],
  ];
  for (const [n, h, w, c, kh, kw, s, pt, pl, oh, ow] of cases) {
    it(`n${n} ${h}x${w}x${c} k${kh}x${kw} s${s} pad ${pt},${pl} -> ${oh}x${ow} (seed ${BASE_SEED})`, () => {
      k.reset();
      const rand = rng(BASE_SEED ^ (n * 1009 + c * 31 + kh));
      const x = k.put(uniform(rand, n * h * w * c)), wts = k.put(uniform(rand, kh * kw * c)), dy = k.put(uniform(rand, n * oh * ow * c));
      const dwBytes = kh * kw * c * 4, dxBytes = n * h * w * c * 4;
      const dwRef = k.output(dwBytes), dwGot = k.output(dwBytes), dxRef = k.output(dxBytes), dxGot = k.output(dxBytes);
      k.exports.depthwiseFilterGradReference(x, n, h, w, c, dy, oh, ow, kh, kw, s, pt, pl, dwRef);
      k.exports.depthwiseFilterGrad(x, n, h, w, c, dy, oh, ow, kh, kw, s, pt, pl, dwGot);
      k.exports.depthwiseInputGradReference(wts, n, h, w, c, dy, oh, ow, kh, kw, s, pt, pl, dxRef);
      k.exports.depthwiseInputGrad(wts, n, h, w, c, dy, oh, ow, kh, kw, s, pt, pl, dxGot);
      k.checkGuards();
      // Same order of additions per channel, so the same floats.
      expect(Array.from(k.f32(dwGot, dwBytes / 4))).toEqual(Array.from(k.f32(dwRef, dwBytes / 4)));
      expect(Array.from(k.f32(dxGot, dxBytes / 4))).toEqual(Array.from(k.f32(dxRef, dxBytes / 4)));
      expect(k.f32(dwRef, dwBytes / 4).some((v) => v !== 0) && k.f32(dxRef, dxBytes / 4).some((v) => v !== 0)).toBe(true);
    });
  }
});

describe('channelSums (assembly/training.ts): SIMD equals the reference, both near the exact sums', () => {
  const k = new KernelHarness('train');
  // rows across the 64-row blocks, channels not a multiple of 4
  const cases = [[1, 1], [5, 3], [63, 4], [64, 5], [65, 17], [300, 64], [129, 130]];
  for (const [rows, c] of cases) {
    it(`${rows} rows x ${c} channels (seed ${BASE_SEED})`, () => {
      k.reset();
      const rand = rng(BASE_SEED ^ (rows * 131 + c));
      const xs = uniform(rand, rows * c).map((v) => v + 0.25); // a nonzero mean, as activations have
      const x = k.put(xs), ref = k.output(c * 4), got = k.output(c * 4), s1 = k.output(c * 12), s2 = k.output(c * 12);
      k.exports.channelSumsReference(x, rows, c, ref, s1);
      k.exports.channelSums(x, rows, c, got, s2);
      k.checkGuards();
      expect(Array.from(k.f32(got, c))).toEqual(Array.from(k.f32(ref, c)));
      const exact = Array.from({ length: c }, (_, j) => { let t = 0; for (let r = 0; r < rows; r++) t += xs[r * c + j]; return t; });
      expect(maxAbsDiff(k.f32(got, c), exact)).toBeLessThan(1e-6 * rows + 1e-6);
    });
  }
});

describe('wasm Sum and Mean equal the cpu backend', () => {
  // [shape, axis, keepDims]: per-channel reductions (our kernel) and others (the shipped one)
  const cases: [number[], number | number[], boolean][] = [
    [[6, 5, 7, 19], [0, 1, 2], false], [[6, 5, 7, 19], [2, 0, 1], true], [[33, 130], 0, false], [[33, 130], [-2], true],
    [[4, 3, 9], [0, 1], true], [[6, 5, 7, 19], [1, 2], false], [[6, 5, 7, 19], -1, false], [[33, 130], [0, 1], false],
  ];
  for (const [shape, axis, keepDims] of cases) {
    it(`${shape.join('x')} axis ${JSON.stringify(axis)} keepDims ${keepDims}`, async () => {
      const rand = rng(BASE_SEED ^ shape.reduce((p, d) => p * 7 + d, 0));
      const xs = uniform(rand, shape.reduce((p, d) => p * d, 1));
      const run = () => [tf.sum(tf.tensor(xs, shape), axis, keepDims), tf.mean(tf.tensor(xs, shape), axis, keepDims)].map((t) => ({ shape: t.shape, dtype: t.dtype, v: t.dataSync() }));
      const wasm = await on('wasm', run), cpu = await on('cpu', run);
      for (let i = 0; i < 2; i++) {
        expect([wasm[i].shape, wasm[i].dtype]).toEqual([cpu[i].shape, cpu[i].dtype]);
        expect(maxAbsDiff(wasm[i].v, cpu[i].v)).toBeLessThan(1e-4);
      }
      await tf.setBackend('wasm');
    });
  }
  it('is registered, and int32 sums stay the shipped kernel\'s', async () => {
    const info = await setupBackend({ quiet: true, prefer: 'wasm' });
    expect(info.description).toContain('Sum/Mean over all axes but the channels (bexnet wasm)');
    const t = tf.sum(tf.tensor([[1, 2], [3, 4], [5, 7]], [3, 2], 'int32'), 0);
    expect([t.dtype, Array.from(t.dataSync())]).toEqual(['int32', [9, 13]]);
  });
});
