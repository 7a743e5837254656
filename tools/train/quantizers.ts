// Binarizers for training (methods.md §1-2, ARCHITECTURE.md "Binary values").
//
// Activations: sign with sign(0) = +1 (tf.where(x >= 0, 1, -1), never tf.sign),
// gradient by the clipped straight-through estimator (dy where |x| < 1, else 0).
//
// Weights, per output filter (the last axis of a tfjs kernel; n = all other axes):
//  xnor: W~ = a * s, s = where(w >= 0, +1, -1), a = mean|w|.
//  dabn: W~_i = alpha if w_i > t else beta. The optimal split k* (weights sorted
//        descending, prefix sums S_k, total T) maximises S_k^2/k + (T-S_k)^2/(n-k),
//        1 <= k < n; t is the midpoint of the k*-th and (k*+1)-th sorted weights;
//        alpha, beta are the means of the upper and lower sets.
// Both are written as W~ = beta + (alpha - beta) * m with m the upper-set mask
// (xnor: alpha = a, beta = -a, t = 0), which is what the exporter packs:
// mask bit = 1 (value -1) where m = 0, A = (alpha+beta)/2, B = (alpha-beta)/2.
//
// Gradients to the latent weights: see WeightGrad below. Defaults (measured on
// QuickDraw-30, 10 epochs): xnor 'exact' (XNOR-Net's derivative with the clipped
// STE, 52.7% vs 51.7% with 'authors'); dabn 'authors' (the authors' element-wise
// scaling, 52.5%; the exact set-mean derivative trained far slower, 38.7%).
// Training computes levels and gradients in JS (levelsJS / weightGradJS); the
// tensor-op dabnLevels / xnorLevels are the references the tests compare with.
import * as tf from '@tensorflow/tfjs';

export type Quantizer = 'xnor' | 'dabn';
export const QUANTIZERS: readonly Quantizer[] = ['xnor', 'dabn'];

/** sign with sign(0) = +1 and NaN -> +1 (x >= 0 is false for NaN, so use x < 0). */
export function binarize(x: tf.Tensor): tf.Tensor {
  // Same values as tf.where(x >= 0, 1, -1) (NaN -> +1), without broadcasting the
  // scalars to x's shape (Select needs equal shapes, which costs a Tile on wasm).
  return tf.tidy(() => tf.sub(1, tf.mul(tf.cast(tf.less(x, 0), 'float32'), 2)));
}

/** Sign activation with the clipped straight-through estimator. */
export const signSTE: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: binarize(x),
    // 1{|x| < 1} = step(1 - |x|)
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, tf.step(tf.sub(1, tf.abs(saved[0]))))],
  };
}) as never) as unknown as (x: tf.Tensor) => tf.Tensor;

/** Per-filter binarization levels of a [n, co] matrix (filters are columns). */
export interface Levels {
  /** 1 where the weight is in the upper set (value alpha), else 0; shape [n, co]. */
  mask: tf.Tensor2D;
  alpha: tf.Tensor1D;
  beta: tf.Tensor1D;
  /** Threshold t per filter (xnor: 0). */
  threshold: tf.Tensor1D;
}

/** Optimal-k DABN split for each column of w2 [n, co] (tensor ops; no gradient). */
export function dabnLevels(w2: tf.Tensor2D): Levels {
  return tf.tidy(() => {
    const [n, co] = w2.shape;
    if (n < 2) throw new Error('DABN needs at least 2 weights per filter');
    const wt = tf.transpose(w2) as tf.Tensor2D; // [co, n]
    const sorted = tf.topk(wt, n, true).values as tf.Tensor2D; // descending
    const S = tf.cumsum(sorted, 1); // S[:, k-1] = sum of k largest
    const T = tf.slice(S, [0, n - 1], [co, 1]);
    const Sk = tf.slice(S, [0, 0], [co, n - 1]); // k = 1..n-1
    const k = tf.range(1, n, 1, 'float32').reshape([1, n - 1]);
    const score = tf.add(tf.div(tf.square(Sk), k), tf.div(tf.square(tf.sub(T, Sk)), tf.sub(n, k)));
    const kIdx = tf.argMax(score, 1); // k* - 1
    // (one-hot picks instead of gather with batchDims, which the wasm backend mishandles)
    const upper = tf.sum(tf.mul(sorted, tf.oneHot(kIdx, n)), 1); // k*-th largest
    const lower = tf.sum(tf.mul(sorted, tf.oneHot(tf.add(kIdx, tf.scalar(1, 'int32')), n)), 1); // (k*+1)-th
    const t = tf.mul(tf.add(upper, lower), 0.5) as tf.Tensor1D;
    // m = (w > t) as 1/0; step(v) = v > 0 ? 1 : 0 is a cheap unary op on wasm,
    // where broadcasting comparisons are slow.
    const m = tf.step(tf.sub(wt, t.reshape([co, 1])));
    // Ties at t would leave a set empty; guard the divisions (never hit with real weights).
    const kCount = tf.maximum(tf.sum(m, 1), 1);
    const rest = tf.maximum(tf.sub(n, tf.sum(m, 1)), 1);
    const alpha = tf.div(tf.sum(tf.mul(m, wt), 1), kCount) as tf.Tensor1D;
    const beta = tf.div(tf.sum(tf.mul(tf.sub(1, m), wt), 1), rest) as tf.Tensor1D;
    return { mask: tf.transpose(m) as tf.Tensor2D, alpha, beta, threshold: t };
  });
}

/** XNOR levels for each column of w2 [n, co]: alpha = mean|w|, beta = -alpha, t = 0. */
export function xnorLevels(w2: tf.Tensor2D): Levels {
  return tf.tidy(() => {
    const a = tf.mean(tf.abs(w2), 0) as tf.Tensor1D;
    const mask = tf.sub(1, tf.step(tf.neg(w2))) as tf.Tensor2D; // w >= 0
    return { mask, alpha: a, beta: tf.neg(a) as tf.Tensor1D, threshold: tf.zerosLike(a) as tf.Tensor1D };
  });
}

export function levels(w: tf.Tensor, q: Quantizer): Levels {
  const co = w.shape[w.shape.length - 1];
  const n = w.size / co;
  const L = levelsJS(w.dataSync() as Float32Array, n, co, q);
  return {
    mask: tf.tensor(Float32Array.from(L.mask), w.shape) as unknown as tf.Tensor2D,
    alpha: tf.tensor1d(L.alpha), beta: tf.tensor1d(L.beta), threshold: tf.tensor1d(L.threshold),
  };
}

// ---------------------------------------------------------------------------
// Fast path used in training: the per-filter split, the levels and the weight
// gradient computed in plain JS on the kernel's values (one dataSync per layer and
// step) instead of ~40 tiny tensor ops per layer (topk, cumsum, one-hots ...).
// dabnLevels / xnorLevels above are the tensor-op references; tests check that
// both agree.

/**
 * Weight-gradient treatment (methods.md §2):
 *  'exact'   the derivative of W~ through the levels plus the clipped STE:
 *            xnor: a*1{|w|<1}*g_i + s_i*sum_j(s_j g_j)/n
 *            dabn: ((alpha-beta)/2)*1{|w|<1}*g_i + mean of g over w_i's set
 *  'authors' the authors' element-wise scaling (updateBinaryGradWeight /
 *            updateDualGradWeight in erilyth/DistributionAwareBinarizedNetworks-WACV18):
 *            g_i * (lvl_i*1{|w|<1} + 1/|set(i)|), lvl_i = mean|w| of w_i's set
 *            (xnor: one set of n, lvl = a). Per-layer constant factors of the
 *            original ((1-1/C_in), xnor's *n) are dropped: Adam is invariant to them.
 */
export type WeightGrad = 'exact' | 'authors';
export const WEIGHT_GRADS: readonly WeightGrad[] = ['exact', 'authors'];
/** Each quantizer's weight gradient when a layer does not choose one (the tuned choice, tools/train/recipes.ts). */
export const DEFAULT_WEIGHT_GRAD: Readonly<Record<Quantizer, WeightGrad>> = Object.freeze({ xnor: 'exact', dabn: 'authors' });

export interface LevelsJS {
  /** 1 where w is in the upper set; n*co, same layout as w ([n, co] row-major). */
  mask: Uint8Array;
  alpha: Float32Array;
  beta: Float32Array;
  threshold: Float32Array;
  /** |upper set| per filter */
  k: Int32Array;
}

/** Levels of every filter (column) of w [n, co] row-major, computed in JS. */
export function levelsJS(w: Float32Array, n: number, co: number, q: Quantizer): LevelsJS {
  const mask = new Uint8Array(n * co);
  const alpha = new Float32Array(co), beta = new Float32Array(co), threshold = new Float32Array(co);
  const kArr = new Int32Array(co);
  const col = new Float32Array(n);
  if (q === 'dabn' && n < 2) throw new Error('DABN needs at least 2 weights per filter');
  for (let o = 0; o < co; o++) {
    for (let i = 0; i < n; i++) col[i] = w[i * co + o];
    let t = 0;
    if (q === 'dabn') {
      col.sort(); // ascending; the k largest are col[n-k .. n-1]
      let T = 0;
      for (let i = 0; i < n; i++) T += col[i];
      let S = 0, best = -Infinity, bestK = 1;
      for (let k = 1; k < n; k++) {
        S += col[n - k];
        const score = (S * S) / k + ((T - S) * (T - S)) / (n - k);
        if (score > best) { best = score; bestK = k; }
      }
      t = (col[n - bestK] + col[n - bestK - 1]) / 2;
    }
    let sa = 0, sb = 0, ka = 0;
    for (let i = 0; i < n; i++) {
      const v = w[i * co + o];
      // xnor: w >= 0 (sign(0) = +1); dabn: w > t
      const up = q === 'xnor' ? !(v < 0) : v > t;
      if (up) { mask[i * co + o] = 1; sa += v; ka++; } else sb += v;
    }
    if (q === 'xnor') {
      let a = 0;
      for (let i = 0; i < n; i++) a += Math.abs(w[i * co + o]);
      alpha[o] = a / n; beta[o] = -a / n;
    } else {
      alpha[o] = sa / Math.max(ka, 1); beta[o] = sb / Math.max(n - ka, 1);
    }
    threshold[o] = t; kArr[o] = ka;
  }
  return { mask, alpha, beta, threshold, k: kArr };
}

/** Gradient to the latent weights w [n, co] for upstream g, given the forward levels. */
export function weightGradJS(w: Float32Array, g: Float32Array, n: number, co: number, q: Quantizer, L: LevelsJS, mode: WeightGrad): Float32Array {
  const out = new Float32Array(n * co);
  const { mask, alpha, beta, k } = L;
  for (let o = 0; o < co; o++) {
    const a = alpha[o], b = beta[o], ka = Math.max(k[o], 1), kb = Math.max(n - k[o], 1);
    if (mode === 'authors') {
      let la = a, lb = -b;
      if (q === 'dabn') {
        // mean |w| per set (the authors' L1 norm / count)
        la = 0; lb = 0;
        for (let i = 0; i < n; i++) { const v = w[i * co + o]; if (mask[i * co + o]) la += Math.abs(v); else lb += Math.abs(v); }
        la /= ka; lb /= kb;
      }
      const ia = q === 'xnor' ? 1 / n : 1 / ka, ib = q === 'xnor' ? 1 / n : 1 / kb;
      for (let i = 0; i < n; i++) {
        const j = i * co + o, v = w[j], inside = v < 1 && v > -1;
        out[j] = g[j] * (mask[j] ? (inside ? la : 0) + ia : (inside ? lb : 0) + ib);
      }
    } else {
      const half = (a - b) / 2;
      let ga = 0, gb = 0;
      for (let i = 0; i < n; i++) { const j = i * co + o; if (mask[j]) ga += g[j]; else gb += g[j]; }
      let ca: number, cb: number;
      if (q === 'xnor') { const s = (ga - gb) / n; ca = s; cb = -s; } else { ca = ga / ka; cb = gb / kb; }
      for (let i = 0; i < n; i++) {
        const j = i * co + o, v = w[j], inside = v < 1 && v > -1;
        out[j] = (inside ? half * g[j] : 0) + (mask[j] ? ca : cb);
      }
    }
  }
  return out;
}

function makeQuantizer(q: Quantizer, mode: WeightGrad): (w: tf.Tensor) => tf.Tensor {
  const f = (w: tf.Tensor) => {
    const shape = w.shape;
    const co = shape[shape.length - 1];
    const n = w.size / co;
    const wv = w.dataSync() as Float32Array;
    const L = levelsJS(wv, n, co, q);
    const value = new Float32Array(n * co);
    for (let j = 0; j < value.length; j++) {
      const o = j % co;
      value[j] = L.mask[j] ? L.alpha[o] : L.beta[o];
    }
    return {
      value: tf.tensor(value, shape),
      // The closure keeps the forward's JS arrays (no tensors are saved).
      gradFunc: (dy: tf.Tensor) => [tf.tensor(weightGradJS(wv, dy.dataSync() as Float32Array, n, co, q, L, mode), shape)],
    };
  };
  return tf.customGrad(f as never) as unknown as (w: tf.Tensor) => tf.Tensor;
}

// One differentiable function per (quantizer, weight gradient); built once, they hold no state.
const quantizerFns = Object.fromEntries(QUANTIZERS.map((q) => [q, Object.fromEntries(WEIGHT_GRADS.map((g) => [g, makeQuantizer(q, g)]))])) as
  Record<Quantizer, Record<WeightGrad, (w: tf.Tensor) => tf.Tensor>>;

/** Binarized weights W~ (same shape as w), differentiable with the weight gradient `grad` above. */
export function quantizeWeights(w: tf.Tensor, q: Quantizer, grad: WeightGrad = DEFAULT_WEIGHT_GRAD[q]): tf.Tensor {
  const f = quantizerFns[q]?.[grad];
  if (!f) throw new Error(`unknown quantizer '${q}' or weight gradient '${grad}' (expected ${QUANTIZERS.join(' | ')}, ${WEIGHT_GRADS.join(' | ')})`);
  return f(w);
}

/** Centre over inAxis and clamp to [-1, 1], in JS (same result as centreAndClamp). */
export function centreAndClampJS(w: Float32Array, shape: number[], inAxis: number): Float32Array {
  let pre = 1, post = 1;
  for (let i = 0; i < inAxis; i++) pre *= shape[i];
  for (let i = inAxis + 1; i < shape.length; i++) post *= shape[i];
  const ci = shape[inAxis];
  const out = new Float32Array(w.length);
  const mean = new Float64Array(post);
  for (let p = 0; p < pre; p++) {
    const base = p * ci * post;
    mean.fill(0);
    for (let c = 0; c < ci; c++) for (let o = 0; o < post; o++) mean[o] += w[base + c * post + o];
    for (let o = 0; o < post; o++) mean[o] /= ci;
    for (let c = 0; c < ci; c++) for (let o = 0; o < post; o++) {
      const v = w[base + c * post + o] - mean[o];
      out[base + c * post + o] = v > 1 ? 1 : v < -1 ? -1 : v;
    }
  }
  return out;
}

/**
 * Latent weight treatment applied after every optimizer step (methods.md §2, the
 * authors' loop): centre each filter over the input-channel axis, clamp to [-1, 1].
 * inAxis: 2 for a conv kernel [kh, kw, ci, co], 0 for a dense kernel [in, out].
 */
export function centreAndClamp(w: tf.Tensor, inAxis: number): tf.Tensor {
  return tf.tidy(() => tf.clipByValue(tf.sub(w, tf.mean(w, inAxis, true)), -1, 1));
}

// ---------------------------------------------------------------------------
// Plain-JS references (tests and exporter cross-checks).

/** Brute force over every split k of one filter's weights (sorted descending). */
export function dabnSplitBruteForce(w: ArrayLike<number>): { k: number; alpha: number; beta: number; error: number } {
  const s = Float64Array.from(w).sort().reverse();
  const n = s.length;
  let best = { k: 1, alpha: 0, beta: 0, error: Infinity };
  for (let k = 1; k < n; k++) {
    let a = 0, b = 0;
    for (let i = 0; i < k; i++) a += s[i];
    for (let i = k; i < n; i++) b += s[i];
    a /= k; b /= n - k;
    let err = 0;
    for (let i = 0; i < n; i++) err += (s[i] - (i < k ? a : b)) ** 2;
    if (err < best.error - 1e-12) best = { k, alpha: a, beta: b, error: err };
  }
  return best;
}
