// End to end for X-Nets: X sketchnets (float, XNOR, DABN; f = 2 and 4) trained a few
// steps, exported, read back with readBxn (XGRF records with the layers' graphs, X ops
// in place of the inner convs) and run by the sdk against tfjs predict, as
// test/e2e.export.test.ts does for the dense nets; plus a chain with X-dense layers
// (a binary one as a 1x1 xbconv2d on flattened bits, a float xdense head).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../tools/train/backend';
import { mobileNet, resNet, sketchNet, type ModelOptions, type Variant } from '../tools/train/models';
import { train } from '../tools/train/trainer';
import { loadQuickdraw, quickdrawCategories } from '../tools/data/quickdraw';
import { exportModel } from '../tools/export/export';
import { ExpanderDense, type ExpanderLayer } from '../tools/train/expander-layers';
import { SignActivation } from '../tools/train/layers';
import { readBxn } from '../sdk/format/index';
import { mulberry32 } from '../sdk/prng';
import { expectSdkAgrees } from './support/agree';

await setupBackend({ quiet: true });
const data = loadQuickdraw({ classes: 6 });
const SAMPLES = 48;
const expectAgrees = (model: tf.LayersModel, bytes: Uint8Array, label: string) => expectSdkAgrees(model, bytes, data.test.x, SAMPLES, data.classes.length, label);

/** sketchnet's inner convs at width w: [C_in, C_out] of conv2..conv5. */
const innerConvs = (width: number) => {
  const ch = (c: number) => Math.max(8, Math.round(c * width));
  return [[ch(32), ch(64)], [ch(64), ch(128)], [ch(128), ch(256)], [ch(256), ch(512)]];
};

/**
 * The XGRF records the exporter writes for X-layers [C_in, C_out] in order: an expander graph
 * per layer (generator 1, balanced, seeds seed, seed + 1, ...) or a grouped one (generator 2,
 * no seed, every layer but the first shuffled); D = C_in / f, groups of 8.
 */
function xgrfRecords(convs: number[][], f: number, kind: 'expander' | 'grouped', seed = 0) {
  return convs.map(([cin, cout], i) => ({
    ...(kind === 'grouped' ? { generator: 2, balanced: false, shuffled: i > 0, seedLo: 0 } : { generator: 1, balanced: true, seedLo: (seed + i) >>> 0 }),
    seedHi: 0, inChannels: cin, outChannels: cout, degree: cin / f, inGroup: 8, outGroup: 8,
  }));
}

describe('X sketchnet: export → XGRF + X ops → sdk agrees with tfjs', () => {
  const cases: { title: string; variant: Variant; width: number; f: 2 | 4; opts?: Partial<ModelOptions>; op: string; ops: string[]; negateGamma?: boolean }[] = [
    { title: 'float f=2', variant: 'float', width: 0.5, f: 2, op: 'xconv2d', ops: ['conv2d', 'maxPool2d'] },
    // the binary blocks stay in bits: BN folded into the xbconv2d threshold, pools on bits
    { title: 'dabn f=2', variant: 'dabn', width: 0.5, f: 2, op: 'xbconv2d', ops: ['maxPool2dBits'] },
    { title: 'xnor f=4', variant: 'xnor', width: 1, f: 4, op: 'xbconv2d', ops: ['maxPool2dBits'] },
    { title: 'dabn f=2 negative BN scales', variant: 'dabn', width: 0.5, f: 2, op: 'xbconv2d', ops: ['maxPool2dBitsFlip'], negateGamma: true },
    { title: 'xnor f=2 conv-bn-pool-sign', variant: 'xnor', width: 0.5, f: 2, opts: { blockOrder: 'conv-bn-pool-sign' }, op: 'xbconv2d', ops: ['maxPool2dBits'] },
    { title: 'dabn f=2 conv ReLU', variant: 'dabn', width: 0.5, f: 2, opts: { convRelu: true }, op: 'xbconv2d', ops: ['maxPool2d', 'packSignsAffine'] },
  ];
  for (const { title, variant, width, f, opts, op, ops, negateGamma } of cases) {
    it(title, async () => {
      const seed = 0x9e3779b9 + f;
      const model = sketchNet({ variant, classes: data.classes.length, width, seed: 3, expander: { f, seed }, ...opts });
      await train(model, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 3, maxSteps: 4, evalEachEpoch: false });
      if (negateGamma) {
        for (const name of ['bn2', 'bn3']) {
          const bn = model.getLayer(name), [gamma, ...rest] = bn.getWeights();
          bn.setWeights([tf.tensor1d(gamma.dataSync().map((v, i) => (i % 2 ? -Math.abs(v) : Math.abs(v)))), ...rest]);
        }
      }
      const { bytes, layers } = exportModel(model, { labels: data.classes });
      const file = readBxn(bytes);
      const ops_ = file.layers.map((l) => l.op);
      // conv1 and the classifier stay dense; the four inner convs are X-layers, one XGRF record each.
      expect(ops_.filter((o) => o === op).length, `${title}: ${ops_}`).toBe(4);
      expect(ops_[0]).toBe('conv2d');
      expect(ops_.at(-1)).toBe('conv2d');
      for (const o of ops_) expect(['bconv2d', 'dense', 'xdense'], `${title}: ${ops_}`).not.toContain(o);
      for (const o of ops) expect(ops_, `${title}`).toContain(o);
      expect(file.expanders).toEqual(xgrfRecords(innerConvs(width), f, 'expander', seed));
      expect(file.layers.filter((l) => l.graph).map((l) => l.graph!.index)).toEqual([0, 1, 2, 3]);
      // The report names the X-layers and their density.
      const x = layers.filter((l) => l.op === op);
      expect(x.map((l) => l.density)).toEqual([1 / f, 1 / f, 1 / f, 1 / f]);
      for (const l of x) expect(l.note).toMatch(new RegExp(`X-layer: each output reads \\d+ of \\d+ input channels \\(density ${1 / f}\\)`));
      expect(layers.filter((l) => l.op !== op).every((l) => l.density === null)).toBe(true);
      await expectAgrees(model, bytes, title);
      model.dispose();
    });
  }

  it('D must be a multiple of 8: f = 8 at width 1 is an error naming conv2', () => {
    expect(() => sketchNet({ variant: 'float', classes: 3, expander: { f: 8, seed: 1 } })).toThrow(/'conv2'.*D 4 must be a multiple of inGroup 8/);
    expect(() => sketchNet({ variant: 'float', classes: 3, expander: { f: 3 as never, seed: 1 } })).toThrow(/expander.f/);
  });

  it("finer graph nodes: 'input-channels' (float) exports and runs in the sdk; 'channels' trains with the same parameters but does not export", async () => {
    const x = sketchNet({ variant: 'float', classes: 3, seed: 2, expander: { f: 4, seed: 1 } });
    const c = sketchNet({ variant: 'float', classes: 3, seed: 2, expander: { f: 4, seed: 1, graphNodes: 'channels' } });
    expect(c.name).toBe('sketchnet_x4c_float');
    expect(c.countParams()).toBe(x.countParams());
    expect((c.getLayer('conv3') as unknown as ExpanderLayer).layerGraph()).toMatchObject({ inGroup: 1, outGroup: 1, degree: 16 });
    expect(() => exportModel(c)).toThrow(/the sdk would refuse this file: layer \d+ \(xconv2d\): graph 0 has outGroup 1; the X kernels run blocks of 8 outputs/);
    // Input channels, blocks of 8 outputs: the float X kernels gather per channel; D = 4 at conv2 (width 0.5), no multiple of 8.
    const i = sketchNet({ variant: 'float', classes: data.classes.length, width: 0.5, seed: 3, expander: { f: 4, seed: 5, graphNodes: 'input-channels' } });
    await train(i, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 3, maxSteps: 4, evalEachEpoch: false });
    const { bytes } = exportModel(i, { labels: data.classes });
    expect(readBxn(bytes).expanders!.map((g) => [g.inGroup, g.outGroup, g.degree])).toEqual(innerConvs(0.5).map(([cin]) => [1, 8, cin / 4]));
    await expectAgrees(i, bytes, 'float f=4 input-channel graph');
    const b = sketchNet({ variant: 'dabn', classes: 3, width: 0.5, seed: 3, expander: { f: 2, seed: 5, graphNodes: 'input-channels' } });
    expect(() => exportModel(b)).toThrow(/the sdk would refuse this file: .*inGroup 1; binary X-convs gather whole bytes/);
    for (const m of [x, c, i, b]) m.dispose();
  });
});

describe('binary X-convs on float inputs (xconv2dBinaryWeights): hybrid layers and a binary-weight X head', () => {
  it('dabn f=4: conv3 and the X head read float inputs; sdk agrees with tfjs', async () => {
    const model = sketchNet({ variant: 'dabn', classes: data.classes.length, width: 1, seed: 6, lastLayer: 'binary', floatInputs: ['conv3', 'conv6'], expander: { f: 4, seed: 11, head: true } });
    await train(model, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 6, maxSteps: 4, evalEachEpoch: false });
    const { bytes } = exportModel(model, { labels: data.classes });
    const file = readBxn(bytes);
    const x = file.layers.filter((l) => l.graph);
    expect(x.map((l) => l.op)).toEqual(['xbconv2d', 'xconv2dBinaryWeights', 'xbconv2d', 'xbconv2d', 'xconv2dBinaryWeights']);
    expect(x.at(-1)!.kh).toBe(1);
    expect(file.expanders.at(-1)).toMatchObject({ inChannels: 512, outChannels: data.classes.length, degree: 128 });
    await expectAgrees(model, bytes, 'dabn f=4 float-input X-convs');
    model.dispose();
  });

  it('an X head needs a binary model with a binary last layer', () => {
    expect(() => sketchNet({ variant: 'dabn', classes: 3, expander: { f: 4, seed: 1, head: true } })).toThrow(/expander.head/);
    expect(() => sketchNet({ variant: 'float', classes: 3, lastLayer: 'binary', expander: { f: 4, seed: 1, head: true } })).toThrow(/expander.head/);
  });

  it('size (issue 9): the binary X-Net (DABN, f=4, binary-weight X head) .bxn is ≥ 50× smaller than the float dense sketch net in tfjs', () => {
    const dense = sketchNet({ variant: 'float', classes: 345, seed: 1 });
    const tfjsBytes = dense.getWeights().reduce((s, w) => s + w.size * 4, 0); // weights.bin: f32
    const xnet = sketchNet({ variant: 'dabn', classes: 345, seed: 1, lastLayer: 'binary', floatInputs: ['conv6'], expander: { f: 4, seed: 1, head: true } });
    const { bytes } = exportModel(xnet, { labels: quickdrawCategories() }); // the real labels are part of the file
    expect(readBxn(bytes).layers.map((l) => l.op), 'the X head').toContain('xconv2dBinaryWeights');
    expect(tfjsBytes / bytes.length, `${tfjsBytes} B / ${bytes.length} B`).toBeGreaterThanOrEqual(50);
    dense.dispose(); xnet.dispose();
  });
});

describe("grouped sketchnet (expander.kind 'grouped'): the baseline of equal parameters exports as generator 2", () => {
  const params = (m: tf.LayersModel) => m.countParams();
  it('same parameters as the X sketchnet for every f (D = C_in / f either way); f = 8 at width 1 with clampDegree', () => {
    for (const [f, width, clampDegree] of [[2, 1, false], [4, 1, false], [8, 2, false], [8, 1, true]] as [2 | 4 | 8, number, boolean][]) {
      const x = sketchNet({ variant: 'dabn', classes: 20, width, seed: 1, expander: { f, seed: 5, clampDegree } });
      const g = sketchNet({ variant: 'dabn', classes: 20, width, seed: 1, expander: { f, seed: 5, kind: 'grouped', clampDegree } });
      expect(params(g), `f=${f}`).toBe(params(x));
      expect(g.name).toBe(`sketchnet_g${f}_dabn`);
      x.dispose(); g.dispose();
    }
    // clampDegree: conv2 (32 inputs) reads 8 at f = 8; the others 1/8.
    const c = sketchNet({ variant: 'float', classes: 3, seed: 1, expander: { f: 8, seed: 1, clampDegree: true, kind: 'grouped' } });
    expect(['conv2', 'conv3', 'conv4', 'conv5'].map((n) => (c.getLayer(n) as ExpanderLayer).layerGraph().degree)).toEqual([8, 8, 16, 32]);
    c.dispose();
  });

  for (const { title, variant, width, f, op } of [
    { title: 'float f=4', variant: 'float' as const, width: 1, f: 4 as const, op: 'xconv2d' },
    { title: 'dabn f=2', variant: 'dabn' as const, width: 0.5, f: 2 as const, op: 'xbconv2d' },
  ]) {
    it(`${title}: conv2 plain, conv3..conv5 shuffled; sdk agrees with tfjs`, async () => {
      const model = sketchNet({ variant, classes: data.classes.length, width, seed: 4, expander: { f, seed: 99, kind: 'grouped' } });
      await train(model, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 4, maxSteps: 4, evalEachEpoch: false });
      const { bytes, layers } = exportModel(model, { labels: data.classes });
      const file = readBxn(bytes);
      expect(file.layers.filter((l) => l.op === op).length).toBe(4);
      expect(file.expanders).toEqual(xgrfRecords(innerConvs(width), f, 'grouped'));
      const notes = layers.filter((l) => l.op === op).map((l) => l.note);
      expect(notes[0]).toMatch(new RegExp(`grouped convolution, ${f} groups, groups 8/8`));
      expect(notes[1]).toMatch(new RegExp(`grouped convolution, ${f} groups, shuffled`));
      await expectAgrees(model, bytes, `grouped ${title}`);
      model.dispose();
    });
  }
});

describe('X-dense layers export: binary as a 1x1 xbconv2d on flattened bits, float as xdense', () => {
  it('conv → pool → BN → sign → flatten → binary ExpanderDense → BN → ReLU → float ExpanderDense', async () => {
    const rand = mulberry32(11);
    const inp = tf.input({ shape: [28, 28, 1] });
    const S = (l: tf.layers.Layer, x: tf.SymbolicTensor) => l.apply(x) as tf.SymbolicTensor;
    const bn = (name: string) => tf.layers.batchNormalization({ name, epsilon: 1e-3 });
    let x = S(tf.layers.maxPooling2d({ poolSize: 4 }), S(tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: 1 }) }), inp));
    x = S(tf.layers.flatten({}), S(new SignActivation({}), S(bn('bn1'), x)));
    x = S(tf.layers.reLU({}), S(bn('bn2'), S(new ExpanderDense({ name: 'xd1', units: 64, divisor: 4, graphSeed: 21, quantizer: 'dabn', seed: 2 }), x)));
    x = S(new ExpanderDense({ name: 'xd2', units: data.classes.length, divisor: 8, graphSeed: 22, useBias: true, seed: 3 }), x);
    const model = tf.model({ inputs: inp, outputs: x });
    for (const name of ['bn1', 'bn2']) {
      const layer = model.getLayer(name), n = layer.getWeights()[0].shape[0];
      const v = (f: () => number) => tf.tensor1d(Float32Array.from({ length: n }, f));
      layer.setWeights([v(() => (rand() < 0.3 ? -1 : 1) * (0.5 + rand())), v(() => rand() - 0.5), v(() => (rand() - 0.5) * (name === 'bn1' ? 0.5 : 8)), v(() => (name === 'bn1' ? 0.1 : 20) + rand())]);
    }
    const { bytes, layers } = exportModel(model, { labels: data.classes });
    const file = readBxn(bytes);
    expect(file.layers.map((l) => l.op)).toEqual(['conv2d', 'maxPool2dBitsFlip', 'flatten', 'xbconv2d', 'xdense']);
    const [xb, xd] = file.layers.slice(3);
    expect([xb.kh, xb.kw, xb.relu]).toEqual([1, 1, true]);
    expect(file.expanders).toEqual([
      { generator: 1, balanced: true, seedLo: 21, seedHi: 0, inChannels: 7 * 7 * 32, outChannels: 64, degree: 7 * 7 * 8, inGroup: 8, outGroup: 8 },
      { generator: 1, balanced: true, seedLo: 22, seedHi: 0, inChannels: 64, outChannels: data.classes.length, degree: 8, inGroup: 8, outGroup: 8 },
    ]);
    expect([xb.graph!.index, xd.graph!.index]).toEqual([0, 1]);
    expect(layers.map((l) => l.density)).toEqual([null, null, null, 0.25, 0.125]);
    await expectAgrees(model, bytes, 'x-dense chain');
    model.dispose();
  });
});

describe('X-ResNet (the authors\' placement): every 3x3 block conv an X-conv; stem, shortcuts and classifier dense', () => {
  // width 1: stage widths 32, 64, 128; the six block convs read 32, 32, 32, 64, 64, 128 channels
  const blockInputs = [32, 32, 32, 64, 64, 128], blockOutputs = [32, 32, 64, 64, 128, 128];
  const cases = [
    { title: 'float f=4, expander', variant: 'float' as const, f: 4 as const, kind: 'expander' as const, op: 'xconv2d' },
    { title: 'dabn f=2, expander, bconv10 on float inputs', variant: 'dabn' as const, f: 2 as const, kind: 'expander' as const, op: 'xbconv2d', floatInputs: ['bconv10'] },
    { title: 'xnor f=4, grouped', variant: 'xnor' as const, f: 4 as const, kind: 'grouped' as const, op: 'xbconv2d' },
  ];
  for (const { title, variant, f, kind, op, floatInputs } of cases) {
    it(`${title}: exports with its residual adds; sdk agrees with tfjs`, async () => {
      const seed = 7;
      const model = resNet({ variant, classes: data.classes.length, seed: 2, expander: { f, seed, kind }, floatInputs });
      expect(model.name).toBe(`resnet_${kind === 'grouped' ? 'g' : 'x'}${f}_${variant}`);
      await train(model, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 2, maxSteps: 3, evalEachEpoch: false });
      const { bytes } = exportModel(model, { labels: data.classes });
      const file = readBxn(bytes);
      const ops = file.layers.map((l) => l.op);
      const xOps = ops.filter((o) => o === op || o === 'xconv2dBinaryWeights');
      expect(xOps.length, `${ops}`).toBe(6);
      expect(ops.filter((o) => o === 'xconv2dBinaryWeights').length).toBe(floatInputs?.length ?? 0);
      // float: one add per stage (a basic block of two convs); binary (Bi-Real): one per conv
      expect(ops.filter((o) => o === 'add').length).toBe(variant === 'float' ? 3 : 6);
      // the stem and the two downsampling shortcuts stay dense convs, the classifier a dense layer
      expect(ops.filter((o) => o === 'conv2d').length, `${ops}`).toBe(3);
      for (const o of ops) expect(['bconv2d', 'conv2dBinaryWeights'], `${ops}`).not.toContain(o);
      expect(file.expanders).toEqual(xgrfRecords(blockInputs.map((cin, i) => [cin, blockOutputs[i]]), f, kind, seed));
      await expectAgrees(model, bytes, title);
      model.dispose();
    });
  }

  it('equal parameters for X and grouped; f = 8 needs clampDegree at width 1 (the first stage reads 32 channels)', () => {
    const x = resNet({ variant: 'float', classes: 20, seed: 1, expander: { f: 4, seed: 1 } });
    const g = resNet({ variant: 'float', classes: 20, seed: 1, expander: { f: 4, seed: 1, kind: 'grouped' } });
    const dense = resNet({ variant: 'float', classes: 20, seed: 1 });
    expect(g.countParams()).toBe(x.countParams());
    // the block convs hold 3·3·Cin·Cout weights dense, a quarter of them as X-convs
    const blockWeights = blockInputs.reduce((s, cin, i) => s + 9 * cin * blockOutputs[i], 0);
    expect(dense.countParams() - x.countParams()).toBe(blockWeights - blockWeights / 4);
    expect(() => resNet({ variant: 'float', classes: 3, expander: { f: 8, seed: 1 } })).toThrow(/D 4 must be a multiple of inGroup 8/);
    const c = resNet({ variant: 'float', classes: 3, expander: { f: 8, seed: 1, clampDegree: true } });
    expect(c.layers.filter((l) => l.getClassName() === 'ExpanderConv2D').map((l) => (l as ExpanderLayer).layerGraph().degree)).toEqual([8, 8, 8, 8, 8, 16]);
    expect(() => resNet({ variant: 'dabn', classes: 3, lastLayer: 'binary', expander: { f: 2, seed: 1, head: true } })).toThrow(/expander.head is sketchnet only/);
    for (const m of [x, g, dense, c]) m.dispose();
  });
});

describe('X-MobileNet (the authors\' placement): the pointwise convs of blocks 2-5 X-convs; stem, depthwise convs and block 1 dense', () => {
  // width 1: pointwise convs pw2..pw5 read 64, 128, 128, 256 channels and write 128, 128, 256, 256
  const pwInputs = [64, 128, 128, 256], pwOutputs = [128, 128, 256, 256];
  const cases = [
    { title: 'dense', f: null, kind: 'expander' as const },
    { title: 'f=4, expander', f: 4 as const, kind: 'expander' as const },
    { title: 'f=2, grouped', f: 2 as const, kind: 'grouped' as const },
  ];
  for (const { title, f, kind } of cases) {
    it(`${title}: trains on the wasm backend (depthwise gradients), exports depthwiseConv2d + X ops; sdk agrees with tfjs`, async () => {
      const model = mobileNet({ variant: 'float', classes: data.classes.length, seed: 5, ...(f ? { expander: { f, seed: 11, kind } } : {}) });
      expect(model.name).toBe(`mobilenet${f ? `_${kind === 'grouped' ? 'g' : 'x'}${f}` : ''}_float`);
      const before = model.getLayer('dw1').getWeights()[0].dataSync().slice();
      await train(model, data, { epochs: 1, batchSize: 32, learningRate: 2e-3, seed: 5, maxSteps: 3, evalEachEpoch: false });
      expect(maxDiff(model.getLayer('dw1').getWeights()[0].dataSync(), before), 'the depthwise kernel trains').toBeGreaterThan(1e-4);
      const { bytes } = exportModel(model, { labels: data.classes });
      const file = readBxn(bytes);
      const ops = file.layers.map((l) => l.op);
      expect(ops.filter((o) => o === 'depthwiseConv2d').length, `${ops}`).toBe(5);
      expect(ops.filter((o) => o === 'xconv2d').length, `${ops}`).toBe(f ? 4 : 0);
      // the stem and pw1 (all five pointwise convs when dense) are conv2d
      expect(ops.filter((o) => o === 'conv2d').length, `${ops}`).toBe(f ? 2 : 6);
      expect(file.expanders).toEqual(f ? xgrfRecords(pwInputs.map((cin, i) => [cin, pwOutputs[i]]), f, kind, 11) : []);
      await expectAgrees(model, bytes, `mobilenet ${title}`);
      model.dispose();
    });
  }

  it('X and grouped have equal parameters, a 1/f share of the pointwise weights; binary variants are refused', () => {
    const x = mobileNet({ variant: 'float', classes: 20, seed: 1, expander: { f: 4, seed: 1 } });
    const g = mobileNet({ variant: 'float', classes: 20, seed: 1, expander: { f: 4, seed: 1, kind: 'grouped' } });
    const dense = mobileNet({ variant: 'float', classes: 20, seed: 1 });
    expect(g.countParams()).toBe(x.countParams());
    const pw = pwInputs.reduce((s, cin, i) => s + cin * pwOutputs[i], 0);
    expect(dense.countParams() - x.countParams()).toBe(pw - pw / 4);
    expect(() => mobileNet({ variant: 'dabn', classes: 3 })).toThrow(/mobilenet: float only/);
    for (const m of [x, g, dense]) m.dispose();
  });
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
