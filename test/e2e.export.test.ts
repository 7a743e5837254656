// End to end: train a tiny sketchnet a few steps (float / xnor / dabn), export it
// to .bxn, load it with the sdk (SIMD and scalar kernels) and compare with tfjs
// predict on the same images: identical argmax on every sample, logits within 1e-4
// of the logit range. Binary variants: the default 'bn-sign-conv-pool' block order
// (BN folded into the bconv2d threshold, max-pool on bits; with negative BN scales
// those channels pool by OR), with the conv ReLU (float-output bconv2d -> ReLU ->
// maxPool2d -> BN + sign as one packSignsAffine), the older 'conv-bn-pool-sign'
// order, hybrids, and a VGG-style float stem conv -> pool -> BN -> sign.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../tools/train/backend';
import { resNet, sketchNet, VARIANTS, type ModelOptions } from '../tools/train/models';
import { train } from '../tools/train/trainer';
import { loadQuickdraw } from '../tools/data/quickdraw';
import { exportModel } from '../tools/export/export';
import { readBxn } from '../sdk/format/index';
import { BinaryConv2D, BinaryDense, SignActivation } from '../tools/train/layers';
import { mulberry32 } from '../sdk/prng';
import { expectSdkAgrees } from './support/agree';

await setupBackend({ quiet: true });
const data = loadQuickdraw({ classes: 6 });
const SAMPLES = 48;

describe('export → sdk agrees with tfjs', () => {
  const cases: { title: string; opts: Partial<ModelOptions>; variant: (typeof VARIANTS)[number]; ops?: string[]; absent?: string[]; negateGamma?: boolean }[] = [
    // default block order 'bn-sign-conv-pool' for the binary variants: the BN after each pool folds into
    // the conv's threshold and the pool runs on bits (every scale positive here: no flip)
    ...VARIANTS.map((variant) => ({ title: variant, variant, opts: {}, ops: variant === 'float' ? [] : ['maxPool2dBits'], absent: variant === 'float' ? [] : ['packSignsAffine', 'maxPool2d', 'maxPool2dBitsFlip'] })),
    // some BN scales negative: those channels pool by OR
    ...(['xnor', 'dabn'] as const).map((variant) => ({ title: `${variant} negative BN scales`, variant, opts: {}, ops: ['maxPool2dBitsFlip'], absent: ['maxPool2dBits', 'packSignsAffine'], negateGamma: true })),
    ...(['xnor', 'dabn'] as const).flatMap((variant) => [
      { title: `${variant} conv-bn-pool-sign`, variant, opts: { blockOrder: 'conv-bn-pool-sign' as const }, ops: ['maxPool2dBits'] },
      { title: `${variant} bn-sign-conv-pool + conv ReLU`, variant, opts: { blockOrder: 'bn-sign-conv-pool' as const, convRelu: true }, ops: ['packSignsAffine', 'maxPool2d'] },
    ]),
    // binary weights on float inputs: every binary conv (weights-only), and only conv4-conv5 (a hybrid)
    { title: 'dabn weights-only', variant: 'dabn', opts: { floatInputs: 'all' }, ops: ['conv2dBinaryWeights', 'scaleShift'] },
    { title: 'xnor float inputs to conv4, conv5', variant: 'xnor', opts: { floatInputs: ['conv4', 'conv5'] }, ops: ['conv2dBinaryWeights', 'bconv2d', 'maxPool2dBits', 'scaleShift'] },
    // a float-input layer whose output feeds a binary-input one directly (no pool): conv2dBinaryWeights, then packSigns
    { title: 'dabn float inputs to conv4 only', variant: 'dabn', opts: { floatInputs: ['conv4'] }, ops: ['conv2dBinaryWeights', 'packSigns', 'bconv2d'] },
    { title: 'xnor float inputs to conv2, conv5', variant: 'xnor', opts: { floatInputs: ['conv2', 'conv5'] }, ops: ['conv2dBinaryWeights', 'bconv2d', 'packSignsAffine'] },
    { title: 'dabn last layer binary weights on float inputs', variant: 'dabn', opts: { lastLayer: 'binary', floatInputs: ['conv6'] }, ops: ['conv2dBinaryWeights', 'bconv2d'] },
    { title: 'xnor binary last layer', variant: 'xnor', opts: { lastLayer: 'binary' }, ops: ['bconv2d'] },
  ];
  it('floatInputs names only binary sketchnet convs', () => {
    expect(() => sketchNet({ variant: 'dabn', classes: 3, floatInputs: ['conv1'] })).toThrow(/'conv1' is not a binary sketchnet conv/);
  });
  for (const { title, variant, opts, ops, absent, negateGamma } of cases) {
    it(`sketchnet ${title}`, async () => {
      const model = sketchNet({ variant, classes: data.classes.length, width: 0.25, seed: 3, ...opts });
      await train(model, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 3, maxSteps: 4, evalEachEpoch: false });
      if (negateGamma) {
        // Every other channel of the BNs after the pools gets a negative scale (γ < 0).
        for (const name of ['bn2', 'bn3']) {
          const bn = model.getLayer(name), [gamma, ...rest] = bn.getWeights();
          const g = gamma.dataSync().map((v, i) => (i % 2 ? -Math.abs(v) : Math.abs(v)));
          bn.setWeights([tf.tensor1d(g), ...rest]);
        }
      }
      const { bytes, layers } = exportModel(model, { labels: data.classes });
      expect(layers.length).toBeGreaterThan(4);
      for (const op of ops ?? []) expect(layers.map((l) => l.op), `${title}: exported ops`).toContain(op);
      for (const op of absent ?? []) expect(layers.map((l) => l.op), `${title}: exported ops`).not.toContain(op);
      await expectAgrees(model, bytes, variant);
      model.dispose();
    });
  }
});

/** The sdk (SIMD and scalar) on the .bxn vs tfjs predict on the model: same argmax, logits within 1e-4 of the range. */
const expectAgrees = (model: tf.LayersModel, bytes: Uint8Array, variant: string) =>
  expectSdkAgrees(model, bytes, data.test.x, SAMPLES, data.classes.length, variant);

describe('a float first conv -> max-pool -> BN -> sign (a VGG-style stem) pools on bits', () => {
  it('conv2d writes bits with the BN folded, the pools run on bits, channels with negative scales pool by OR', async () => {
    const rand = mulberry32(7);
    const inp = tf.input({ shape: [28, 28, 1] });
    const S = (l: tf.layers.Layer, x: tf.SymbolicTensor) => l.apply(x) as tf.SymbolicTensor;
    const bn = (name: string) => tf.layers.batchNormalization({ name, epsilon: 1e-3 });
    let x = S(tf.layers.maxPooling2d({ poolSize: 2 }), S(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: 1 }) }), inp));
    x = S(new SignActivation({ name: 'sign1' }), S(bn('bn1'), x));
    x = S(tf.layers.maxPooling2d({ poolSize: 2 }), S(new BinaryConv2D({ filters: 40, kernelSize: 3, padding: 'same', quantizer: 'dabn', binaryInput: true, seed: 2 }), x));
    x = S(new SignActivation({ name: 'sign2' }), S(bn('bn2'), x));
    x = S(tf.layers.reLU({}), S(bn('bn3'), S(new BinaryConv2D({ filters: 32, kernelSize: 7, padding: 'valid', quantizer: 'dabn', binaryInput: true, seed: 3 }), x)));
    x = S(tf.layers.flatten({}), S(tf.layers.conv2d({ filters: data.classes.length, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }), x));
    const model = tf.model({ inputs: inp, outputs: x });
    // Batch-norm statistics of both signs of γ (about a third negative), centred on the conv outputs.
    for (const name of ['bn1', 'bn2', 'bn3']) {
      const layer = model.getLayer(name), n = layer.getWeights()[0].shape[0];
      const v = (f: () => number) => tf.tensor1d(Float32Array.from({ length: n }, f));
      layer.setWeights([v(() => (rand() < 0.35 ? -1 : 1) * (0.5 + rand())), v(() => rand() - 0.5), v(() => (rand() - 0.5) * (name === 'bn1' ? 0.5 : 8)), v(() => (name === 'bn1' ? 0.1 : 4) + rand())]);
    }
    const { bytes, layers } = exportModel(model, { labels: data.classes });
    expect(layers.map((l) => l.op)).toEqual(['conv2d', 'maxPool2dBitsFlip', 'bconv2d', 'maxPool2dBitsFlip', 'bconv2d', 'conv2d']);
    await expectAgrees(model, bytes, 'stem');
    model.dispose();
  });
});

describe('dense heads export without window fields (the reader rejects kh/kw/stride on dense ops)', () => {
  it('conv → pool → BN → sign → flatten → BinaryDense (bdense) → BN → ReLU → Dense (dense)', async () => {
    const rand = mulberry32(9);
    const inp = tf.input({ shape: [28, 28, 1] });
    const S = (l: tf.layers.Layer, x: tf.SymbolicTensor) => l.apply(x) as tf.SymbolicTensor;
    const bn = (name: string) => tf.layers.batchNormalization({ name, epsilon: 1e-3 });
    let x = S(tf.layers.maxPooling2d({ poolSize: 4 }), S(tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: 1 }) }), inp));
    x = S(tf.layers.flatten({}), S(new SignActivation({}), S(bn('bn1'), x)));
    x = S(tf.layers.reLU({}), S(bn('bn2'), S(new BinaryDense({ units: 40, quantizer: 'xnor', seed: 2 }), x)));
    x = S(tf.layers.dense({ units: data.classes.length, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }), x);
    const model = tf.model({ inputs: inp, outputs: x });
    for (const name of ['bn1', 'bn2']) {
      const layer = model.getLayer(name), n = layer.getWeights()[0].shape[0];
      const v = (f: () => number) => tf.tensor1d(Float32Array.from({ length: n }, f));
      layer.setWeights([v(() => 0.5 + rand()), v(() => rand() - 0.5), v(() => (rand() - 0.5) * (name === 'bn1' ? 0.5 : 8)), v(() => (name === 'bn1' ? 0.1 : 20) + rand())]);
    }
    const { bytes, layers } = exportModel(model, { labels: data.classes });
    expect(layers.map((l) => l.op)).toEqual(['conv2d', 'maxPool2dBits', 'flatten', 'bdense', 'dense']);
    await expectAgrees(model, bytes, 'dense heads');
    model.dispose();
  });
});

describe('the small ResNet exports with residual adds (WIRE) and runs like tfjs', () => {
  // Float: conv → BN → ReLU blocks, add → ReLU. Binary (Bi-Real): every binary conv has its own
  // shortcut; downsampling shortcuts are avgPool → 1x1 conv → BN; BN folds into the bconv2d transform.
  for (const variant of VARIANTS) {
    it(`resnet ${variant}`, async () => {
      const model = resNet({ variant, classes: data.classes.length, width: 0.25, seed: 5, lastLayer: variant === 'float' ? 'float' : 'binary' });
      await train(model, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 5, maxSteps: 3, evalEachEpoch: false });
      const { bytes } = exportModel(model, { labels: data.classes });
      const file = readBxn(bytes);
      const ops = file.layers.map((l) => l.op);
      expect(file.sections.map((s) => s.type)).toContain('WIRE');
      expect(ops.filter((o) => o === 'add').length, ops.join(',')).toBe(variant === 'float' ? 3 : 6);
      expect(ops).toContain(variant === 'float' ? 'conv2d' : 'bconv2d');
      if (variant !== 'float') expect(ops, ops.join(',')).toEqual(expect.arrayContaining(['avgPool2d', 'packSigns', 'bdense']));
      // Every add reads a value that is not the previous layer's output (the shortcut).
      for (const l of file.layers.filter((x) => x.op === 'add')) expect(l.inputs.some((v) => v !== l.index)).toBe(true);
      await expectSdkAgrees(model, bytes, data.test.x, SAMPLES, data.classes.length, `resnet ${variant}`);
      model.dispose();
    });
  }

  it('resnet dabn WBin (floatInputs all: binary weights on float inputs) and one hybrid layer', async () => {
    const names = resNet({ variant: 'dabn', classes: 3, width: 0.25, seed: 5 }).layers.filter((l) => l.getClassName() === 'BinaryConv2D').map((l) => l.name);
    for (const floatInputs of ['all' as const, [names[2]]]) {
      const model = resNet({ variant: 'dabn', classes: data.classes.length, width: 0.25, seed: 5, floatInputs });
      expect(model.layers.filter((l) => l.getClassName() === 'BinaryConv2D').map((l) => l.name)).toEqual(names); // names do not move
      await train(model, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 5, maxSteps: 3, evalEachEpoch: false });
      const ops = readBxn(exportModel(model, { labels: data.classes }).bytes).layers.map((l) => l.op);
      expect(ops.filter((o) => o === 'conv2dBinaryWeights').length, ops.join()).toBe(floatInputs === 'all' ? 6 : 1);
      expect(ops.filter((o) => o === 'bconv2d').length).toBe(floatInputs === 'all' ? 0 : 5);
      await expectSdkAgrees(model, exportModel(model, { labels: data.classes }).bytes, data.test.x, SAMPLES, data.classes.length, `resnet floatInputs ${floatInputs}`);
      model.dispose();
    }
    expect(() => resNet({ variant: 'dabn', classes: 3, width: 0.25, seed: 5, floatInputs: ['conv9'] })).toThrow(/'conv9' is not a binary resnet conv \(bconv2, /);
  });
});
