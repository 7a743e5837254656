import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { betaSample, decayFloatKernels, dropoutMask, floatKernels, mixupDraw, SeededDropout } from '../tools/train/regularize.js';
import { gatherBatch, type StepConfig } from '../tools/train/step.js';
import { mulberry32 } from '../sdk/prng.js';
import { BASE_SEED } from './support/rng.js';
import { resNet, sketchNet } from '../tools/train/models.js';
import { exportView } from '../tools/train/export-view.js';

describe('weight decay of float kernels', () => {
  it('finds every float conv kernel of a float sketchnet and only the float first/last kernels of a binary one', () => {
    const float = sketchNet({ variant: 'float', classes: 7, seed: 1 });
    const dabn = sketchNet({ variant: 'dabn', classes: 7, seed: 1 });
    const convs = float.layers.filter((l) => l.getClassName() === 'Conv2D').length;
    expect(floatKernels(float).length).toBe(convs);
    expect(convs).toBeGreaterThan(3);
    const names = floatKernels(dabn).map((v) => v.name);
    expect(names.length).toBe(dabn.layers.filter((l) => l.getClassName() === 'Conv2D').length);
    expect(names.length).toBeLessThan(convs);
    for (const v of floatKernels(dabn)) expect(v.name).toMatch(/kernel/);
    float.dispose(); dabn.dispose();
  });

  it('an X sketchnet decays its float X-conv kernels (compact) and not its binary ones', () => {
    const float = sketchNet({ variant: 'float', classes: 7, seed: 1, expander: { f: 4, seed: 1 } });
    const dabn = sketchNet({ variant: 'dabn', classes: 7, seed: 1, expander: { f: 4, seed: 1 } });
    const names = (m: typeof float) => floatKernels(m).map((v) => v.name.split('/')[0]);
    expect(names(float)).toEqual(['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'conv6']);
    expect(floatKernels(float)[1].shape).toEqual([3, 3, 8, 64]); // conv2: D = 32 / 4
    expect(names(dabn)).toEqual(['conv1', 'conv6']);
    float.dispose(); dabn.dispose();
  });

  it('multiplies each kernel by (1 − lr·decay) and leaves other weights alone', () => {
    const model = sketchNet({ variant: 'float', classes: 5, seed: 2 });
    const kernels = floatKernels(model);
    const before = kernels.map((v) => v.dataSync().slice());
    const gammas = model.layers.filter((l) => l.getClassName() === 'BatchNormalization').map((l) => l.getWeights()[0].dataSync().slice());
    decayFloatKernels(kernels, 0.25);
    kernels.forEach((v, i) => {
      const after = v.dataSync();
      for (let j = 0; j < after.length; j += 97) expect(after[j]).toBeCloseTo(before[i][j] * 0.75, 6);
    });
    model.layers.filter((l) => l.getClassName() === 'BatchNormalization').forEach((l, i) => expect(l.getWeights()[0].dataSync()).toEqual(gammas[i]));
    model.dispose();
  });
});

describe('seeded dropout', () => {
  const batch = (idx: number[], epoch = 1, seed = 7) => ({ seed, epoch, idx: Int32Array.from(idx) });

  it('drops each unit with probability rate and scales the kept ones by 1/(1 − rate)', () => {
    for (const rate of [0.1, 0.3, 0.5]) {
      const idx = Array.from({ length: 300 }, (_, i) => 11 * i + 5);
      const m = dropoutMask(batch(idx), 513, rate, 1);
      let zeros = 0, other = 0;
      for (const v of m) {
        if (v === 0) zeros++;
        else if (v !== Math.fround(1 / (1 - rate))) other++;
      }
      expect(other).toBe(0);
      // 153,900 draws: the binomial standard deviation of the fraction is < 0.0013
      expect(Math.abs(zeros / m.length - rate), `rate ${rate}`).toBeLessThan(0.006);
      // units are not dropped together: the fraction per unit varies as a binomial over rows would
      const perUnit = new Array<number>(513).fill(0);
      m.forEach((v, i) => { if (v === 0) perUnit[i % 513] += 1 / idx.length; });
      expect(Math.max(...perUnit) - Math.min(...perUnit)).toBeLessThan(0.25);
    }
  });

  it('a row\'s mask depends on (seed, epoch, image index, salt) only: batches and worker shares agree', () => {
    const units = 64;
    const whole = dropoutMask(batch([40, 3, 17, 99]), units, 0.5, 1);
    const share = dropoutMask(batch([17, 40]), units, 0.5, 1);
    expect(share.subarray(0, units)).toEqual(whole.subarray(2 * units, 3 * units));
    expect(share.subarray(units)).toEqual(whole.subarray(0, units));
    const row = (b: ReturnType<typeof batch>, salt = 1) => Array.from(dropoutMask(b, units, 0.5, salt));
    expect(row(batch([3]))).toEqual(row(batch([3])));
    for (const other of [row(batch([4])), row(batch([3], 2)), row(batch([3], 1, 8)), row(batch([3]), 2)]) expect(other).not.toEqual(row(batch([3])));
  });

  it('the layer masks in training mode (kwargs.dropoutBatch), is the identity otherwise, and refuses a pass with no batch named', () => {
    const layer = new SeededDropout({ rate: 0.5, salt: 4 });
    const x = tf.randomNormal([3, 2, 2, 5], 0, 1, 'float32', 9);
    expect(Array.from((layer.apply(x, { training: false }) as tf.Tensor).dataSync())).toEqual(Array.from(x.dataSync()));
    expect(() => layer.apply(x, { training: true })).toThrow(/dropoutBatch/);
    expect(() => layer.apply(x, { training: true, dropoutBatch: batch([1, 2]) })).toThrow(/2 images, the input has 3 rows/);
    const y = (layer.apply(x, { training: true, dropoutBatch: batch([5, 6, 7]) }) as tf.Tensor).dataSync();
    const mask = dropoutMask(batch([5, 6, 7]), 20, 0.5, 4), xs = x.dataSync();
    for (let i = 0; i < xs.length; i++) expect(y[i]).toBeCloseTo(xs[i] * mask[i], 6);
    expect(mask.some((v) => v === 0) && mask.some((v) => v === 2)).toBe(true);
    expect(() => new SeededDropout({ rate: 1 })).toThrow(/\[0, 1\)/);
    expect(() => new SeededDropout({ rate: -0.1 })).toThrow(/\[0, 1\)/);
  });

  it('sketchnet and resnet put it before a float classifier only; inference and the exported view are unchanged', () => {
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 3);
    for (const build of [sketchNet, resNet]) {
      for (const variant of ['float', 'dabn'] as const) {
        const plain = build({ variant, classes: 6, seed: 5, width: 0.25 }), dropped = build({ variant, classes: 6, seed: 5, width: 0.25, dropout: 0.5 });
        const drops = dropped.layers.filter((l) => l instanceof SeededDropout);
        expect(drops.length, `${build.name} ${variant}`).toBe(1);
        // the same weights (dropout draws no init seed) and the same predictions
        const inference = Array.from((dropped.predict(x) as tf.Tensor).dataSync());
        expect(inference).toEqual(Array.from((plain.predict(x) as tf.Tensor).dataSync()));
        // a training pass reaches the layer through the model: it needs the batch named, and then it drops
        expect(() => dropped.apply(x, { training: true })).toThrow(/dropoutBatch/);
        const trained = Array.from((dropped.apply(x, { training: true, dropoutBatch: batch([0, 1]) }) as tf.Tensor).dataSync());
        const plainTrained = Array.from((plain.apply(x, { training: true }) as tf.Tensor).dataSync());
        expect(trained).not.toEqual(plainTrained);
        // the exporter's view leaves it out and wires the classifier to its input
        const view = exportView(dropped), plainView = exportView(plain);
        expect(view.map((v) => [v.name, v.inbound])).toEqual(plainView.map((v) => [v.name, v.inbound]));
        plain.dispose(); dropped.dispose();
      }
      expect(() => build({ variant: 'dabn', classes: 6, seed: 5, width: 0.25, dropout: 0.5, lastLayer: 'binary' })).toThrow(/binary last layer/);
    }
  });
});

describe('mixup', () => {
  it('λ ~ Beta(α, α): in [0, 1], mean 1/2, variance 1/(4(2α + 1)), for α below and above 1', () => {
    for (const alpha of [0.2, 0.4, 1, 2.5]) {
      const rng = mulberry32(BASE_SEED + Math.round(alpha * 10));
      const n = 40000;
      const xs = Array.from({ length: n }, () => betaSample(alpha, rng));
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...xs)).toBeLessThanOrEqual(1);
      const mean = xs.reduce((a, b) => a + b, 0) / n;
      const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      expect(mean, `α ${alpha}`).toBeCloseTo(0.5, 1.5);
      expect(variance / (1 / (4 * (2 * alpha + 1))), `α ${alpha}`).toBeGreaterThan(0.95);
      expect(variance / (1 / (4 * (2 * alpha + 1))), `α ${alpha}`).toBeLessThan(1.05);
      // at small α most draws sit near 0 or 1 (U-shaped), at large α near 1/2
      const middle = xs.filter((x) => x > 0.25 && x < 0.75).length / n;
      if (alpha < 1) expect(middle).toBeLessThan(0.4); else if (alpha > 1) expect(middle).toBeGreaterThan(0.6);
    }
  });

  it('a batch blends each image with its partner by λ and carries both labels; an image\'s draw does not depend on the batch cut', () => {
    const seed = BASE_SEED % 100000, n = 37, size = 16;
    const rng = mulberry32(seed);
    const split = { x: Float32Array.from({ length: n * size }, () => rng()), y: Int32Array.from({ length: n }, (_, i) => i % 5), n };
    const cfg: StepConfig = { imageShape: [4, 4, 1], classes: 5, augmentation: { rotateDeg: 0, scale: 0, shear: 0, shiftPx: 0, dilate: 0, flip: 0 }, seed, labelSmoothing: 0, weightDecay: 0, mixup: 0.4 };
    const idx = Int32Array.from([3, 30, 7, 7, 12, 0, 36]);
    const batch = gatherBatch(split, cfg, idx, 2, null);
    const { partner, lambda } = mixupDraw(0.4, seed, 2, idx, n);
    expect(new Set(partner).size).toBeGreaterThan(3); // partners spread over the split
    for (let j = 0; j < idx.length; j++) {
      expect(batch.y[j]).toBe(split.y[idx[j]]);
      expect(batch.mix!.y[j]).toBe(split.y[partner[j]]);
      expect(batch.mix!.lambda[j]).toBe(lambda[j]);
      for (let i = 0; i < size; i++)
        expect(batch.x[j * size + i]).toBeCloseTo(lambda[j] * split.x[idx[j] * size + i] + (1 - lambda[j]) * split.x[partner[j] * size + i], 6);
      // the same image alone in a batch (another worker's share) gets the same partner and λ
      const alone = gatherBatch(split, cfg, idx.subarray(j, j + 1), 2, null);
      expect(Array.from(alone.x)).toEqual(Array.from(batch.x.subarray(j * size, (j + 1) * size)));
    }
    // another epoch draws again; no mixup leaves the images and has no second label
    expect(Array.from(mixupDraw(0.4, seed, 3, idx, n).lambda)).not.toEqual(Array.from(lambda));
    const plain = gatherBatch(split, { ...cfg, mixup: 0 }, idx, 2, null);
    expect(plain.mix).toBeNull();
    expect(Array.from(plain.x.subarray(0, size))).toEqual(Array.from(split.x.subarray(3 * size, 4 * size)));
  });
});
