// X-Net training layers (tools/train/expander-layers.ts) against tfjs's dense conv2d /
// matMul with a masked dense kernel that this file builds itself from sdk/expander.ts's
// layerChannelTable: forward, gradients w.r.t. the compact kernel (the dense gradient at
// the edges) and the input, on the cpu backend and on the training backend (wasm, whose
// Gather has no registered gradient kernel of its own), binary and float; then the
// serialization round trip.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../tools/train/backend';
import { ExpanderConv2D, ExpanderDense, type ExpanderLayer } from '../tools/train/expander-layers';
import { constrainLatentWeights, SignActivation, samePads } from '../tools/train/layers';
import { levelsJS, quantizeWeights, weightGradJS, DEFAULT_WEIGHT_GRAD, type Quantizer } from '../tools/train/quantizers';
import { loadModel, saveModel } from '../tools/train/file-io';
import { layerChannelTable, type LayerGraph } from '../sdk/expander';
import { BASE_SEED, plusMinusOne, rng, uniform } from './support/rng';

const training = await setupBackend({ quiet: true });
const backends = [...new Set(['cpu', training.name])];
const dir = mkdtempSync(join(tmpdir(), 'bexnet-xlayers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The graph the layer must use, written out here from FORMAT.md §10 (not read from the layer). */
const graphOf = (cin: number, cout: number, divisor: number, seed: number): LayerGraph =>
  ({ inChannels: cin, outChannels: cout, degree: cin / divisor, inGroup: 8, outGroup: 8, seedLo: seed, seedHi: 0, balanced: true });

/** Compact [taps, D, Cout] → dense [taps, Cin, Cout], zeros off the graph. */
function maskDense(compact: Float32Array, g: LayerGraph, taps: number): Float32Array {
  const ch = layerChannelTable(g), { inChannels: cin, outChannels: cout, degree: d } = g;
  const dense = new Float32Array(taps * cin * cout);
  for (let t = 0; t < taps; t++) for (let o = 0; o < cout; o++) for (let k = 0; k < d; k++)
    dense[(t * cin + ch[o * d + k]) * cout + o] = compact[(t * d + k) * cout + o];
  return dense;
}

/** Dense [taps, Cin, Cout] → compact [taps, D, Cout]: the entries at the graph's edges. */
function atEdges(dense: Float32Array, g: LayerGraph, taps: number): Float32Array {
  const ch = layerChannelTable(g), { inChannels: cin, outChannels: cout, degree: d } = g;
  const out = new Float32Array(taps * d * cout);
  for (let t = 0; t < taps; t++) for (let o = 0; o < cout; o++) for (let k = 0; k < d; k++)
    out[(t * d + k) * cout + o] = dense[(t * cin + ch[o * d + k]) * cout + o];
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, where: string, tol = 1e-4) {
  expect(got.length, where).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  expect(scale, `${where}: reference is all zero`).toBeGreaterThan(0);
  for (let i = 0; i < want.length; i++) if (!(Math.abs(got[i] - want[i]) <= tol * scale)) throw new Error(`${where}: @${i} got ${got[i]}, want ${want[i]}`);
}

interface ConvCase { cin: number; cout: number; f: number; k: number; stride: number; padding: 'same' | 'valid'; h: number; w: number; q: Quantizer | null }
const convCases: ConvCase[] = [
  { cin: 16, cout: 12, f: 2, k: 3, stride: 1, padding: 'same', h: 6, w: 5, q: null },
  { cin: 32, cout: 21, f: 4, k: 3, stride: 2, padding: 'same', h: 7, w: 8, q: null },
  { cin: 64, cout: 16, f: 8, k: 1, stride: 1, padding: 'valid', h: 3, w: 4, q: null },
  { cin: 24, cout: 9, f: 3, k: 5, stride: 1, padding: 'valid', h: 6, w: 7, q: null },
  { cin: 16, cout: 12, f: 2, k: 3, stride: 1, padding: 'same', h: 6, w: 5, q: 'dabn' },
  { cin: 32, cout: 20, f: 4, k: 3, stride: 2, padding: 'same', h: 7, w: 6, q: 'xnor' },
  { cin: 32, cout: 8, f: 2, k: 3, stride: 1, padding: 'valid', h: 5, w: 5, q: 'dabn' },
];

/** The reference conv; a ±1 input is padded with +1 as the binary layers do, then a valid conv. */
function refConv(x: tf.Tensor, w: tf.Tensor, cs: ConvCase): tf.Tensor {
  if (cs.q && cs.padding === 'same') {
    const pads = [[0, 0], samePads(cs.h, cs.k, cs.stride), samePads(cs.w, cs.k, cs.stride), [0, 0]] as [number, number][];
    return tf.conv2d(tf.pad(x as tf.Tensor4D, pads, 1), w as tf.Tensor4D, cs.stride, 'valid');
  }
  return tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, cs.stride, cs.padding);
}

for (const backend of backends) {
  describe(`X-layers on ${backend}`, () => {
    for (const [i, cs] of convCases.entries()) {
      const seed = BASE_SEED + 300 + i, graphSeed = 1000 + 77 * i;
      const name = `ExpanderConv2D ${cs.q ?? 'float'} C=${cs.cin}→${cs.cout} f=${cs.f} k=${cs.k} s=${cs.stride} ${cs.padding} seed=${seed}`;
      it(`${name}: forward = conv2d with the masked dense kernel; gradients = dense gradients at the edges`, async () => {
        await tf.setBackend(backend);
        const rand = rng(seed);
        const layer = new ExpanderConv2D({ filters: cs.cout, kernelSize: cs.k, strides: cs.stride, padding: cs.padding, divisor: cs.f, graphSeed, quantizer: cs.q, useBias: true });
        layer.build([null, cs.h, cs.w, cs.cin]);
        const g = graphOf(cs.cin, cs.cout, cs.f, graphSeed), taps = cs.k * cs.k, d = cs.cin / cs.f;
        expect(layer.layerGraph()).toEqual(g);
        expect(layer.kernel!.shape).toEqual([cs.k, cs.k, d, cs.cout]); // compact, never the dense masked kernel
        const compact = uniform(rand, taps * d * cs.cout), bias = uniform(rand, cs.cout);
        layer.setWeights([tf.tensor4d(compact, [cs.k, cs.k, d, cs.cout]), tf.tensor1d(bias)]);
        const n = 2, xv = cs.q ? plusMinusOne(rand, n * cs.h * cs.w * cs.cin) : uniform(rand, n * cs.h * cs.w * cs.cin);
        const x = tf.tensor4d(xv, [n, cs.h, cs.w, cs.cin]);
        // The weights the conv sees: the compact kernel, binarized per filter over its kh·kw·D weights when binary.
        const used = cs.q ? (quantizeWeights(tf.tensor(compact, layer.kernel!.shape as number[]), cs.q).dataSync() as Float32Array) : compact;
        const dense = maskDense(used, g, taps);
        const y = layer.apply(x) as tf.Tensor;
        const want = tf.add(refConv(x, tf.tensor4d(dense, [cs.k, cs.k, cs.cin, cs.cout]), cs), tf.tensor1d(bias));
        expect(y.shape).toEqual(want.shape);
        expectClose(y.dataSync(), want.dataSync(), `${name} forward`);

        // Gradients of Σ y·r: w.r.t. the compact latent kernel and the input.
        const r = tf.tensor(uniform(rand, y.size), y.shape);
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, r)) as tf.Scalar, [layer.kernel!.read() as tf.Variable]);
        const gCompact = grads[(layer.kernel!.read() as tf.Variable).name].dataSync() as Float32Array;
        const wDense = tf.tensor4d(dense, [cs.k, cs.k, cs.cin, cs.cout]);
        const gW = tf.grad((wd: tf.Tensor) => tf.sum(tf.mul(refConv(x, wd, cs), r)))(wDense).dataSync() as Float32Array;
        const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(refConv(xx, wDense, cs), r)))(x).dataSync();
        let want2 = atEdges(gW, g, taps);
        if (cs.q) {
          // Through the quantizer: its latent-weight gradient of the gathered one.
          const L = levelsJS(compact, taps * d, cs.cout, cs.q);
          want2 = weightGradJS(compact, want2, taps * d, cs.cout, cs.q, L, DEFAULT_WEIGHT_GRAD[cs.q]);
        }
        expectClose(gCompact, want2, `${name} dL/dcompact`);
        const gxLayer = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx) as tf.Tensor, r)))(x).dataSync();
        expectClose(gxLayer, gx, `${name} dL/dx`);
      });
    }

    for (const [i, [kIn, units, f, q]] of ([[64, 10, 4, null], [128, 33, 8, null], [48, 7, 2, 'xnor'], [64, 16, 4, 'dabn']] as const).entries()) {
      const seed = BASE_SEED + 400 + i, graphSeed = 0xfffffff0 + i;
      const name = `ExpanderDense ${q ?? 'float'} K=${kIn}→${units} f=${f} seed=${seed}`;
      it(`${name}: forward = matMul with the masked dense kernel; gradient = dense gradient at the edges`, async () => {
        await tf.setBackend(backend);
        const rand = rng(seed);
        const layer = new ExpanderDense({ units, divisor: f, graphSeed, quantizer: q, useBias: true });
        layer.build([null, kIn]);
        const g = graphOf(kIn, units, f, graphSeed), d = kIn / f;
        expect(layer.kernel!.shape).toEqual([d, units]);
        const compact = uniform(rand, d * units), bias = uniform(rand, units);
        layer.setWeights([tf.tensor2d(compact, [d, units]), tf.tensor1d(bias)]);
        const x = tf.tensor2d(q ? plusMinusOne(rand, 3 * kIn) : uniform(rand, 3 * kIn), [3, kIn]);
        const used = q ? (quantizeWeights(tf.tensor2d(compact, [d, units]), q).dataSync() as Float32Array) : compact;
        const wDense = tf.tensor2d(maskDense(used, g, 1), [kIn, units]);
        const y = layer.apply(x) as tf.Tensor;
        expectClose(y.dataSync(), tf.add(tf.matMul(x, wDense), tf.tensor1d(bias)).dataSync(), `${name} forward`);
        const r = tf.tensor(uniform(rand, y.size), y.shape);
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, r)) as tf.Scalar, [layer.kernel!.read() as tf.Variable]);
        let want = atEdges(tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, w as tf.Tensor2D), r)))(wDense).dataSync() as Float32Array, g, 1);
        if (q) want = weightGradJS(compact, want, d, units, q, levelsJS(compact, d, units, q), DEFAULT_WEIGHT_GRAD[q]);
        expectClose(grads[(layer.kernel!.read() as tf.Variable).name].dataSync(), want, `${name} dL/dcompact`);
      });
    }
  });
}

describe('X-layer configuration', () => {
  it('D = C_in / divisor must be a multiple of 8 (whole bytes of bits); the error names the layer', () => {
    const l = new ExpanderConv2D({ name: 'xc', filters: 8, kernelSize: 3, divisor: 4, graphSeed: 1 });
    expect(() => l.build([null, 5, 5, 16])).toThrow(/'xc'.*D 4 must be a multiple of inGroup 8/);
    expect(() => new ExpanderDense({ units: 4, divisor: 2, graphSeed: -1 })).toThrow(/graphSeed/);
    expect(() => new ExpanderDense({ units: 4, divisor: 0.5, graphSeed: 1 })).toThrow(/divisor/);
  });

  it("graphNodes: 'channels' gives every output its own D distinct inputs, 'input-channels' every block of 8; kept in the config; expander only", async () => {
    await tf.setBackend('cpu');
    const inputSets = (graphNodes: 'channels' | 'input-channels') => {
      const l = new ExpanderConv2D({ name: 'xc1', filters: 24, kernelSize: 3, divisor: 4, graphSeed: 7, graphNodes });
      l.build([null, 5, 5, 20]); // D = 5: no multiple of 8 needed
      const [inGroup, outGroup] = graphNodes === 'channels' ? [1, 1] : [1, 8];
      expect(l.layerGraph()).toEqual({ inChannels: 20, outChannels: 24, degree: 5, inGroup, outGroup, seedLo: 7, seedHi: 0, balanced: true });
      expect(l.kernel!.shape).toEqual([3, 3, 5, 24]);
      expect(l.getConfig().graphNodes).toBe(graphNodes);
      const again = new ExpanderConv2D(l.getConfig() as never);
      again.build([null, 5, 5, 20]);
      expect(again.layerGraph()).toEqual(l.layerGraph());
      const k = l.maskedKernel().dataSync(), sets: string[] = [];
      for (let o = 0; o < 24; o++) {
        const ins: number[] = [];
        for (let c = 0; c < 20; c++) if (k[(4 * 20 + c) * 24 + o] !== 0) ins.push(c); // centre tap
        expect(ins.length, `output ${o}`).toBe(5);
        sets.push(ins.join(','));
      }
      return sets;
    };
    const channels = inputSets('channels'), blocks = inputSets('input-channels');
    // Per channel, outputs of one block of 8 read different inputs; per input channel, a block shares one set.
    expect(new Set(channels.slice(0, 8)).size).toBeGreaterThan(1);
    for (let b = 0; b < 3; b++) expect(new Set(blocks.slice(8 * b, 8 * b + 8)).size).toBe(1);
    expect(new Set(blocks).size).toBeGreaterThan(1);
    expect(new ExpanderConv2D({ filters: 8, kernelSize: 3, divisor: 2, graphSeed: 1 }).getConfig()).not.toHaveProperty('graphNodes');
    expect(() => new ExpanderDense({ units: 4, divisor: 2, graphKind: 'grouped', graphNodes: 'channels' })).toThrow(/graphNodes is for graphKind 'expander' only/);
    expect(() => new ExpanderDense({ units: 4, divisor: 2, graphSeed: 1, graphNodes: 'pixels' as never })).toThrow(/graphNodes must be groups \| input-channels \| channels, got 'pixels'/);
  });

  it('another graph seed is another graph (the seed reaches the generator)', async () => {
    await tf.setBackend('cpu');
    const kernelOf = (graphSeed: number) => {
      const l = new ExpanderDense({ units: 16, divisor: 4, graphSeed, kernelInitializer: 'glorotUniform', seed: 5 });
      l.build([null, 64]);
      const k = l.maskedKernel().dataSync();
      return Array.from(k, (v) => (v === 0 ? 0 : 1));
    };
    expect(kernelOf(1)).toEqual(kernelOf(1));
    expect(kernelOf(1)).not.toEqual(kernelOf(2));
    expect(kernelOf(1).reduce((a: number, b) => a + b, 0)).toBe(16 * 16); // D = 16 edges per output
  });

  it("graphKind 'grouped': generator 2, no seed; its masked kernel is block-diagonal, or strided when shuffled", async () => {
    await tf.setBackend('cpu');
    const edges = (shuffle: boolean) => {
      const l = new ExpanderDense({ units: 32, divisor: 4, graphKind: 'grouped', shuffle, seed: 5 });
      l.build([null, 64]);
      expect(l.layerGraph()).toEqual({ inChannels: 64, outChannels: 32, degree: 16, inGroup: 8, outGroup: 8, seedLo: 0, seedHi: 0, balanced: false, generator: 2, shuffled: shuffle });
      expect(l.getWeights()[0].shape).toEqual([16, 32]); // the same compact kernel as an expander layer's
      const k = l.maskedKernel().dataSync(), inputsOf: number[][] = Array.from({ length: 32 }, () => []);
      for (let c = 0; c < 64; c++) for (let o = 0; o < 32; o++) if (k[c * 32 + o] !== 0) inputsOf[o].push(c >> 3);
      return inputsOf.map((gs) => [...new Set(gs)]);
    };
    // 8 input groups, 4 blocks, d = 2: G = 4, one block per group.
    const plain = edges(false), shuffled = edges(true);
    for (let o = 0; o < 32; o++) {
      const g = o >> 3;
      expect(plain[o]).toEqual([2 * g, 2 * g + 1]);
      expect(shuffled[o]).toEqual([g, g + 4]);
    }
    expect(() => new ExpanderDense({ units: 4, divisor: 2, graphKind: 'grouped', graphSeed: 3 })).toThrow(/no graph seed/);
    expect(() => new ExpanderDense({ units: 4, divisor: 2, graphSeed: 3, shuffle: true })).toThrow(/shuffle is for graphKind 'grouped'/);
    expect(() => new ExpanderDense({ units: 4, divisor: 2 })).toThrow(/graphSeed/);
    expect(() => new ExpanderDense({ units: 4, divisor: 2, graphKind: 'random' as never })).toThrow(/graphKind/);
    const odd = new ExpanderDense({ name: 'odd', units: 24, divisor: 4, graphKind: 'grouped' });
    expect(() => odd.build([null, 64])).toThrow(/'odd'.*3 output blocks do not split evenly over 4 groups/);
  });

  it('constrainLatentWeights centres each binary X filter over its D inputs and clamps; float X-layers are untouched', async () => {
    await tf.setBackend('cpu');
    const inp = tf.input({ shape: [4, 4, 16] });
    const xb = new ExpanderConv2D({ filters: 16, kernelSize: 3, divisor: 2, graphSeed: 3, quantizer: 'dabn', seed: 1 });
    const xf = new ExpanderConv2D({ filters: 8, kernelSize: 1, divisor: 2, graphSeed: 4, seed: 2 });
    const m = tf.model({ inputs: inp, outputs: xf.apply(xb.apply(inp)) as tf.SymbolicTensor });
    const big = (l: ExpanderLayer) => l.setWeights([tf.mul(l.getWeights()[0], 7).add(0.5)]);
    big(xb); big(xf);
    const before = xf.getWeights()[0].dataSync().slice();
    constrainLatentWeights(m);
    const w = xb.getWeights()[0].arraySync() as number[][][][];
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) for (let o = 0; o < 16; o++) {
      const col = w[ky][kx].map((r) => r[o]);
      for (const v of col) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    }
    expect(Math.max(...(xb.getWeights()[0].dataSync() as Float32Array).map(Math.abs))).toBe(1); // something was clamped
    expect(Array.from(xf.getWeights()[0].dataSync())).toEqual(Array.from(before));
  });
});

describe('X-layer serialization', () => {
  it('a model with float and binary X-layers saves and reloads with the same graph seeds, compact weights and outputs', async () => {
    await tf.setBackend('cpu');
    const inp = tf.input({ shape: [6, 6, 16] });
    let h = new ExpanderConv2D({ name: 'xf', filters: 16, kernelSize: 3, divisor: 2, graphSeed: 0xdeadbeef, useBias: true, kernelInitializer: 'heNormal', seed: 1 }).apply(inp) as tf.SymbolicTensor;
    h = new SignActivation({}).apply(h) as tf.SymbolicTensor;
    h = new ExpanderConv2D({ name: 'xb', filters: 24, kernelSize: 3, strides: 2, divisor: 2, graphSeed: 7, quantizer: 'xnor', weightGrad: 'authors', seed: 2 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
    h = new ExpanderDense({ name: 'xd', units: 5, divisor: 3, graphSeed: 9, useBias: true, seed: 3 }).apply(h) as tf.SymbolicTensor;
    const hg = new ExpanderConv2D({ name: 'xg', filters: 16, kernelSize: 1, divisor: 2, graphKind: 'grouped', shuffle: true, seed: 4 }).apply(inp) as tf.SymbolicTensor;
    const m = tf.model({ inputs: inp, outputs: [h, tf.layers.flatten().apply(hg) as tf.SymbolicTensor] });
    // A non-zero bias, so the round trip of every weight shows in the outputs.
    m.getLayer('xd').setWeights([m.getLayer('xd').getWeights()[0], tf.tensor1d([0.5, -1, 0.25, 2, -0.75])]);
    const x = tf.randomNormal([2, 6, 6, 16], 0, 1, 'float32', 5);
    const outputs = (model: tf.LayersModel) => (model.predict(x) as tf.Tensor[]).flatMap((t) => Array.from(t.dataSync()));
    const before = outputs(m);
    expect(Math.max(...Array.from(before, Math.abs))).toBeGreaterThan(0);
    await saveModel(m, join(dir, 'xm'));
    const m2 = await loadModel(join(dir, 'xm'));
    expect(outputs(m2)).toEqual(before);
    expect((m2.getLayer('xg') as ExpanderLayer).layerGraph()).toMatchObject({ generator: 2, shuffled: true, seedLo: 0 });
    expect((m2.getLayer('xg') as ExpanderLayer).graphKind).toBe('grouped');
    for (const name of ['xf', 'xb', 'xd', 'xg']) {
      const a = m.getLayer(name) as ExpanderLayer, b = m2.getLayer(name) as ExpanderLayer;
      expect(b.constructor).toBe(a.constructor);
      expect(b.layerGraph(), name).toEqual(a.layerGraph());
      expect(b.quantizer).toBe(a.quantizer);
      expect(b.weightGrad).toBe(a.weightGrad);
      expect(b.getWeights()[0].shape).toEqual(a.getWeights()[0].shape);
    }
    expect((m2.getLayer('xf') as ExpanderLayer).graphSeed).toBe(0xdeadbeef);
    expect((m2.getLayer('xb') as ExpanderLayer).weightGrad).toBe('authors');
    m.dispose();
    m2.dispose();
  });
});
