import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../tools/train/backend.js';
import { sketchNet, resNet } from '../tools/train/models.js';
import { train, evaluate } from '../tools/train/trainer.js';
import { loadQuickdraw } from '../tools/data/quickdraw.js';
import { isBinaryLayer } from '../tools/train/layers.js';

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
      expect(evaluate(m, data)).toBeGreaterThanOrEqual(0);
    }, 30000);
  }

  it('resnet builds and runs for every variant', () => {
    for (const variant of ['float', 'xnor', 'dabn'] as const) {
      const m = resNet({ variant, classes: 5, width: 0.25, seed: 1, lastLayer: variant === 'float' ? 'float' : 'binary' });
      const y = m.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
      expect(y.shape).toEqual([2, 5]);
    }
  });
});
