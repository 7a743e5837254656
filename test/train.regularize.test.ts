import { describe, expect, it } from 'vitest';
import { decayFloatKernels, floatKernels } from '../tools/train/regularize.js';
import { sketchNet } from '../tools/train/models.js';

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
