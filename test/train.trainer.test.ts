import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../tools/train/backend.js';
import { sketchNet, resNet } from '../tools/train/models.js';
import { train, evaluate } from '../tools/train/trainer.js';
import { loadModel } from '../tools/train/file-io.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_SEED } from './support/rng.js';
import { loadQuickdraw } from '../tools/data/quickdraw.js';
import { isBinaryLayer } from '../tools/train/layers.js';
import { SeededDropout } from '../tools/train/regularize.js';
import { applyGradients, checkStepConfig, makeOptimizer, trainableVariables, updateTarget } from '../tools/train/step.js';

beforeAll(async () => {
  await setupBackend({ quiet: true, prefer: 'wasm' });
  tf.enableProdMode();
});

describe('trainer', () => {
  const data = loadQuickdraw({ classes: 4 });
  for (const variant of ['float', 'xnor', 'dabn'] as const) {
    it(`a tiny ${variant} sketchnet trains a few steps and the loss decreases`, async () => {
      const m = sketchNet({ variant, classes: 4, width: 0.25, seed: 3 });
      const losses: number[] = [];
      await train(m, data, {
        epochs: 4, batchSize: 32, learningRate: 5e-3, schedule: 'constant', seed: 1, evalEachEpoch: false,
        onProgress: (p) => { if (p.phase === 'epoch') losses.push(p.loss); },
      });
      expect(losses.length).toBe(4);
      expect(losses[3]).toBeLessThan(losses[0]);
      // latent weights stay clamped to [-1, 1]
      for (const l of m.layers) if (isBinaryLayer(l)) {
        const w = l.kernel!.read().dataSync();
        expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(1);
      }
      // evaluate() is the fraction of argmax(predict) == label, and training beat chance (1/4)
      expect(evaluate(m, data)).toBeCloseTo(accuracyByHand(m, data.test), 10);
      expect(evaluate(m, data, data.train)).toBeGreaterThan(0.4);
    }, 30000);
  }

  // The schedule changes the rate every step; SGD-type optimizers cache -lr, so a missed
  // update would train the whole run at the first rate.
  for (const [optimizer, expected] of [['adam', [0.9, 0.89]], ['nesterov', [0.81, 0.7829]]] as const) {
    it(`${optimizer}: every step runs at that step's learning rate (two steps of gradient 1 at 0.1, then 0.01)`, () => {
      const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1], useBias: false, kernelInitializer: 'ones' })] });
      const cfg = { imageShape: [1, 1, 1] as [number, number, number], classes: 1, augmentation: { rotateDeg: 0, scale: 0, shear: 0, shiftPx: 0, dilate: 0, flip: 0 }, seed: 1, labelSmoothing: 0, weightDecay: 0, optimizer };
      const [v] = trainableVariables(m);
      const opt = makeOptimizer(cfg, 0.1);
      const seen: number[] = [];
      for (const lr of [0.1, 0.01]) {
        // nesterov: a ← 0.9a + g, w ← w − lr·(g + 0.9a); adam's first steps move w by lr
        applyGradients(updateTarget(m, cfg), opt, { [v.name]: tf.scalar(1).reshape([1, 1]) }, lr);
        seen.push(v.dataSync()[0]);
      }
      expect(seen[0]).toBeCloseTo(expected[0], 5);
      expect(seen[1]).toBeCloseTo(expected[1], 5);
      opt.dispose();
    });
  }

  it('an unknown optimizer is refused before training', () => {
    const cfg = { imageShape: [28, 28, 1] as [number, number, number], classes: 4, augmentation: { rotateDeg: 0, scale: 0, shear: 0, shiftPx: 0, dilate: 0, flip: 0 }, seed: 1, labelSmoothing: 0, weightDecay: 0 };
    expect(() => checkStepConfig({ ...cfg, optimizer: 'sgd' as never })).toThrow(/optimizer must be one of adam, nesterov, got sgd/);
    expect(() => checkStepConfig({ ...cfg, optimizer: 'nesterov' })).not.toThrow();
  });

  it('resnet trains for every variant: the loss on its training images decreases', async () => {
    const small = { ...data, train: subset(data.train, 64) };
    for (const variant of ['float', 'xnor', 'dabn'] as const) {
      const m = resNet({ variant, classes: 4, width: 0.25, seed: 1, lastLayer: variant === 'float' ? 'float' : 'binary' });
      const y = m.predict(tf.tensor4d(small.train.x.subarray(0, 2 * 784), [2, 28, 28, 1])) as tf.Tensor;
      expect(y.shape).toEqual([2, 4]);
      const losses: number[] = [];
      await train(m, small, {
        epochs: 6, batchSize: 16, learningRate: 1e-3, schedule: 'constant', seed: 1, evalEachEpoch: false,
        onProgress: (p) => { if (p.phase === 'epoch') losses.push(p.loss); },
      });
      expect(losses[5], `${variant}: ${losses.map((l) => l.toFixed(3)).join(' ')}`).toBeLessThan(losses[0]);
    }
  }, 60000);

  it('two workers: the same steps as one worker (a model without batch norm, with augmentation, label smoothing, weight decay, mixup and dropout), checkpoints say so', async () => {
    const seed = BASE_SEED % 100000;
    // dropout masks are seeded per image too (a share's rows get the masks one worker gives them)
    const tiny = () => tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), new SeededDropout({ rate: 0.4, salt: 3 }), tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed }) })] }) as unknown as tf.LayersModel;
    // 165 images at batch 41: odd shares (21 + 20) and a short last batch of 1 (one replica gets none)
    const sub = { ...data, train: subset(data.train, 165) };
    const dir = mkdtempSync(join(tmpdir(), 'bexnet-train2-'));
    try {
      const runs = [];
      for (const workers of [1, 2]) {
        const m = tiny();
        const running: number[] = [];
        const r = await train(m, sub, {
          epochs: 2, batchSize: 41, learningRate: 1e-3, seed, workers, checkpointDir: join(dir, String(workers)),
          // each replica augments its share itself: seeded per image, so the shares match one worker's batch
          augmentation: { rotateDeg: 10, scale: 0.1, shear: 0.15, shiftPx: 2, dilate: 0.3, flip: 0.2 }, labelSmoothing: 0.1, weightDecay: 0.05, mixup: 0.4,
          onProgress: (p) => { if (p.phase === 'batch') running.push(p.loss * ((p.batch - 1) * 41 + Math.min(41, sub.train.n - (p.batch - 1) * 41))); },
        });
        // per-step batch losses from the running means
        const perStep = running.map((v, i) => (i % 5 === 0 ? v : v - running[i - 1]) / (i % 5 === 4 ? 1 : 41));
        runs.push({ r, perStep, weights: m.getWeights().map((w) => w.dataSync()) });
      }
      const [one, two] = runs;
      expect(two.r.steps).toBe(10);
      expect(two.perStep.length).toBe(10);
      // Step 1 starts from the same weights: the same loss up to float rounding. Later steps
      // drift a little (Adam turns a rounding-level gradient into a full-size step).
      expect(two.perStep[0]).toBeCloseTo(one.perStep[0], 5);
      for (let i = 0; i < 10; i++) expect(two.perStep[i], `step ${i + 1}`).toBeCloseTo(one.perStep[i], 2);
      // and the same weights (kernel and bias), within a step's worth of learning rate
      for (let i = 0; i < one.weights.length; i++) {
        const maxDiff = Array.from(one.weights[i]).reduce((mx, v, j) => Math.max(mx, Math.abs(v - two.weights[i][j])), 0);
        expect(maxDiff, `weight ${i}`).toBeLessThan(1e-3);
      }
      expect(two.r.testAcc).toBeCloseTo(one.r.testAcc!, 1);
      const saved = await loadModel(join(dir, '2'));
      const meta = (saved.getUserDefinedMetadata() as { bexnet: { epoch: number; workers: number; seed: number; history: unknown[] } }).bexnet;
      expect(meta).toMatchObject({ epoch: 2, workers: 2, seed });
      expect(meta.history.length).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  it('two workers train a binary sketchnet with batch norm: loss decreases, the model gets the trained weights', async () => {
    const m = sketchNet({ variant: 'dabn', classes: 4, width: 0.25, seed: 3 });
    const before = m.getWeights().map((w) => w.dataSync().slice());
    const losses: number[] = [];
    const r = await train(m, data, {
      epochs: 4, batchSize: 32, learningRate: 5e-3, schedule: 'constant', seed: 1, workers: 2,
      onProgress: (p) => { if (p.phase === 'epoch') losses.push(p.loss); },
    });
    expect(losses[3]).toBeLessThan(losses[0]);
    const after = m.getWeights().map((w) => w.dataSync());
    expect(after.every((w, i) => w.some((v, j) => v !== before[i][j]))).toBe(true); // every weight, moving statistics too
    expect(r.testAcc).toBeCloseTo(evaluate(m, data), 10);
    expect(evaluate(m, data, data.train)).toBeGreaterThan(0.4);
  }, 60000);
});

/** Top-1 accuracy computed image by image, independently of evaluate(). */
function accuracyByHand(m: tf.LayersModel, split: { x: Float32Array; y: Int32Array; n: number }): number {
  let correct = 0;
  for (let i = 0; i < split.n; i++) {
    const logits = tf.tidy(() => (m.predict(tf.tensor4d(split.x.subarray(i * 784, (i + 1) * 784), [1, 28, 28, 1])) as tf.Tensor).dataSync());
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
    if (best === split.y[i]) correct++;
  }
  return correct / split.n;
}

/** n images spread evenly over a split (whose images are grouped by class). */
function subset(split: { x: Float32Array; y: Int32Array; n: number }, n: number) {
  const x = new Float32Array(n * 784), y = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const i = Math.floor((j * split.n) / n);
    x.set(split.x.subarray(i * 784, (i + 1) * 784), j * 784);
    y[j] = split.y[i];
  }
  return { x, y, n };
}
