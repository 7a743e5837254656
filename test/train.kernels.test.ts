// The wasm training kernels (tools/train/wasm-kernels.ts) against the pure-JS cpu
// backend on the same data: conv gradients for same/valid, stride 1/2, 1x1 and
// the dense-like valid conv, plus the BatchNorm gradient override.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../tools/train/backend.js';

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

describe('wasm conv gradients equal the cpu backend', () => {
  const cases: [number, number, number, number, number, 'same' | 'valid'][] = [
    // H, W, k, ci->co via (ci, co), stride, pad
    [7, 7, 3, 1, 1, 'same'], [8, 6, 3, 1, 2, 'same'], [9, 9, 3, 1, 2, 'valid'], [6, 6, 1, 1, 1, 'valid'],
    [3, 3, 3, 1, 1, 'valid'], [5, 4, 5, 1, 2, 'same'], [4, 4, 2, 1, 1, 'same'],
  ];
  for (const [H, W, k, , s, pad] of cases) {
    it(`${H}x${W} k${k} s${s} ${pad}`, async () => {
      const xv = Array.from({ length: 2 * H * W * 3 }, (_, i) => Math.sin(i * 1.7));
      const wv = Array.from({ length: k * k * 3 * 5 }, (_, i) => Math.cos(i * 0.9));
      const run = () => {
        const x = tf.tensor4d(xv, [2, H, W, 3]), w = tf.tensor4d(wv, [k, k, 3, 5]);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad)).sum());
        return g([x, w]).map((t) => t.dataSync());
      };
      const [dxW, dwW] = await on('wasm', run);
      const [dxC, dwC] = await on('cpu', run);
      expect(maxAbsDiff(dxW, dxC)).toBeLessThan(1e-3);
      expect(maxAbsDiff(dwW, dwC)).toBeLessThan(1e-3);
      await tf.setBackend('wasm');
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
