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
// Gradients to the latent weights (the effect of the authors' code):
//  xnor (XNOR-Net's exact derivative with STE): a*1{|w|<1}*g_i + s_i * sum_j(s_j g_j)/n
//  dabn: ((alpha-beta)/2)*1{|w|<1}*g_i + mean of g over w_i's own set (1/k or 1/(n-k)),
//        i.e. the derivative through the set means plus the clipped STE through the
//        mask. With t = 0 and alpha = -beta it has the same STE term as xnor.
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
  return tf.tidy(() => {
    const co = w.shape[w.shape.length - 1];
    const w2 = tf.reshape(w, [-1, co]) as tf.Tensor2D;
    const L = q === 'dabn' ? dabnLevels(w2) : xnorLevels(w2);
    return { ...L, mask: tf.reshape(L.mask, w.shape) as unknown as tf.Tensor2D };
  });
}

function makeQuantizer(q: Quantizer): (w: tf.Tensor) => tf.Tensor {
  const f = (w: tf.Tensor, save: tf.GradSaveFunc) => {
    const shape = w.shape;
    const co = shape[shape.length - 1];
    // Only the value and the saved tensors may outlive the forward pass.
    const [value, w2, mask, alpha, beta] = tf.tidy(() => {
      const w2 = tf.reshape(w, [-1, co]) as tf.Tensor2D;
      const L = q === 'dabn' ? dabnLevels(w2) : xnorLevels(w2);
      const value = tf.reshape(tf.add(L.beta, tf.mul(tf.sub(L.alpha, L.beta), L.mask)), shape);
      return [value, w2, L.mask, L.alpha, L.beta];
    });
    save([w2, mask, alpha, beta]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sw2, m, alpha, beta] = saved;
        const n = sw2.shape[0];
        const g = tf.reshape(dy, sw2.shape);
        const inside = tf.step(tf.sub(1, tf.abs(sw2))); // 1{|w| < 1}
        const ste = tf.mul(tf.mul(g, inside), tf.mul(tf.sub(alpha, beta), 0.5));
        let setTerm: tf.Tensor;
        if (q === 'xnor') {
          const s = tf.sub(tf.mul(m, 2), 1);
          setTerm = tf.mul(s, tf.div(tf.sum(tf.mul(s, g), 0), n));
        } else {
          const k = tf.maximum(tf.sum(m, 0), 1);
          const nk = tf.maximum(tf.sub(n, tf.sum(m, 0)), 1);
          const gP = tf.div(tf.sum(tf.mul(m, g), 0), k);
          const gN = tf.div(tf.sum(tf.mul(tf.sub(1, m), g), 0), nk);
          setTerm = tf.add(tf.mul(m, gP), tf.mul(tf.sub(1, m), gN));
        }
        return [tf.reshape(tf.add(ste, setTerm), shape)];
      },
    };
  };
  return tf.customGrad(f as never) as unknown as (w: tf.Tensor) => tf.Tensor;
}

const quantizerFns: Record<Quantizer, (w: tf.Tensor) => tf.Tensor> = {
  xnor: makeQuantizer('xnor'),
  dabn: makeQuantizer('dabn'),
};

/** Binarized weights W~ (same shape as w), differentiable with the gradients above. */
export function quantizeWeights(w: tf.Tensor, q: Quantizer): tf.Tensor {
  const f = quantizerFns[q];
  if (!f) throw new Error(`unknown quantizer '${q}' (expected xnor | dabn)`);
  return f(w);
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
