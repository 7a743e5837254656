import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { binarize, dabnLevels, dabnSplitBruteForce, quantizeWeights, signSTE, xnorLevels, centreAndClamp, centreAndClampJS, levelsJS, DEFAULT_WEIGHT_GRAD } from '../tools/train/quantizers.js';
import { mulberry32 } from '../sdk/prng.js';
import { sketchNet } from '../tools/train/models.js';
import { BinaryConv2D } from '../tools/train/layers.js';

const SEED = Number(process.env.BEXNET_SEED ?? 20240601);

beforeAll(async () => {
  await tf.setBackend('cpu');
  // (not IS_TEST: its kernel leak check counts customGrad's saved non-input tensors)
});

function randomFilters(rng: () => number, n: number, co: number, kind: number): Float32Array {
  const w = new Float32Array(n * co);
  for (let i = 0; i < w.length; i++) {
    const u = rng(), v = rng();
    const g = Math.sqrt(-2 * Math.log(u + 1e-12)) * Math.cos(2 * Math.PI * v);
    // skewed / shifted / bimodal distributions, where the optimal split is not at 0
    w[i] = kind === 0 ? g : kind === 1 ? Math.exp(0.7 * g) - 1.2 : kind === 2 ? (rng() < 0.3 ? 1.5 + 0.2 * g : -0.4 + 0.3 * g) : 0.05 * g + 0.3;
  }
  return w;
}

describe('DABN optimal-k split', () => {
  it(`equals brute force on random filters (seed ${SEED})`, () => {
    const rng = mulberry32(SEED);
    for (const n of [2, 3, 9, 27, 64, 288]) {
      for (let kind = 0; kind < 4; kind++) {
        const co = 5;
        const w = randomFilters(rng, n, co, kind);
        const L = dabnLevels(tf.tensor2d(w, [n, co]));
        const alpha = L.alpha.dataSync(), beta = L.beta.dataSync(), mask = L.mask.dataSync();
        for (let o = 0; o < co; o++) {
          const col = Array.from({ length: n }, (_, i) => w[i * co + o]);
          const bf = dabnSplitBruteForce(col);
          let k = 0;
          for (let i = 0; i < n; i++) k += mask[i * co + o];
          expect(k, `n=${n} kind=${kind} filter=${o} seed=${SEED}`).toBe(bf.k);
          expect(alpha[o]).toBeCloseTo(bf.alpha, 4);
          expect(beta[o]).toBeCloseTo(bf.beta, 4);
          expect(alpha[o]).toBeGreaterThan(beta[o]);
        }
      }
    }
  });

  it('reconstruction error is never worse than XNOR on the same filter', () => {
    const rng = mulberry32(SEED + 1);
    const n = 72, co = 16;
    const w = tf.tensor2d(randomFilters(rng, n, co, 1), [n, co]);
    const err = (q: 'xnor' | 'dabn') => tf.sum(tf.square(tf.sub(w, quantizeWeights(w, q))), 0).dataSync();
    const ex = err('xnor'), ed = err('dabn');
    for (let o = 0; o < co; o++) expect(ed[o]).toBeLessThanOrEqual(ex[o] + 1e-5);
  });
});

describe('JS fast path equals the tensor-op references', () => {
  it(`levelsJS = dabnLevels / xnorLevels (seed ${SEED})`, () => {
    const rng = mulberry32(SEED + 7);
    for (const n of [2, 9, 64, 576]) for (let kind = 0; kind < 4; kind++) {
      const co = 6;
      const w = randomFilters(rng, n, co, kind);
      for (const q of ['xnor', 'dabn'] as const) {
        const ref = q === 'xnor' ? xnorLevels(tf.tensor2d(w, [n, co])) : dabnLevels(tf.tensor2d(w, [n, co]));
        const js = levelsJS(w, n, co, q);
        expect(Array.from(js.mask)).toEqual(Array.from(ref.mask.dataSync()));
        const ra = ref.alpha.dataSync(), rb = ref.beta.dataSync();
        for (let o = 0; o < co; o++) {
          expect(js.alpha[o]).toBeCloseTo(ra[o], 4);
          expect(js.beta[o]).toBeCloseTo(rb[o], 4);
        }
      }
    }
  });

  it('centreAndClampJS = centreAndClamp for conv and dense kernels', () => {
    const rng = mulberry32(SEED + 8);
    for (const [shape, axis] of [[[3, 3, 5, 4], 2], [[7, 3], 0]] as [number[], number][]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const v = Float32Array.from({ length: size }, () => (rng() - 0.5) * 3);
      const ref = centreAndClamp(tf.tensor(v, shape), axis).dataSync();
      const js = centreAndClampJS(v, shape, axis);
      for (let i = 0; i < size; i++) expect(js[i]).toBeCloseTo(ref[i], 5);
    }
  });
});

describe('XNOR is the t = 0 special case', () => {
  it('xnor levels are alpha = mean|w| = -beta with threshold 0', () => {
    const rng = mulberry32(SEED + 2);
    const n = 27, co = 4;
    const w = randomFilters(rng, n, co, 0);
    const L = xnorLevels(tf.tensor2d(w, [n, co]));
    const q = quantizeWeights(tf.tensor2d(w, [n, co]), 'xnor').dataSync();
    for (let o = 0; o < co; o++) {
      let a = 0;
      for (let i = 0; i < n; i++) a += Math.abs(w[i * co + o]) / n;
      expect(L.alpha.dataSync()[o]).toBeCloseTo(a, 5);
      expect(L.beta.dataSync()[o]).toBeCloseTo(-a, 5);
      expect(L.threshold.dataSync()[o]).toBe(0);
      for (let i = 0; i < n; i++) expect(q[i * co + o]).toBeCloseTo(w[i * co + o] >= 0 ? a : -a, 5);
    }
  });

  it('dabn on a symmetric filter picks t = 0 and alpha = -beta, i.e. xnor', () => {
    const base = [0.9, 0.5, 0.2, 0.1];
    const col = [...base, ...base.map((v) => -v)];
    const w = tf.tensor2d(col, [col.length, 1]);
    const d = quantizeWeights(w, 'dabn').dataSync(), x = quantizeWeights(w, 'xnor').dataSync();
    for (let i = 0; i < col.length; i++) expect(d[i]).toBeCloseTo(x[i], 6);
  });
});

describe('sign and STE', () => {
  it('sign(0) = +1, -0 -> +1, NaN -> +1, tiny negatives -> -1', () => {
    expect(Array.from(binarize(tf.tensor1d([0, -0, 1e-30, -1e-30, NaN, -3, 3])).dataSync())).toEqual([1, 1, 1, -1, 1, -1, 1]);
    expect(Array.from(signSTE(tf.tensor1d([0])).dataSync())).toEqual([1]);
  });

  it('activation STE gradient is dy inside |x| < 1 and zero outside', () => {
    const x = tf.tensor1d([-2, -1, -0.999, -0.5, 0, 0.5, 0.999, 1, 2]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const g = tf.grad((t: tf.Tensor) => signSTE(t))(x, dy).dataSync();
    expect(Array.from(g)).toEqual([0, 0, 3, 4, 5, 6, 7, 0, 0]);
  });

  it("weight gradient 'exact': STE term vanishes for |w| >= 1, set-mean term remains", () => {
    for (const q of ['xnor', 'dabn'] as const) {
      const w = tf.tensor2d([[1.5], [0.3], [-0.2], [-1.2]]);
      const g = tf.grad((t: tf.Tensor) => quantizeWeights(t, q, 'exact'))(w, tf.tensor2d([[1], [0], [0], [0]])).dataSync();
      const L = q === 'xnor' ? xnorLevels(w) : dabnLevels(w);
      const a = L.alpha.dataSync()[0], b = L.beta.dataSync()[0], m = L.mask.dataSync();
      // dy only on w0 (|w0| > 1): no STE term anywhere; set term spreads dy over w0's set.
      const k = Array.from(m).reduce((s, v) => s + v, 0);
      for (let i = 0; i < 4; i++) {
        const want = q === 'xnor' ? (2 * m[i] - 1) * (2 * m[0] - 1) / 4 : m[i] === m[0] ? 1 / (m[0] ? k : 4 - k) : 0;
        expect(g[i], `${q} i=${i}`).toBeCloseTo(want, 6);
      }
      // dy on w1 (inside): gets the STE term (alpha - beta)/2 in addition.
      const g1 = tf.grad((t: tf.Tensor) => quantizeWeights(t, q, 'exact'))(w, tf.tensor2d([[0], [1], [0], [0]])).dataSync();
      const set1 = q === 'xnor' ? 1 / 4 : 1 / (m[1] ? k : 4 - k);
      expect(g1[1]).toBeCloseTo((a - b) / 2 + set1, 6);
    }
  });

  it("weight gradient 'authors': g_i * (mean|w| of its set * 1{|w|<1} + 1/|set|), element-wise", () => {
    const wv = [1.5, 0.3, -0.2, -1.2, 0.05, 0.9];
    const dy = [0.5, -1, 2, 1, -3, 0.25];
    for (const q of ['xnor', 'dabn'] as const) {
      const w = tf.tensor2d(wv, [6, 1]);
      const g = tf.grad((t: tf.Tensor) => quantizeWeights(t, q, 'authors'))(w, tf.tensor2d(dy, [6, 1])).dataSync();
      const m = (q === 'xnor' ? xnorLevels(w) : dabnLevels(w)).mask.dataSync();
      const up = wv.filter((_, i) => m[i]), lo = wv.filter((_, i) => !m[i]);
      const mabs = (a: number[]) => a.reduce((s, v) => s + Math.abs(v), 0) / a.length;
      for (let i = 0; i < 6; i++) {
        const inside = Math.abs(wv[i]) < 1 ? 1 : 0;
        const lvl = q === 'xnor' ? mabs(wv) : m[i] ? mabs(up) : mabs(lo);
        const size = q === 'xnor' ? 6 : m[i] ? up.length : lo.length;
        expect(g[i], `${q} i=${i}`).toBeCloseTo(dy[i] * (lvl * inside + 1 / size), 5);
      }
    }
  });

  it("a binary layer's weightGrad picks its weight gradient and survives model JSON (what training workers rebuild from)", async () => {
    for (const [q, other] of [['xnor', 'authors'], ['dabn', 'exact']] as const) {
      expect(DEFAULT_WEIGHT_GRAD[q]).not.toBe(other);
      const m = sketchNet({ variant: q, classes: 3, width: 0.25, seed: 5, weightGrad: other });
      const copy = await tf.models.modelFromJSON(JSON.parse(JSON.stringify(m.toJSON(null, false))));
      const [layer, copied] = [m, copy].map((mm) => mm.getLayer('conv3') as BinaryConv2D);
      expect(copied.weightGrad).toBe(other);
      expect((sketchNet({ variant: q, classes: 3, width: 0.25, seed: 5 }).getLayer('conv3') as BinaryConv2D).weightGrad).toBe(DEFAULT_WEIGHT_GRAD[q]);
      const kernel = layer.kernel!.read() as tf.Variable;
      const dy = tf.randomNormal(kernel.shape, 0, 1, 'float32', 7);
      const viaLayer = tf.variableGrads(() => tf.sum(tf.mul(layer.binarizedKernel(), dy)) as tf.Scalar, [kernel]).grads[kernel.name].dataSync();
      const chosen = tf.grad((t: tf.Tensor) => quantizeWeights(t, q, other))(kernel, dy).dataSync();
      const byDefault = tf.grad((t: tf.Tensor) => quantizeWeights(t, q))(kernel, dy).dataSync();
      expect(Array.from(viaLayer)).toEqual(Array.from(chosen));
      expect(Array.from(viaLayer)).not.toEqual(Array.from(byDefault));
    }
  });

  it('latent weights are centred over the input-channel axis and clamped', () => {
    const w = tf.tensor4d([0.5, 3, -0.5, 1, 2, -2, 0, 0], [1, 2, 2, 2]); // [kh, kw, ci, co]
    const c = centreAndClamp(w, 2).arraySync() as number[][][][];
    expect(c[0][0][0]).toEqual([0.5, 1]);
    expect(c[0][0][1]).toEqual([-0.5, -1]);
    expect(c[0][1][0]).toEqual([1, -1]);
  });
});
