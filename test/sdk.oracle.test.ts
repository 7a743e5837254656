import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBxn, writeBxn, type LayerInput } from '../sdk/format/index.js';
import { packBinaryFilters, packBinaryWeightsByOutput, packFloatFilters } from '../sdk/layout.js';
import type { Padding } from '../sdk/format/spec.js';
import { referenceRun } from './sdk.reference.js';
import { makeRng } from './sdk.helpers.js';

// The reference executor is itself checked against tfjs (an independent oracle),
// so the runtime-vs-reference tests do not rest on one reading of the spec.
beforeAll(async () => { await tf.setBackend('cpu'); });

const rng = makeRng(4242);
const run = (shape: [number, number, number], layers: LayerInput[], x: Float32Array) =>
  referenceRun(readBxn(writeBxn({ metadata: { name: 'o', producer: 't', inputShape: shape, normalization: null, labels: [] }, layers })), x);
const close = (got: Float32Array, want: Float32Array | Int32Array | Uint8Array, what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    if (Math.abs(got[i] - want[i]) > 1e-4 * (1 + Math.abs(want[i]))) expect.fail(`${what}: [${i}] ${got[i]} vs tfjs ${want[i]}`);
};
const cases = [
  { h: 7, w: 5, c: 3, k: 3, stride: 1, padding: 'same' as Padding, n: 9 },
  { h: 8, w: 8, c: 33, k: 3, stride: 2, padding: 'same' as Padding, n: 4 },
  { h: 6, w: 9, c: 2, k: 2, stride: 2, padding: 'valid' as Padding, n: 17 },
  { h: 5, w: 5, c: 40, k: 1, stride: 1, padding: 'valid' as Padding, n: 8 },
];

describe('reference executor vs tfjs', () => {
  for (const cs of cases) {
    const name = JSON.stringify(cs);
    it(`float conv2d, depthwise, pools ${name}`, () => {
      const { h, w, c, k, stride, padding, n } = cs;
      const x = new Float32Array(h * w * c).map(() => rng() * 2 - 1);
      const wt = new Float32Array(k * k * c * n).map(() => rng() * 2 - 1);
      const bias = new Float32Array(n).map(() => rng() - 0.5);
      const x4 = tf.tensor4d(x, [1, h, w, c]);
      const want = tf.relu(tf.add(tf.conv2d(x4, tf.tensor4d(wt, [k, k, c, n]), stride, padding), tf.tensor1d(bias)));
      close(run([h, w, c], [{ op: 'conv2d', kh: k, kw: k, stride, padding, outChannels: n, relu: true,
        weights: packFloatFilters(wt, k * k * c, n), bias }], x), want.dataSync() as Float32Array, `conv2d ${name}`);
      const dw = new Float32Array(k * k * c).map(() => rng() * 2 - 1);
      const dwb = new Float32Array(c).map(() => rng() - 0.5);
      const wantDw = tf.add(tf.depthwiseConv2d(x4, tf.tensor4d(dw, [k, k, c, 1]), stride, padding), tf.tensor1d(dwb));
      close(run([h, w, c], [{ op: 'depthwiseConv2d', kh: k, kw: k, stride, padding, outChannels: c, weights: dw, bias: dwb }], x),
        wantDw.dataSync() as Float32Array, `depthwise ${name}`);
      close(run([h, w, c], [{ op: 'maxPool2d', kh: k, kw: k, stride, padding }], x), tf.maxPool(x4, k, stride, padding).dataSync() as Float32Array, 'maxPool');
      close(run([h, w, c], [{ op: 'avgPool2d', kh: k, kw: k, stride, padding }], x), tf.avgPool(x4, k, stride, padding).dataSync() as Float32Array, 'avgPool');
      const d = Array.from({ length: h * w * c * n }, () => rng() - 0.5);
      const wantDense = tf.matMul(tf.tensor2d(x, [1, h * w * c]), tf.tensor2d(d, [h * w * c, n]));
      close(run([h, w, c], [{ op: 'flatten' }, { op: 'dense', outChannels: n, weights: packFloatFilters(d, h * w * c, n), bias: new Float32Array(n) }], x),
        wantDense.dataSync() as Float32Array, 'dense');
    });

    it(`binary convs: one-padded ±1 conv, Σx and float-input binary weights ${name}`, () => {
      const { h, w, c, k, stride, padding, n } = cs;
      const x = new Float32Array(h * w * c).map(() => rng() * 2 - 1);
      const signs = new Float32Array(k * k * c * n).map(() => (rng() < 0.5 ? -1 : 1));
      const xs = x.map((v) => (v < 0 ? -1 : 1));
      // TF 'same' geometry with +1 padding = pad explicitly with 1, then a valid conv.
      const outH = padding === 'same' ? Math.ceil(h / stride) : Math.floor((h - k) / stride) + 1;
      const outW = padding === 'same' ? Math.ceil(w / stride) : Math.floor((w - k) / stride) + 1;
      const padH = padding === 'same' ? Math.max((outH - 1) * stride + k - h, 0) : 0;
      const padW = padding === 'same' ? Math.max((outW - 1) * stride + k - w, 0) : 0;
      const padded = tf.pad(tf.tensor4d(xs, [1, h, w, c]), [[0, 0], [padH >> 1, padH - (padH >> 1)], [padW >> 1, padW - (padW >> 1)], [0, 0]], 1);
      const dot = tf.conv2d(padded as tf.Tensor4D, tf.tensor4d(signs, [k, k, c, n]), stride, 'valid');
      const sumX = tf.conv2d(padded as tf.Tensor4D, tf.ones([k, k, c, n]) as tf.Tensor4D, stride, 'valid');
      // y = 0.25·Σx + 0.5·dot − 1 through the transform.
      const A = 0.25, B = 0.5, C0 = -1;
      const tr = new Float32Array(3 * n);
      tr.fill(A, 0, n); tr.fill(B, n, 2 * n); tr.fill(C0, 2 * n);
      const want = tf.add(tf.add(tf.mul(sumX, A), tf.mul(dot, B)), C0);
      close(run([h, w, c], [{ op: 'packSigns' }, { op: 'bconv2d', kh: k, kw: k, stride, padding, outChannels: n,
        weights: packBinaryFilters(signs, k, k, c, n), transform: tr }], x), want.dataSync() as Float32Array, `bconv2d ${name}`);
      // Float input, zero padding, binary weights: the same transform on float sums.
      const x4 = tf.tensor4d(x, [1, h, w, c]);
      const fdot = tf.conv2d(x4, tf.tensor4d(signs, [k, k, c, n]), stride, padding);
      const fsum = tf.conv2d(x4, tf.ones([k, k, c, n]) as tf.Tensor4D, stride, padding);
      const fwant = tf.add(tf.add(tf.mul(fsum, A), tf.mul(fdot, B)), C0);
      close(run([h, w, c], [{ op: 'conv2dBinaryWeights', kh: k, kw: k, stride, padding, outChannels: n,
        weights: packBinaryWeightsByOutput(signs, k, k, c, n), transform: tr }], x), fwant.dataSync() as Float32Array, `conv2dBinaryWeights ${name}`);
    });
  }
});
