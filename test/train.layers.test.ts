import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinaryConv2D, BinaryDense, SignActivation, samePads } from '../tools/train/layers.js';
import { loadModel, saveModel } from '../tools/train/file-io.js';
import { mulberry32 } from '../sdk/prng.js';

const dir = mkdtempSync(join(tmpdir(), 'bexnet-layers-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
  tf.env().set('IS_TEST', true);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pm1 = (rng: () => number, n: number) => Float32Array.from({ length: n }, () => (rng() < 0.5 ? -1 : 1));

describe('padding geometry and +1 padding', () => {
  it('TensorFlow same-padding puts the extra row bottom/right', () => {
    expect(samePads(8, 3, 2)).toEqual([0, 1]);
    expect(samePads(7, 3, 2)).toEqual([1, 1]);
    expect(samePads(14, 3, 1)).toEqual([1, 1]);
    expect(samePads(6, 4, 1)).toEqual([1, 2]);
  });

  for (const [H, W, k, s] of [[5, 5, 3, 1], [6, 7, 3, 2], [4, 4, 2, 1]] as const) {
    it(`binary conv equals a loop with +1 outside the image (${H}x${W}, k${k}, s${s})`, () => {
      const rng = mulberry32(7 + H + k + s);
      const ci = 3, co = 4;
      const layer = new BinaryConv2D({ filters: co, kernelSize: k, strides: s, padding: 'same', quantizer: 'dabn', seed: 3 });
      const x = tf.tensor4d(pm1(rng, H * W * ci), [1, H, W, ci]);
      const y = (layer.apply(x) as tf.Tensor).arraySync() as number[][][][];
      const wq = layer.binarizedKernel().arraySync() as number[][][][];
      const xa = x.arraySync() as number[][][][];
      const [pt] = samePads(H, k, s), [pl] = samePads(W, k, s);
      const oh = Math.ceil(H / s), ow = Math.ceil(W / s);
      expect([y[0].length, y[0][0].length]).toEqual([oh, ow]);
      for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < co; o++) {
        let acc = 0;
        for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) for (let c = 0; c < ci; c++) {
          const iy = oy * s + ky - pt, ix = ox * s + kx - pl;
          const v = iy < 0 || ix < 0 || iy >= H || ix >= W ? 1 : xa[0][iy][ix][c];
          acc += v * wq[ky][kx][c][o];
        }
        expect(y[0][oy][ox][o]).toBeCloseTo(acc, 4);
      }
    });
  }

  it('the output transform A*sumX + B*dot + C reproduces the layer (dabn and xnor)', () => {
    for (const q of ['dabn', 'xnor'] as const) {
      const rng = mulberry32(11);
      const layer = new BinaryDense({ units: 5, quantizer: q, useBias: true, seed: 9 });
      const x = tf.tensor2d(pm1(rng, 2 * 37), [2, 37]);
      const y = (layer.apply(x) as tf.Tensor).arraySync() as number[][];
      layer.bias!.write(tf.tensor1d([0.1, -0.2, 0.3, 0, 1]));
      const y2 = (layer.apply(x) as tf.Tensor).arraySync() as number[][];
      const e = layer.exportBinary();
      const xa = x.arraySync() as number[][];
      for (let b = 0; b < 2; b++) for (let o = 0; o < 5; o++) {
        let sumX = 0, dot = 0;
        for (let i = 0; i < 37; i++) { sumX += xa[b][i]; dot += xa[b][i] * e.signs[i * 5 + o]; }
        expect(e.A[o] * sumX + e.B[o] * dot + e.C[o]).toBeCloseTo(y2[b][o], 4);
        expect(y2[b][o] - y[b][o]).toBeCloseTo([0.1, -0.2, 0.3, 0, 1][o], 4);
      }
      if (q === 'xnor') expect(Array.from(e.A)).toEqual([0, 0, 0, 0, 0]);
    }
  });
});

describe('serialisation', () => {
  it('a model with binary layers saves to a directory and reloads with identical outputs', async () => {
    const inp = tf.input({ shape: [6, 6, 2] });
    let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(inp) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
    h = new SignActivation({}).apply(h) as tf.SymbolicTensor;
    h = new BinaryConv2D({ filters: 8, kernelSize: 3, quantizer: 'dabn', seed: 2 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
    h = new SignActivation({}).apply(h) as tf.SymbolicTensor;
    h = new BinaryDense({ units: 3, quantizer: 'xnor', useBias: true, seed: 3 }).apply(h) as tf.SymbolicTensor;
    const m = tf.model({ inputs: inp, outputs: h });
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 5);
    const before = (m.predict(x) as tf.Tensor).dataSync();
    await saveModel(m, join(dir, 'm1'));
    const m2 = await loadModel(join(dir, 'm1'));
    const after = (m2.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(after)).toEqual(Array.from(before));
    const l = m2.layers.find((q) => q instanceof BinaryConv2D) as BinaryConv2D;
    expect(l.quantizer).toBe('dabn');
    expect(l.binaryInput).toBe(true);
  });
});

describe('export view', () => {
  it('lists sketchnet blocks as conv -> BN -> [maxpool] -> sign with binary levels', async () => {
    const { sketchNet } = await import('../tools/train/models.js');
    const { exportView } = await import('../tools/train/export-view.js');
    const m = sketchNet({ variant: 'dabn', classes: 7, width: 0.25, seed: 1, blockOrder: 'conv-bn-pool-sign' });
    const v = exportView(m);
    const names = v.map((l) => `${l.name}:${l.className}`);
    const i = names.indexOf('conv2:BinaryConv2D');
    expect(names.slice(i, i + 4)).toEqual(['conv2:BinaryConv2D', 'bn2:BatchNormalization', 'pool2:MaxPooling2D', 'act2:SignActivation']);
    const c2 = v[i];
    expect(c2.binary!.quantizer).toBe('dabn');
    expect(c2.binary!.binaryInput).toBe(true);
    expect(c2.binary!.alpha.length).toBe(16);
    expect(Object.keys(v[i + 1].weights).sort()).toEqual(['beta', 'gamma', 'moving_mean', 'moving_variance']);
    expect(v.at(-2)!.className).toBe('Conv2D'); // float last conv
  });

  it("lists 'bn-sign-conv-pool' blocks as conv -> [ReLU] -> [maxpool] -> BN -> sign", async () => {
    const { sketchNet } = await import('../tools/train/models.js');
    const { exportView } = await import('../tools/train/export-view.js');
    for (const convRelu of [false, true]) {
      const names = exportView(sketchNet({ variant: 'xnor', classes: 7, width: 0.25, seed: 1, convRelu })) // default order
        .map((l) => `${l.name}:${l.className}`);
      const i = names.indexOf('conv2:BinaryConv2D');
      expect(names.slice(i - 2, i)).toEqual(['bn1:BatchNormalization', 'act1:SignActivation']);
      expect(names.slice(i, i + 5)).toEqual(['conv2:BinaryConv2D', ...(convRelu ? ['relu2:ReLU'] : []), 'pool2:MaxPooling2D', 'bn2:BatchNormalization', 'act2:SignActivation', ...(convRelu ? [] : ['conv3:BinaryConv2D'])]);
    }
    // float ignores the block order; an unknown order is an error
    expect(sketchNet({ variant: 'float', classes: 7, width: 0.25, blockOrder: 'bn-sign-conv-pool' }).layers.length)
      .toBe(sketchNet({ variant: 'float', classes: 7, width: 0.25 }).layers.length);
    expect(() => sketchNet({ variant: 'dabn', classes: 7, width: 0.25, blockOrder: 'nope' as never })).toThrow(/blockOrder/);
  });
});
