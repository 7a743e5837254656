// What the HBN planner measures on a trained model (tfjs + the sdk); the choosing is
// tools/plan/hbn.ts. Candidates are named per model kind (CANDIDATES), so another model
// plugs in by listing its binary layers whose input may be float or ±1.
//
// - hybrids: a model's topology with chosen candidates switched to float inputs (their
//   activation a ReLU instead of a sign, their conv zero-padded) and the same weights,
//   exactly what sketchNet({ floatInputs }) builds, so `bexnet train --plan` fine-tunes it;
// - errors: the input of each candidate's activation (the value the sign binarizes) on
//   calibration images from the training split, e = ‖sign(x)·c − x‖ / ‖x‖ (hbn.ts);
// - costs: the fully binary model and each one-float-input hybrid exported and timed with
//   the sdk in one process, round robin, medians; bytes are the .bxn's, MACs the op
//   registry's; a hybrid's budget is re-measured after export, never only estimated.
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { loadModel as loadBxn, type BexnetModel } from '../../sdk/index.js';
import { OP_BY_NAME } from '../../sdk/ops.js';
import { mulberry32, permutation } from '../../sdk/prng.js';
import type { Dataset, Split } from '../data/dataset.js';
import { train, type TrainOptions } from '../train/trainer.js';
import { exportModel } from '../export/export.js';
import { nodeKernelOptions } from '../node-kernels.js';
import '../train/layers.js';
import { accumulate, binarizationError, emptyStats, type Cost } from './hbn.js';

/** Per model kind: the layers whose input HBN may keep float (binary weights either way). */
export const CANDIDATES: Readonly<Record<string, readonly string[] | 'every binary conv'>> = Object.freeze({
  // conv6 only when the last layer is binary (lastLayer 'binary'); a float conv6 is no candidate.
  sketchnet: ['conv2', 'conv3', 'conv4', 'conv5', 'conv6'],
  // The small ResNet's binary convs (bconvN, numbered as built), each behind its own sign.
  resnet: 'every binary conv',
});

type Json = Record<string, any>;
const topologyOf = (model: tf.LayersModel): Json => JSON.parse(JSON.stringify(model.toJSON(null, false)));
const layerJson = (topo: Json, name: string): Json | undefined => (topo.config.layers as Json[]).find((l) => l.name === name);
const inboundName = (l: Json): string | undefined => (l.inbound_nodes?.length === 1 && l.inbound_nodes[0].length === 1 ? l.inbound_nodes[0][0][0] : undefined);

/** A conv with binary weights: BinaryConv2D, or an X-conv (ExpanderConv2D) with a quantizer (its float input is xconv2dBinaryWeights). */
const isBinaryConv = (l: Json) => l.class_name === 'BinaryConv2D' || (l.class_name === 'ExpanderConv2D' && l.config.quantizer != null);

/** The model kind: the bexnet metadata's `model`, else the name's prefix (sketchnet_dabn → sketchnet). */
export function modelKind(model: tf.LayersModel): string {
  const meta = (model.getUserDefinedMetadata() as { bexnet?: { model?: string } } | undefined)?.bexnet;
  return meta?.model ?? model.name.split('_')[0];
}

/** The model's candidates in model order: named for its kind, binary convs fed by one sign or ReLU. */
export function candidatesOf(model: tf.LayersModel): string[] {
  const kind = modelKind(model);
  const names = CANDIDATES[kind];
  if (!names) throw new Error(`bexnet plan knows no candidate layers for a '${kind}' model (known: ${Object.keys(CANDIDATES).join(', ')})`);
  const topo = topologyOf(model);
  const out: string[] = [];
  const listed = names === 'every binary conv' ? (topo.config.layers as Json[]).filter(isBinaryConv).map((l) => l.name as string) : names;
  for (const n of listed) {
    const l = layerJson(topo, n);
    if (!l || !isBinaryConv(l)) continue;
    const act = layerJson(topo, inboundName(l) ?? '');
    if (!act || !['SignActivation', 'ReLU'].includes(act.class_name)) throw new Error(`candidate '${n}' is not fed by one sign or ReLU activation`);
    out.push(n);
  }
  if (!out.length) throw new Error(`the ${kind} model '${model.name}' has no binary layer to plan (a float model?)`);
  return out;
}

/** The candidates that currently take float inputs. */
export function floatInputsOf(model: tf.LayersModel): string[] {
  const topo = topologyOf(model);
  return candidatesOf(model).filter((n) => layerJson(topo, n)!.config.binary_input === false);
}

/** `float` candidates take float inputs (ReLU, zero padding), all others ±1 (sign, +1 padding); same weights. */
export async function withFloatInputs(model: tf.LayersModel, float: readonly string[]): Promise<tf.LayersModel> {
  const hybrid = await freshHybrid(model, float);
  for (const l of hybrid.layers) {
    const w = model.getLayer(l.name).getWeights();
    if (w.length) l.setWeights(w);
  }
  return hybrid;
}

/**
 * The same hybrid with the initial weights of the model's own initialisers (their seeds are
 * in its topology), not its trained ones: what building the model with these floatInputs
 * gives, so `bexnet train --plan --from-scratch` trains the hybrid as FBin was trained.
 */
export async function freshHybrid(model: tf.LayersModel, float: readonly string[]): Promise<tf.LayersModel> {
  const candidates = candidatesOf(model);
  for (const n of float) if (!candidates.includes(n)) throw new Error(`'${n}' is not a candidate layer (${candidates.join(', ')})`);
  const topo = topologyOf(model);
  for (const n of candidates) {
    const l = layerJson(topo, n)!, act = layerJson(topo, inboundName(l)!)!;
    const f = float.includes(n);
    l.config.binary_input = !f;
    act.class_name = f ? 'ReLU' : 'SignActivation';
    act.config = f ? { name: act.name, trainable: true, dtype: 'float32', max_value: null } : { name: act.name, trainable: true };
  }
  const hybrid = await tf.models.modelFromJSON({ modelTopology: topo });
  const meta = model.getUserDefinedMetadata();
  if (meta) hybrid.setUserDefinedMetadata(meta as object);
  return hybrid;
}

/**
 * The accuracy mode's zero-shot hybrid: `float` candidates read x / c, the value their sign
 * approximated as sign(x)·c (c = mean|x|, from inputErrors), through a linear activation and
 * zero padding; the 1/c is folded into the batch norm feeding the activation (through max
 * pools, which commute with a positive scale). Same weights otherwise; tfjs only (a linear
 * activation does not export: train --plan trains the ReLU form).
 */
export async function withScaledFloatInputs(model: tf.LayersModel, float: readonly string[], scales: ReadonlyMap<string, number>): Promise<tf.LayersModel> {
  const topo = topologyOf(model);
  const bnOf = new Map<string, string>();
  for (const n of candidatesOf(model)) {
    const l = layerJson(topo, n)!, act = layerJson(topo, inboundName(l)!)!;
    const f = float.includes(n);
    l.config.binary_input = !f;
    if (f) {
      act.class_name = 'Activation';
      act.config = { name: act.name, trainable: true, activation: 'linear' };
      let up = layerJson(topo, inboundName(act) ?? '');
      while (up && up.class_name === 'MaxPooling2D') up = layerJson(topo, inboundName(up) ?? '');
      if (!up || up.class_name !== 'BatchNormalization') throw new Error(`'${n}': no batch norm before its activation to fold 1/c into`);
      bnOf.set(up.name, n);
    } else {
      act.class_name = 'SignActivation';
      act.config = { name: act.name, trainable: true };
    }
  }
  const hybrid = await tf.models.modelFromJSON({ modelTopology: topo });
  for (const l of hybrid.layers) {
    let w = model.getLayer(l.name).getWeights();
    const target = bnOf.get(l.name);
    if (target !== undefined) {
      const c = scales.get(target);
      if (!(c! > 0)) throw new Error(`'${target}': no positive scale c`);
      // [gamma, beta, moving_mean, moving_variance] (center and scale on, as the model builders make them)
      if (w.length !== 4) throw new Error(`batch norm '${l.name}' must have gamma and beta`);
      const scaled = [tf.div(w[0], c!), tf.div(w[1], c!)];
      l.setWeights([...scaled, w[2], w[3]]);
      tf.dispose(scaled);
      continue;
    }
    if (w.length) l.setWeights(w);
  }
  return hybrid;
}

const sha256 = (parts: Iterable<Uint8Array | string>) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** sha256 of the topology with every candidate's input made binary and initializer seeds dropped. */
export function architectureHash(model: tf.LayersModel): string {
  const topo = topologyOf(model);
  for (const n of candidatesOf(model)) {
    const l = layerJson(topo, n)!, act = layerJson(topo, inboundName(l)!)!;
    l.config.binary_input = true;
    act.class_name = 'SignActivation';
    act.config = { name: act.name };
  }
  const strip = (v: unknown): unknown => (Array.isArray(v) ? v.map(strip) : v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'seed' && k !== 'trainable').sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, strip(x)]))
    : v);
  return sha256([JSON.stringify(strip(topo.config.layers))]);
}

/** sha256 of every weight, in the model's weight order. */
export function weightsHash(model: tf.LayersModel): string {
  return sha256(model.getWeights().map((w) => new Uint8Array((w.dataSync() as Float32Array).slice().buffer)));
}

/**
 * Calibration (and, after them, validation) images: a seeded shuffle of the training split, never
 * the test split. `fineTune` is the training split without the validation images (the accuracy
 * mode fine-tunes hybrids on it and scores them on `validation`).
 */
export function calibrationSlices(data: Dataset, calibration: number, validation: number, seed: number): { calibration: Float32Array; validation: { x: Float32Array; y: Int32Array }; fineTune: Split } {
  const need = calibration + validation;
  if (need > data.train.n) throw new Error(`${need} calibration + validation images requested, the training split has ${data.train.n}`);
  const perm = permutation(data.train.n, mulberry32(seed));
  const size = data.imageShape[0] * data.imageShape[1] * data.imageShape[2];
  const gather = (from: number, n: number) => {
    const x = new Float32Array(n * size);
    for (let i = 0; i < n; i++) x.set(data.train.x.subarray(perm[from + i] * size, (perm[from + i] + 1) * size), i * size);
    return x;
  };
  const held = new Set(Array.from(perm.subarray(calibration, need)));
  const keep = Array.from({ length: data.train.n }, (_, i) => i).filter((i) => !held.has(i));
  const fineTune: Split = { n: keep.length, x: new Float32Array(keep.length * size), y: Int32Array.from(keep, (i) => data.train.y[i]) };
  keep.forEach((i, j) => fineTune.x.set(data.train.x.subarray(i * size, (i + 1) * size), j * size));
  return {
    calibration: gather(0, calibration),
    validation: { x: gather(calibration, validation), y: Int32Array.from({ length: validation }, (_, i) => data.train.y[perm[calibration + i]]) },
    fineTune,
  };
}

/** Each candidate's input-binarization error on `images` ([n, H, W, C] floats): the input of its activation layer. */
export function inputErrors(model: tf.LayersModel, names: readonly string[], images: Float32Array, batch = 64): Map<string, { error: number; scale: number }> {
  const [h, w, c] = model.inputs[0].shape.slice(1) as number[];
  const n = images.length / (h * w * c);
  const taps = names.map((name) => {
    const act = model.getLayer(name).inboundNodes[0].inboundLayers[0];
    return act.input as tf.SymbolicTensor;
  });
  const probe = tf.model({ inputs: model.inputs, outputs: taps });
  const stats = names.map(() => emptyStats());
  for (let b = 0; b < n; b += batch) {
    const e = Math.min(n, b + batch);
    const outs = tf.tidy(() => {
      const r = probe.predict(tf.tensor4d(images.subarray(b * h * w * c, e * h * w * c), [e - b, h, w, c]));
      return Array.isArray(r) ? r : [r];
    });
    outs.forEach((t, i) => accumulate(stats[i], t.dataSync()));
    tf.dispose(outs);
  }
  return new Map(names.map((name, i) => [name, binarizationError(stats[i])]));
}

/**
 * The accuracy mode's fine-tuned hybrid: `float` candidates on float inputs (the ReLU form that
 * train --plan trains), fine-tuned from the model's weights on `fineTune`, scored on `validation`.
 */
export async function fineTunedAccuracy(model: tf.LayersModel, float: readonly string[], data: Dataset, fineTune: Split,
  validation: { x: Float32Array; y: Int32Array }, opts: TrainOptions): Promise<number> {
  const h = await withFloatInputs(model, float);
  try {
    await train(h, { ...data, train: fineTune, test: { x: validation.x, y: validation.y, n: validation.y.length } }, { ...opts, evalEachEpoch: false });
    return accuracyOn(h, validation.x, validation.y);
  } finally {
    h.dispose();
  }
}

/** Top-1 of `model` on labelled images. */
export function accuracyOn(model: tf.LayersModel, x: Float32Array, y: Int32Array, batch = 128): number {
  const [h, w, c] = model.inputs[0].shape.slice(1) as number[];
  let correct = 0;
  for (let b = 0; b < y.length; b += batch) {
    const e = Math.min(y.length, b + batch);
    const pred = tf.tidy(() => tf.argMax(model.predict(tf.tensor4d(x.subarray(b * h * w * c, e * h * w * c), [e - b, h, w, c])) as tf.Tensor, -1).dataSync());
    for (let i = b; i < e; i++) if (pred[i - b] === y[i]) correct++;
  }
  return y.length ? correct / y.length : 0;
}

const hasWeights = (kind: string) => !!OP_BY_NAME.get(kind as never)?.tensors.some((t) => t.role === 'weights');

/** MACs of weight ops reading float inputs (op registry counts). */
export function floatMacs(m: BexnetModel): number {
  return m.info().layers.reduce((s, l) => s + (l.input.dtype === 'f32' && hasWeights(l.kind) ? l.macs : 0), 0);
}

export interface Exported { float: string[]; bytes: Uint8Array; model: BexnetModel; macs: number; convIndex: Map<string, number> }

/** Exports the hybrid with `float` inputs and loads it with the sdk (this machine's build). */
export async function exportHybrid(model: tf.LayersModel, float: readonly string[]): Promise<Exported> {
  const hybrid = await withFloatInputs(model, float);
  try {
    // As bexnet export writes it (name and labels included: they count in the file's bytes).
    const labels = (model.getUserDefinedMetadata() as { bexnet?: { classes?: string[] } } | undefined)?.bexnet?.classes ?? [];
    const { bytes, layers } = exportModel(hybrid, { name: model.name, labels });
    const m = await loadBxn(bytes, nodeKernelOptions());
    // The .bxn layer each candidate conv became (its report names the training layers).
    const convIndex = new Map<string, number>();
    for (const n of candidatesOf(model)) {
      const i = layers.findIndex((l) => l.from[0] === n && ['bconv2d', 'conv2dBinaryWeights', 'bdense', 'xbconv2d', 'xconv2dBinaryWeights'].includes(l.op));
      if (i >= 0) convIndex.set(n, i);
    }
    return { float: [...float], bytes, model: m, macs: floatMacs(m), convIndex };
  } finally {
    hybrid.dispose();
  }
}

export interface Timing { medianMs: number; layerMs: number[] }

/**
 * Median latency of one inference (run()) and per-layer medians (sdk profile) for each model, timed
 * round robin in this process (every round runs each model once, so drift hits all alike).
 */
export function timeRoundRobin(models: BexnetModel[], rounds: number, warmup = 5): Timing[] {
  const inputs = models.map((m) => { const r = mulberry32(1); return Float32Array.from({ length: m.info().inputShape.reduce((a, b) => a * b, 1) }, () => r()); });
  for (let i = 0; i < warmup; i++) models.forEach((m, j) => m.run(inputs[j]));
  const totals = models.map(() => [] as number[]);
  const layers = models.map((m) => m.info().layers.map(() => [] as number[]));
  for (let r = 0; r < rounds; r++) {
    models.forEach((m, j) => {
      const t0 = performance.now();
      m.run(inputs[j]);
      totals[j].push(performance.now() - t0);
      // Per-layer times from a separate profiled run (its clock reads would inflate the total).
      for (const l of m.profile(inputs[j]).layers) layers[j][l.index].push(l.ms);
    });
  }
  const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); const k = s.length >> 1; return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2; };
  return models.map((_, j) => ({ medianMs: median(totals[j]), layerMs: layers[j].map(median) }));
}

export interface MeasuredCosts {
  base: Cost;
  /** The sdk build the times are of ('simd' or 'scalar'). */
  backend: string;
  /** Per candidate: added whole-model cost when it alone takes float inputs; its own kernel ms both ways. */
  layers: Map<string, { macs: number; added: Cost; kernelMs: { binary: number; float: number } }>;
}

/** The fully binary model and each single-float-input hybrid, exported and timed together. */
export async function measureCosts(model: tf.LayersModel, candidates: readonly string[], rounds = 200): Promise<MeasuredCosts> {
  const all = [await exportHybrid(model, [])];
  for (const n of candidates) all.push(await exportHybrid(model, [n]));
  try {
    const t = timeRoundRobin(all.map((e) => e.model), rounds);
    const base: Cost = { ms: t[0].medianMs, bytes: all[0].bytes.length, macs: all[0].macs };
    const layers: MeasuredCosts['layers'] = new Map();
    candidates.forEach((n, i) => {
      const e = all[i + 1], bi = all[0].convIndex.get(n)!, fi = e.convIndex.get(n)!;
      layers.set(n, {
        macs: all[0].model.info().layers[bi].macs,
        added: { ms: t[i + 1].medianMs - base.ms, bytes: e.bytes.length - base.bytes, macs: e.macs - base.macs },
        kernelMs: { binary: t[0].layerMs[bi], float: t[i + 1].layerMs[fi] },
      });
    });
    return { base, backend: all[0].model.info().backend, layers };
  } finally {
    for (const e of all) e.model.dispose();
  }
}

/** A hybrid exported and measured: bytes and float MACs exact, latency the sdk's median over `rounds` (timed beside the fully binary model). */
export async function measureHybrid(model: tf.LayersModel, float: readonly string[], rounds = 200): Promise<{ cost: Cost; base: Cost; bytes: Uint8Array }> {
  const e = await exportHybrid(model, float), b = await exportHybrid(model, []);
  try {
    const [te, tb] = timeRoundRobin([e.model, b.model], rounds);
    return { cost: { ms: te.medianMs, bytes: e.bytes.length, macs: e.macs }, base: { ms: tb.medianMs, bytes: b.bytes.length, macs: b.macs }, bytes: e.bytes };
  } finally {
    e.model.dispose(); b.model.dispose();
  }
}

/** What the plan check needs to know about a model (plan-file.ts checkPlanFits). */
export function modelFacts(model: tf.LayersModel): { kind: string; architecture: string; weights: string; candidates: string[]; float: string[] } {
  return { kind: modelKind(model), architecture: architectureHash(model), weights: weightsHash(model), candidates: candidatesOf(model), float: floatInputsOf(model) };
}

/** The exported .bxn measured as the planner measures: file bytes, float-input MACs, sdk median latency (ms). */
export async function measureBxn(bytes: Uint8Array, rounds = 200): Promise<Cost> {
  const m = await loadBxn(bytes, nodeKernelOptions());
  try {
    return { ms: timeRoundRobin([m], rounds)[0].medianMs, bytes: bytes.length, macs: floatMacs(m) };
  } finally {
    m.dispose();
  }
}
