// What bexnet plan measures on a (briefly trained) sketchnet: the candidates, the hybrid
// made by editing the topology (= sketchNet({ floatInputs }) with the same weights; it
// exports and the sdk agrees with tfjs), the input-binarization error at the sign's input
// against an independent tfjs computation, the accuracy mode's x / c inputs, and the
// measured costs (bytes and MACs exact against the exporter and the op registry).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../tools/train/backend';
import { resNet, sketchNet } from '../tools/train/models';
import { train } from '../tools/train/trainer';
import { loadQuickdraw } from '../tools/data/quickdraw';
import { exportModel } from '../tools/export/export';
import {
  architectureHash, calibrationSlices, candidatesOf, fineTunedAccuracy, floatInputsOf, inputErrors, measureBxn, measureCosts, modelFacts, weightsHash,
  freshHybrid, withFloatInputs, withScaledFloatInputs,
} from '../tools/plan/measure';
import { expectSdkAgrees } from './support/agree';

await setupBackend({ quiet: true });
const data = loadQuickdraw({ classes: 6 });
const opts = { variant: 'dabn' as const, classes: data.classes.length, width: 0.25, seed: 5 };
const model = sketchNet(opts);
model.setUserDefinedMetadata({ bexnet: { model: 'sketchnet', variant: 'dabn', classes: data.classes } });
await train(model, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 5, maxSteps: 6, evalEachEpoch: false });
const calib = calibrationSlices(data, 64, 32, 1);

describe('hybrids of a trained model', () => {
  it('candidates: the binary convs fed by a sign (conv6 only when binary)', () => {
    expect(candidatesOf(model)).toEqual(['conv2', 'conv3', 'conv4', 'conv5']);
    expect(candidatesOf(sketchNet({ ...opts, lastLayer: 'binary' }))).toEqual(['conv2', 'conv3', 'conv4', 'conv5', 'conv6']);
    expect(() => candidatesOf(sketchNet({ ...opts, variant: 'float' }))).toThrow(/no binary layer to plan/);
    expect(floatInputsOf(model)).toEqual([]);
  });

  it('withFloatInputs is sketchNet({ floatInputs }) with the same weights; identity hashes', async () => {
    const h = await withFloatInputs(model, ['conv3', 'conv4']);
    const built = sketchNet({ ...opts, floatInputs: ['conv3', 'conv4'] });
    for (const l of built.layers) { const w = model.getLayer(l.name).getWeights(); if (w.length) l.setWeights(w); }
    expect(floatInputsOf(h)).toEqual(['conv3', 'conv4']);
    expect(floatInputsOf(built)).toEqual(['conv3', 'conv4']);
    // act2 feeds conv3, act3 conv4; act1 (conv2) and act4 (conv5) stay signs
    expect(['act1', 'act2', 'act3', 'act4'].map((a) => h.getLayer(a).getClassName())).toEqual(['SignActivation', 'ReLU', 'ReLU', 'SignActivation']);
    const x = tf.tensor4d(calib.calibration.subarray(0, 16 * 784), [16, 28, 28, 1]);
    const a = (h.predict(x) as tf.Tensor).dataSync(), b = (built.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    // same architecture whatever the float inputs, same weights; a different width is another architecture
    expect(architectureHash(h)).toBe(architectureHash(model));
    expect(weightsHash(h)).toBe(weightsHash(model));
    expect(architectureHash(sketchNet({ ...opts, width: 0.5 }))).not.toBe(architectureHash(model));
    expect(modelFacts(h).float).toEqual(['conv3', 'conv4']);
    await expect(withFloatInputs(model, ['conv1'])).rejects.toThrow(/'conv1' is not a candidate/);
    tf.dispose(x); h.dispose(); built.dispose();
  });

  it('a hybrid whose float-input conv feeds a sign directly exports, and the sdk agrees with tfjs', async () => {
    for (const float of [['conv4'], ['conv2', 'conv5']]) {
      const h = await withFloatInputs(model, float);
      const { bytes, layers } = exportModel(h, { labels: data.classes });
      expect(layers.filter((l) => l.op === 'conv2dBinaryWeights').length, float.join()).toBe(float.length);
      await expectSdkAgrees(h, bytes, data.test.x, 24, data.classes.length, `hybrid ${float.join(', ')}`);
      h.dispose();
    }
  });
});

describe('the small ResNet (residual adds) plans too', () => {
  it('candidates: every binary conv, each behind its own sign; a hybrid exports with WIRE and the sdk agrees with tfjs', async () => {
    const rn = resNet({ ...opts, seed: 6 });
    rn.setUserDefinedMetadata({ bexnet: { model: 'resnet', variant: 'dabn', classes: data.classes } });
    await train(rn, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 6, maxSteps: 3, evalEachEpoch: false });
    const names = candidatesOf(rn);
    expect(names).toEqual(rn.layers.filter((l) => l.getClassName() === 'BinaryConv2D').map((l) => l.name));
    expect(names).toHaveLength(6);
    const h = await withFloatInputs(rn, [names[0], names[3]]);
    expect(floatInputsOf(h)).toEqual([names[0], names[3]]);
    const { bytes, layers } = exportModel(h, { labels: data.classes });
    expect(layers.filter((l) => l.op === 'conv2dBinaryWeights').length).toBe(2);
    expect(layers.filter((l) => l.op === 'add').length).toBe(6);
    await expectSdkAgrees(h, bytes, data.test.x, 24, data.classes.length, 'resnet hybrid');
    // from scratch (train --plan --from-scratch): the initial weights resNet({ floatInputs }) builds
    // with the model's seed, not its trained ones
    const fresh = await freshHybrid(rn, [names[0], names[3]]);
    const built = resNet({ ...opts, seed: 6, floatInputs: [names[0], names[3]] });
    expect(floatInputsOf(fresh)).toEqual([names[0], names[3]]);
    let trainedDiffer = 0;
    for (const l of built.layers) {
      const want = l.getWeights(), got = fresh.getLayer(l.name).getWeights(), trained = rn.getLayer(l.name).getWeights();
      expect(got.length, l.name).toBe(want.length);
      got.forEach((w, i) => {
        expect(Array.from(w.dataSync()), `${l.name}[${i}]`).toEqual(Array.from(want[i].dataSync()));
        if (tf.any(tf.notEqual(w, trained[i])).dataSync()[0]) trainedDiffer++;
      });
    }
    expect(trainedDiffer).toBeGreaterThan(10);
    h.dispose(); rn.dispose(); fresh.dispose(); built.dispose();
  });
});

describe('binary X-Nets plan too (HBN on expander layers)', () => {
  it('an X sketchnet\'s binary X-convs are candidates; a hybrid exports xconv2dBinaryWeights and the sdk agrees with tfjs', async () => {
    const xm = sketchNet({ ...opts, width: 0.5, seed: 8, expander: { f: 2, seed: 3 } });
    xm.setUserDefinedMetadata({ bexnet: { model: 'sketchnet', variant: 'dabn', classes: data.classes } });
    await train(xm, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 8, maxSteps: 3, evalEachEpoch: false });
    expect(candidatesOf(xm)).toEqual(['conv2', 'conv3', 'conv4', 'conv5']);
    expect(xm.getLayer('conv3').getClassName()).toBe('ExpanderConv2D');
    const h = await withFloatInputs(xm, ['conv3', 'conv5']);
    expect(floatInputsOf(h)).toEqual(['conv3', 'conv5']);
    const { bytes, layers } = exportModel(h, { labels: data.classes });
    expect(layers.filter((l) => l.op === 'xconv2dBinaryWeights').map((l) => l.from[0])).toEqual(['conv3', 'conv5']);
    expect(layers.filter((l) => l.op === 'xbconv2d').length).toBe(2);
    await expectSdkAgrees(h, bytes, data.test.x, 24, data.classes.length, 'X hybrid');
    // costs: each candidate's binary and float-input X kernels found and timed (xbconv2d, xconv2dBinaryWeights)
    const costs = await measureCosts(xm, ['conv3', 'conv5'], 5);
    for (const n of ['conv3', 'conv5']) {
      const c = costs.layers.get(n)!;
      expect(c.kernelMs.binary, n).toBeGreaterThan(0);
      expect(c.kernelMs.float, n).toBeGreaterThan(0);
      expect(c.added.macs, n).toBe(c.macs);
    }
    // a float X-Net has nothing to plan
    expect(() => candidatesOf(sketchNet({ ...opts, width: 0.5, variant: 'float', expander: { f: 2, seed: 3 } }))).toThrow(/no binary layer to plan/);
    h.dispose(); xm.dispose();
  });
});

describe('input-binarization error at each candidate\'s sign input', () => {
  it('matches an independent tfjs computation on the batch norm output', () => {
    const errors = inputErrors(model, ['conv3', 'conv5'], calib.calibration, 24); // batches of 24: a partial last batch
    // act2 (conv3's sign) reads bn2, act4 (conv5's) reads bn4 in the 'bn-sign-conv-pool' order
    for (const [conv, bnName] of [['conv3', 'bn2'], ['conv5', 'bn4']] as const) {
      const probe = tf.model({ inputs: model.inputs, outputs: model.getLayer(bnName).output as tf.SymbolicTensor });
      const [want, c] = tf.tidy(() => {
        const x = probe.predict(tf.tensor4d(calib.calibration, [64, 28, 28, 1])) as tf.Tensor;
        const c = tf.mean(tf.abs(x));
        const s = tf.where(tf.greaterEqual(x, 0), tf.onesLike(x), tf.onesLike(x).neg());
        return [tf.div(tf.norm(tf.sub(tf.mul(s, c), x)), tf.norm(x)).dataSync()[0], c.dataSync()[0]];
      });
      expect(errors.get(conv)!.error, conv).toBeCloseTo(want, 4);
      expect(errors.get(conv)!.scale, conv).toBeCloseTo(c, 4);
      expect(errors.get(conv)!.error).toBeGreaterThan(0.05);
    }
  });

  it('calibration and validation images come from the training split, disjoint and seeded', () => {
    const a = calibrationSlices(data, 10, 5, 3), b = calibrationSlices(data, 10, 5, 3);
    expect(a.calibration).toEqual(b.calibration);
    const key = (x: Float32Array, i: number) => x.subarray(i * 784, (i + 1) * 784).join();
    const train = new Set(Array.from({ length: data.train.n }, (_, i) => key(data.train.x, i)));
    const test = new Set(Array.from({ length: data.test.n }, (_, i) => key(data.test.x, i)));
    for (let i = 0; i < 10; i++) { expect(train.has(key(a.calibration, i))).toBe(true); expect(test.has(key(a.calibration, i))).toBe(false); }
    const cal = new Set(Array.from({ length: 10 }, (_, i) => key(a.calibration, i)));
    for (let i = 0; i < 5; i++) expect(cal.has(key(a.validation.x, i))).toBe(false);
    expect(() => calibrationSlices(data, data.train.n, 1, 1)).toThrow(/training split has/);
  });

  it('the accuracy mode\'s hybrid feeds x / c to its float-input layers', async () => {
    const errors = inputErrors(model, ['conv3'], calib.calibration);
    const c = errors.get('conv3')!.scale;
    const h = await withScaledFloatInputs(model, ['conv3'], new Map([['conv3', c]]));
    const x = tf.tensor4d(calib.calibration.subarray(0, 8 * 784), [8, 28, 28, 1]);
    const got = (tf.model({ inputs: h.inputs, outputs: h.getLayer('act2').output as tf.SymbolicTensor }).predict(x) as tf.Tensor).dataSync();
    const want = (tf.model({ inputs: model.inputs, outputs: model.getLayer('bn2').output as tf.SymbolicTensor }).predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < want.length; i += 97) expect(got[i]).toBeCloseTo(want[i] / c, 4);
    expect(['conv2', 'conv3', 'conv4'].map((n) => h.getLayer(n).getConfig().binaryInput)).toEqual([true, false, true]);
    tf.dispose(x); h.dispose();
  });
});

describe('the accuracy mode\'s fine-tuned hybrids', () => {
  it('fine-tune a copy: the planned model\'s weights stay as they were, the score is a top-1 on the validation slice', async () => {
    const before = weightsHash(model);
    const s = calibrationSlices(data, 16, 48, 2);
    expect(s.fineTune.n).toBe(data.train.n - 48);
    const acc = await fineTunedAccuracy(model, ['conv4', 'conv5'], data, s.fineTune, s.validation, { epochs: 1, batchSize: 16, learningRate: 1e-3, seed: 1, maxSteps: 2 });
    expect(acc).toBeGreaterThanOrEqual(0);
    expect(acc).toBeLessThanOrEqual(1);
    expect(Number.isInteger(acc * 48)).toBe(true);
    expect(weightsHash(model)).toBe(before);
    expect(floatInputsOf(model)).toEqual([]);
  });
});

describe('measured costs', () => {
  it('bytes are the exported files\', float MACs the op registry\'s (exact); latencies measured', async () => {
    const cands = candidatesOf(model);
    const costs = await measureCosts(model, cands, 10);
    const base = exportModel(model, { name: model.name, labels: data.classes }).bytes;
    expect(costs.base.bytes).toBe(base.length);
    // conv1 (5x5, 14x14x8 from 28x28x1) and conv6 (1x1, 128 -> 6) read floats in the fully binary model
    expect(costs.base.macs).toBe(14 * 14 * 8 * 25 + 128 * 6);
    const macs: Record<string, number> = { conv2: 14 * 14 * 16 * 9 * 8, conv3: 7 * 7 * 32 * 9 * 16, conv4: 64 * 9 * 32, conv5: 128 * 64 };
    for (const n of cands) {
      const l = costs.layers.get(n)!;
      expect(l.macs, n).toBe(macs[n]);
      expect(l.added.macs, n).toBe(macs[n]); // the layer's own MACs move to float inputs, nothing else
      const h = await withFloatInputs(model, [n]);
      expect(l.added.bytes, n).toBe(exportModel(h, { name: model.name, labels: data.classes }).bytes.length - base.length);
      h.dispose();
      expect(l.kernelMs.binary).toBeGreaterThan(0);
      expect(l.kernelMs.float).toBeGreaterThan(0);
      expect(Number.isFinite(l.added.ms)).toBe(true);
    }
    expect(costs.base.ms).toBeGreaterThan(0);
    const m = await measureBxn(base, 5);
    expect([m.bytes, m.macs]).toEqual([costs.base.bytes, costs.base.macs]);
  });
});
