// tfjs LayersModel (a chain, as tools/train builds them) → .bxn bytes, in two
// passes: groupBlocks() cuts the chain of layer views into blocks (a conv/dense with
// the batch norm, pool and activation after it, or a standalone layer), then one
// emitter per block kind (EMITTERS) writes its .bxn layers and tracks the shape.
//
// The exporter folds and packs, it never approximates silently:
// - batch norm after a conv folds into that conv: float convs get scaled
//   weights and a bias; binary convs get the output transform
//   A' = s·A, B' = s·B, C' = s·C + β − s·μ (s = γ/√(var+ε)), whose sign is the
//   next binary layer's input bit (a per-channel threshold; see ARCHITECTURE.md);
// - max-pool between a conv and its activation moves after the activation
//   (ReLU and sign are monotone, so they commute with max); on bits it is an AND;
// - a batch norm that follows a pool (binary conv -> maxpool -> BN -> sign, the
//   'bn-sign-conv-pool' block order) folds into the conv too, and the pool runs on
//   its bits: sign(s·max y + t) is the max of the signs of s·y + t where s > 0 (an
//   AND of bits, maxPool2dBits) and their min where s < 0 (an OR: those channels
//   are flagged in maxPool2dBitsFlip's mask), since an affine map with s ≥ 0 is
//   monotone and one with s < 0 reverses order. With a ReLU between conv and pool,
//   or a binary-weight conv on float inputs, the conv keeps a float output, the pool
//   runs on floats, and BN + sign become one packSignsAffine (bit = s·x + t < 0);
// - a float conv whose output feeds a sign writes the sign bits itself (conv2d bit
//   outputs, bit = y < 0);
// - every packed weight keeps the exact training convention (±1 masks, α/β);
// - X-layers (ExpanderConv2D / ExpanderDense) become xconv2d / xdense / xbconv2d with
//   one XGRF record each (the layer's graph: generator 1, its seed, C_in, C_out, D,
//   groups of 8), their compact weights packed in the §10 layouts; the batch norm,
//   bit outputs and pools on bits work as for the dense ops.
// Depthwise convs (MobileNet blocks, multiplier 1) become depthwiseConv2d with the batch
// norm folded. Residual adds become `add` layers reading two values (FORMAT.md §8 WIRE). Anything
// this exporter cannot express (unequal strides, float
// inputs into a +1-padded binary conv) is an ExportError naming the layer.
import type * as tf from '@tensorflow/tfjs';
import { readBxn, writeBxn, f16ToF32, f32ToF16, int8ScaleIndex, quantizeInt8, PANEL, type LayerInput, type TensorInput } from '../../sdk/format/index.js';
import type { BxnMetadata, ExpanderRecord } from '../../sdk/format/model.js';
import { GENERATOR_GROUPED, GENERATOR_XOSHIRO_FY, type LayerGraph } from '../../sdk/expander.js';
import { convGeometry, packBinaryFilters, packBinaryWeightsByOutput, packFloatFilters, packXBinaryFilters, packXBinaryWeightsByBlock, roundUp, type Padding } from '../../sdk/layout.js';
import { exportView, type LayerView } from '../train/export-view.js';

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

export type FloatEncoding = 'f32' | 'f16' | 'int8';

export interface ExportOptions {
  name?: string;
  labels?: string[];
  normalization?: BxnMetadata['normalization'];
  /** Encoding of float conv/dense weights (the last layer); a float layer feeding a sign stays f32. Default f32. */
  floatEncoding?: FloatEncoding;
  producer?: string;
}

/** One line of the export report: what a training layer group became. */
export interface ExportedLayer {
  from: string[];
  op: LayerInput['op'];
  shape: string;
  bytes: number;
  /** Relative L2 error of the stored weights vs the latent float weights, where weights exist. */
  quantError: number | null;
  /** Encoding of the layer's weights ('bits' for binary filters), null without weights. */
  encoding: 'bits' | FloatEncoding | null;
  /** X-layers: D / C_in, the fraction of the dense layer's weights that exist; null for every other layer. */
  density: number | null;
  /** Why the encoding differs from the one asked for (e.g. a layer feeding a sign keeps f32), or an X-layer's graph. */
  note: string | null;
}

export interface ExportResult {
  bytes: Uint8Array;
  layers: ExportedLayer[];
}

interface State { h: number; w: number; c: number; dtype: 'f32' | 'bits' }

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v as number, v as number]);

function relError(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) { num += (ref[i] - got[i]) ** 2; den += ref[i] ** 2; }
  return den > 0 ? Math.sqrt(num / den) : 0;
}

/** The affine of the batch norm folded into `v` (`channels` outputs), the identity when there is none. */
function foldedAffine(bn: LayerView | undefined, v: LayerView, channels: number): { s: Float32Array; t: Float32Array } {
  const { s, t } = bn ? bnAffine(bn) : { s: new Float32Array(channels).fill(1), t: new Float32Array(channels) };
  if (s.length !== channels) throw new ExportError(`layer '${bn!.name}' has ${s.length} channels, '${v.name}' outputs ${channels}`);
  return { s, t };
}

/** Float weights (channel last) and bias with a folded affine: w' = w·s (per channel), b' = b·s + t. */
function foldFloat(values: Float32Array, bias: Float32Array | undefined, s: Float32Array, t: Float32Array): { w: Float32Array; b: Float32Array } {
  const c = s.length;
  return { w: Float32Array.from(values, (x, j) => x * s[j % c]), b: Float32Array.from({ length: c }, (_, o) => (bias ? bias[o] : 0) * s[o] + t[o]) };
}

/** A conv layer's one stride and its padding (ExportError on unequal strides or dilation). */
function convWindow(v: LayerView): { stride: number; padding: Padding } {
  const [sh, sw] = pair(v.config.strides ?? 1);
  if (sh !== sw) throw new ExportError(`layer '${v.name}': strides ${sh}x${sw} (kernels take one stride)`);
  const dil = pair(v.config.dilationRate ?? 1);
  if (dil[0] !== 1 || dil[1] !== 1) throw new ExportError(`layer '${v.name}': dilation is not supported`);
  return { stride: sh, padding: v.config.padding as Padding };
}

/** Batch norm in inference form as per-channel y = s·x + t. */
function bnAffine(v: LayerView): { s: Float32Array; t: Float32Array } {
  const mean = v.weights.moving_mean.values, variance = v.weights.moving_variance.values;
  const n = mean.length;
  const gamma = v.weights.gamma?.values ?? new Float32Array(n).fill(1);
  const beta = v.weights.beta?.values ?? new Float32Array(n);
  const eps = (v.config.epsilon as number) ?? 1e-3;
  const s = new Float32Array(n), t = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s[i] = gamma[i] / Math.sqrt(variance[i] + eps);
    t[i] = beta[i] - s[i] * mean[i];
  }
  return { s, t };
}

/** Stored form of packed float weights (panels of 8 outputs, `channels` = Cout rounded up to 8) and its encoding error. */
function floatTensor(panels: Float32Array, channels: number, enc: FloatEncoding): { tensor: TensorInput; bytes: number; quantError: number } {
  if (enc === 'f32') return { tensor: panels, bytes: panels.byteLength, quantError: 0 };
  if (enc === 'f16') {
    const decoded = Float32Array.from(panels, (x) => f16ToF32(f32ToF16(x)));
    return { tensor: { encoding: 'f16', data: panels }, bytes: 2 * panels.length, quantError: relError(panels, decoded) };
  }
  const { q, scales } = quantizeInt8(panels, channels, PANEL);
  const decoded = Float32Array.from(q, (v, i) => v * scales[int8ScaleIndex(i, q.length, channels, PANEL)]);
  return { tensor: { encoding: 'int8', q, scales, lanes: PANEL }, bytes: q.length + 4 * channels, quantError: relError(panels, decoded) };
}

/**
 * What one emitter handles: a weighted layer (conv / dense, float or binary) with
 * the batch norm, max-pool and activation that fold into or follow it, or one
 * standalone layer. groupBlocks() finds them; EMITTERS turns each into .bxn layers.
 */
export type Block =
  | { kind: 'weighted'; layer: LayerView; bn?: LayerView; pool?: LayerView; act?: LayerView }
  | { kind: 'maxPool'; layer: LayerView }
  | { kind: 'sign'; layer: LayerView }
  | { kind: 'relu'; layer: LayerView }
  /** A batch norm not after a conv; `sign` (bn-sign-conv-pool blocks) or `relu` directly after it. */
  | { kind: 'batchNorm'; layer: LayerView; sign?: LayerView; relu?: LayerView }
  | { kind: 'flatten'; layer: LayerView }
  | { kind: 'globalAvgPool'; layer: LayerView }
  | { kind: 'avgPool'; layer: LayerView }
  /** A residual add of two values (FORMAT.md §8 WIRE), with the ReLU after it. */
  | { kind: 'add'; layer: LayerView; act?: LayerView };

/** The training layers a block covers, in order; the last one's output is the block's. */
const blockLayers = (b: Block): LayerView[] =>
  [b.layer, ...(b.kind === 'weighted' ? [b.bn, b.pool, b.act] : b.kind === 'batchNorm' ? [b.sign, b.relu] : b.kind === 'add' ? [b.act] : [])]
    .filter((x): x is LayerView => !!x);

const WEIGHTED = ['Conv2D', 'BinaryConv2D', 'Dense', 'BinaryDense', 'ExpanderConv2D', 'ExpanderDense', 'DepthwiseConv2D'];
const isDense = (v: LayerView) => v.className === 'Dense' || v.className === 'BinaryDense' || v.className === 'ExpanderDense';
const isFloatConv = (v: LayerView) => v.className === 'Conv2D' || (v.className === 'ExpanderConv2D' && !v.binary);
const isRelu = (v: LayerView | undefined) => !!v && (v.className === 'ReLU' || (v.className === 'Activation' && v.config.activation === 'relu'));

/**
 * Pass 1: the layer views (tfjs's topological order) → blocks (structure only; no weights
 * are read). A layer folds into the block before it only as that block's sole consumer, so
 * a value read by two branches (a residual shortcut) ends its block.
 */
export function groupBlocks(views: LayerView[]): Block[] {
  const consumers = new Map<string, LayerView[]>(views.map((v) => [v.name, []]));
  for (const v of views) for (const from of v.inbound) consumers.get(from)?.push(v);
  const folded = new Set<string>();
  const take = (after: LayerView | undefined, test: (v: LayerView) => boolean) => {
    const cs = after ? consumers.get(after.name)! : [];
    if (cs.length !== 1 || cs[0].inbound.length !== 1 || !test(cs[0])) return undefined;
    folded.add(cs[0].name);
    return cs[0];
  };
  const cls = (c: string) => (v: LayerView) => v.className === c;
  const blocks: Block[] = [];
  for (const layer of views) {
    if (folded.has(layer.name) || layer.className === 'InputLayer') continue;
    const c = layer.className;
    if (c === 'Add') {
      if (layer.inbound.length !== 2) throw new ExportError(`layer '${layer.name}' (Add) has ${layer.inbound.length} inputs; the add op takes two`);
      blocks.push({ kind: 'add', layer, act: take(layer, isRelu) });
      continue;
    }
    if (layer.inbound.length > 1) throw new ExportError(`layer '${layer.name}' (${c}) has ${layer.inbound.length} inputs; only Add merges branches`);
    if (WEIGHTED.includes(c)) {
      const bn = take(layer, cls('BatchNormalization')), pool = take(bn ?? layer, cls('MaxPooling2D'));
      const last = pool ?? bn ?? layer;
      blocks.push({ kind: 'weighted', layer, bn, pool, act: take(last, isRelu) ?? take(last, cls('SignActivation')) });
    } else if (c === 'MaxPooling2D') blocks.push({ kind: 'maxPool', layer });
    else if (c === 'AveragePooling2D') blocks.push({ kind: 'avgPool', layer });
    else if (c === 'SignActivation') blocks.push({ kind: 'sign', layer });
    else if (c === 'ReLU' || c === 'Activation') {
      if (!isRelu(layer)) throw new ExportError(`layer '${layer.name}': activation '${layer.config.activation}' is not supported (relu only)`);
      blocks.push({ kind: 'relu', layer });
    } else if (c === 'BatchNormalization') {
      const sign = take(layer, cls('SignActivation'));
      blocks.push({ kind: 'batchNorm', layer, sign, relu: sign ? undefined : take(layer, isRelu) });
    } else if (c === 'Flatten') blocks.push({ kind: 'flatten', layer });
    else if (c === 'GlobalAveragePooling2D') blocks.push({ kind: 'globalAvgPool', layer });
    else throw new ExportError(`layer '${layer.name}' (${c}) is not supported by the exporter`);
  }
  return blocks;
}

/**
 * The .bxn layers written so far, the report, and where the writing stands: the value it
 * reads next (`at`: 0 the input, v the output of layer v − 1) with its shape and dtype.
 */
class Chain {
  readonly layers: LayerInput[] = [];
  readonly report: ExportedLayer[] = [];
  /** XGRF records of the X-layers so far. */
  readonly expanders: ExpanderRecord[] = [];
  at = 0;
  constructor(public st: State, readonly floatEnc: FloatEncoding) {}
  emit(from: string[], layer: LayerInput, next: State, bytes: number, quantError: number | null,
    weights: { encoding: ExportedLayer['encoding']; note?: string; density?: number } = { encoding: null }) {
    if (this.at !== this.layers.length) layer.input = this.at; // off the chain: a WIRE record
    this.layers.push(layer);
    this.at = this.layers.length;
    this.report.push({
      from, op: layer.op, shape: `${next.h}x${next.w}x${next.c}${next.dtype === 'bits' ? ' bits' : ''}`, bytes, quantError,
      encoding: weights.encoding, density: weights.density ?? null, note: weights.note ?? null,
    });
    this.st = next;
  }
  /** The index of an XGRF record for `g` (one per X-layer; identical graphs share a record). */
  graph(g: LayerGraph): number {
    const rec: ExpanderRecord = {
      generator: g.generator ?? GENERATOR_XOSHIRO_FY, balanced: g.balanced, ...(g.generator === GENERATOR_GROUPED ? { shuffled: g.shuffled === true } : {}),
      seedLo: g.seedLo >>> 0, seedHi: g.seedHi >>> 0,
      inChannels: g.inChannels, outChannels: g.outChannels, degree: g.degree, inGroup: g.inGroup, outGroup: g.outGroup,
    };
    const key = JSON.stringify(rec);
    const i = this.expanders.findIndex((r) => JSON.stringify(r) === key);
    return i >= 0 ? i : this.expanders.push(rec) - 1;
  }
}

/** The report's words for an X-layer's graph. */
const graphNote = (g: LayerGraph) =>
  `X-layer: each output reads ${g.degree} of ${g.inChannels} input channels (density ${+(g.degree / g.inChannels).toFixed(4)}), ${g.generator === GENERATOR_GROUPED
    ? `grouped convolution, ${g.inChannels / g.degree} groups${g.shuffled ? ', shuffled' : ''}`
    : `graph seed ${g.seedLo}${g.balanced ? ', balanced' : ''}`}, groups ${g.inGroup}/${g.outGroup}`;

type Emitter<K extends Block['kind']> = (chain: Chain, block: Extract<Block, { kind: K }>) => void;

/** Pass 2: one emitter per block kind. */
const EMITTERS: { [K in Block['kind']]: Emitter<K> } = {
  weighted(chain, { layer, bn, pool, act }) {
    const from = [layer, bn, pool, act].filter((x): x is LayerView => !!x).map((x) => x.name);
    const actKind = act ? (act.className === 'SignActivation' ? 'sign' : 'relu') : null;
    emitWeighted(chain, layer, bn, actKind, from);
    if (pool) emitMaxPool(chain, pool, from);
    if (actKind === 'sign' && chain.st.dtype === 'f32') chain.emit([act!.name], { op: 'packSigns' }, { ...chain.st, dtype: 'bits' }, 0, null);
  },
  maxPool(chain, { layer }) {
    emitMaxPool(chain, layer, [layer.name]);
  },
  sign(chain, { layer }) {
    if (chain.st.dtype === 'bits') return; // already ±1
    chain.emit([layer.name], { op: 'packSigns' }, { ...chain.st, dtype: 'bits' }, 0, null);
  },
  relu(chain, { layer }) {
    if (chain.st.dtype !== 'f32') throw new ExportError(`layer '${layer.name}': ReLU on binary values`);
    chain.emit([layer.name], { op: 'relu' }, chain.st, 0, null);
  },
  batchNorm(chain, { layer, sign, relu }) {
    const st = chain.st;
    if (st.dtype !== 'f32') throw new ExportError(`layer '${layer.name}': batch norm on binary values without a preceding conv`);
    const { s, t } = bnAffine(layer);
    if (s.length !== st.c) throw new ExportError(`layer '${layer.name}' has ${s.length} channels, its input has ${st.c}`);
    // Batch norm directly followed by sign (sketchnet's 'bn-sign-conv-pool' blocks):
    // one packSignsAffine, bit = (s·x + t) < 0.
    if (sign) chain.emit([layer.name, sign.name], { op: 'packSignsAffine', scale: s, shift: t }, { ...st, dtype: 'bits' }, 8 * s.length, null);
    else chain.emit([layer.name], { op: 'scaleShift', scale: s, shift: t, relu: !!relu }, st, 8 * s.length, null);
  },
  flatten(chain, { layer }) {
    const st = chain.st;
    if (st.h * st.w === 1) return; // already [1, 1, C]
    chain.emit([layer.name], { op: 'flatten' }, { h: 1, w: 1, c: st.h * st.w * st.c, dtype: st.dtype }, 0, null);
  },
  avgPool(chain, { layer }) {
    const st = chain.st;
    if (st.dtype !== 'f32') throw new ExportError(`layer '${layer.name}': average pooling on binary values`);
    const [kh, kw] = pair(layer.config.poolSize);
    const [sh, sw] = pair(layer.config.strides ?? layer.config.poolSize);
    if (sh !== sw) throw new ExportError(`layer '${layer.name}': strides ${sh}x${sw} (kernels take one stride)`);
    const padding = (layer.config.padding as Padding) ?? 'valid';
    const g = convGeometry(st.h, st.w, kh, kw, sh, padding);
    chain.emit([layer.name], { op: 'avgPool2d', kh, kw, stride: sh, padding }, { h: g.outH, w: g.outW, c: st.c, dtype: 'f32' }, 0, null);
  },
  add() {
    throw new Error('add blocks are emitted by exportModel (they read two values)');
  },
  globalAvgPool(chain, { layer }) {
    if (chain.st.dtype !== 'f32') throw new ExportError(`layer '${layer.name}': average pooling on binary values`);
    chain.emit([layer.name], { op: 'globalAvgPool' }, { h: 1, w: 1, c: chain.st.c, dtype: 'f32' }, 0, null);
  },
};

/** The residual add of the chain's value and `other` (both f32 of one shape), with its ReLU. */
function emitAdd(chain: Chain, { layer, act }: Extract<Block, { kind: 'add' }>, other: { at: number; st: State }) {
  const a = chain.st, b = other.st;
  if (a.dtype !== 'f32' || b.dtype !== 'f32' || a.h !== b.h || a.w !== b.w || a.c !== b.c)
    throw new ExportError(`layer '${layer.name}' adds ${a.h}x${a.w}x${a.c} ${a.dtype} and ${b.h}x${b.w}x${b.c} ${b.dtype}; the add op takes two f32 values of one shape`);
  chain.emit([layer.name, ...(act ? [act.name] : [])], { op: 'add', input2: other.at, relu: !!act }, a, 0, null);
}

/** A max pool; on bits with `flip`, the flagged channels pool by OR (maxPool2dBitsFlip). */
function emitMaxPool(chain: Chain, p: LayerView, from: string[], flip: Uint32Array | null = null, note?: string) {
  const st = chain.st;
  const [kh, kw] = pair(p.config.poolSize);
  const [sh, sw] = pair(p.config.strides ?? p.config.poolSize);
  if (sh !== sw) throw new ExportError(`layer '${p.name}': strides ${sh}x${sw} (kernels take one stride)`);
  const padding = (p.config.padding as Padding) ?? 'valid';
  const g = convGeometry(st.h, st.w, kh, kw, sh, padding);
  const next = { h: g.outH, w: g.outW, c: st.c, dtype: st.dtype };
  if (flip) chain.emit(from, { op: 'maxPool2dBitsFlip', kh, kw, stride: sh, padding, flip }, next, flip.byteLength, null, { encoding: 'bits', note });
  else chain.emit(from, { op: st.dtype === 'bits' ? 'maxPool2dBits' : 'maxPool2d', kh, kw, stride: sh, padding }, next, 0, null, { encoding: null, note });
}

type WeightedBlock = Extract<Block, { kind: 'weighted' }>;
type BatchNormBlock = Extract<Block, { kind: 'batchNorm' }>;

/**
 * conv -> maxpool, then BN -> sign: the block whose pool can run on bits. The conv is binary
 * on bit inputs (bconv2d) or float on float inputs (conv2d; a first layer); both write bits.
 */
function poolsOnBits(chain: Chain, block: Block, next: Block | undefined): next is BatchNormBlock {
  if (block.kind !== 'weighted' || !block.pool || block.bn || block.act || next?.kind !== 'batchNorm' || !next.sign) return false;
  const { layer } = block;
  return layer.binary ? !!layer.binary.binaryInput && chain.st.dtype === 'bits' : isFloatConv(layer) && chain.st.dtype === 'f32';
}

/** The conv with the BN folded into its threshold (bit outputs), then the pool on bits, flipping channels with s < 0. */
function emitPoolOnBits(chain: Chain, block: Block, next: BatchNormBlock) {
  const { layer, pool } = block as WeightedBlock;
  emitWeighted(chain, layer, next.layer, 'sign', [layer.name, next.layer.name, next.sign!.name]);
  const { s } = bnAffine(next.layer);
  const flip = new Uint32Array(Math.ceil(s.length / 32));
  let flipped = 0;
  s.forEach((v, o) => { if (v < 0) { flip[o >> 5] |= 1 << (o & 31); flipped++; } });
  emitMaxPool(chain, pool!, [pool!.name], flipped ? flip : null,
    `pooled on bits after the batch norm${flipped ? `; ${flipped} of ${s.length} channels have a negative scale and pool by OR` : ''}`);
}

/** A conv / dense layer with its batch norm folded in: float, binary-weight on float inputs, or binary. */
function emitWeighted(chain: Chain, v: LayerView, bn: LayerView | undefined, act: 'relu' | 'sign' | null, from: string[]) {
  if (v.className === 'DepthwiseConv2D') return emitDepthwise(chain, v, bn, act, from);
  const st = chain.st;
  const dense = isDense(v);
  const binary = v.binary;
  // X-layers: `kernel` and the binary signs are compact, [..., D, C_out] (FORMAT.md §10 order).
  const graph = v.graph;
  const kernel = v.weights.kernel;
  const cout = kernel.shape[kernel.shape.length - 1];
  const { s, t } = foldedAffine(bn, v, cout);
  let kh = 1, kw = 1, stride = 1, padding: Padding = 'valid';
  if (!dense) {
    [kh, kw] = pair(v.config.kernelSize);
    ({ stride, padding } = convWindow(v));
  } else if (st.h * st.w !== 1) {
    // A dense layer right after Flatten of an [H, W, C] map: a conv whose kernel covers the map.
    if (!binary || graph) throw new ExportError(`layer '${v.name}': ${graph ? 'an X-' : 'float '}dense on an ${st.h}x${st.w} map needs a Flatten before it`);
  }
  const cin = graph ? graph.inChannels : dense ? kernel.shape[0] / (st.h * st.w) : kernel.shape[2];
  if (cin !== st.c) throw new ExportError(`layer '${v.name}' expects ${cin} input channels, the chain gives ${st.c}`);
  const g = dense ? { outH: 1, outW: 1 } : convGeometry(st.h, st.w, kh, kw, stride, padding);
  const out: State = { h: g.outH, w: g.outW, c: cout, dtype: 'f32' };
  // Window fields only where the op has a window: the reader rejects them on dense / bdense / xdense.
  const windowed = { kh, kw, stride, padding, outChannels: cout, relu: act === 'relu' };
  const geometry = dense ? { outChannels: cout, relu: act === 'relu' } : windowed;
  const x = graph ? { graph: chain.graph(graph), density: graph.degree / graph.inChannels, note: graphNote(graph) } : null;
  const notes = (...n: (string | undefined)[]) => n.filter((t) => t).join('; ') || undefined;

  if (!binary) {
    if (st.dtype !== 'f32') throw new ExportError(`layer '${v.name}': float weights on binary inputs (binarize the weights too, or remove the sign before it)`);
    const { w, b } = foldFloat(kernel.values, v.weights.bias?.values, s, t);
    const rows = kernel.values.length / cout;
    // A float layer whose output is binarized keeps f32: its rounding would move
    // values across the sign threshold, and such layers (the first) are small.
    const enc = act === 'sign' ? 'f32' : chain.floatEnc;
    const note = enc !== chain.floatEnc ? `kept f32, not ${chain.floatEnc}: its output feeds a sign, where rounding would flip bits` : undefined;
    const { tensor, bytes, quantError } = floatTensor(packFloatFilters(w, rows, cout), roundUp(cout, PANEL), enc);
    // A conv feeding a sign writes the sign bits itself (bit = y < 0, the packSigns rule).
    const bitsOut = act === 'sign' && !dense;
    const op = x ? (dense ? 'xdense' : 'xconv2d') : dense ? 'dense' : 'conv2d';
    chain.emit(from, { op, ...geometry, bitsOut, weights: tensor, bias: b, ...(x && { graph: x.graph }) }, { ...out, dtype: bitsOut ? 'bits' : 'f32' },
      bytes + 4 * cout, quantError, { encoding: enc, note: notes(note, x?.note), density: x?.density });
    return;
  }

  // Binary weights: the training mask (±1) and per-filter α/β.
  const A = binary.A.map((a, o) => a * s[o]);
  const B = binary.B.map((b, o) => b * s[o]);
  const C = binary.C.map((c, o) => c * s[o] + t[o]);
  const transform = new Float32Array([...A, ...B, ...C]);
  const stored = binary.signs.map((m, j) => (m > 0 ? binary.alpha[j % cout] : binary.beta[j % cout]));
  const qErr = relError(kernel.values, stored);
  const bitsOut = act === 'sign';
  if (!binary.binaryInput) {
    if (st.dtype !== 'f32') throw new ExportError(`layer '${v.name}': float-input binary-weight layer after a sign`);
    // (x)conv2dBinaryWeights writes floats only: a sign after it (a float-input layer feeding a
    // binary-input one, e.g. an HBN hybrid's conv4 before a binary conv5) becomes the packSigns
    // the weighted emitter adds after a float output.
    if (x) {
      // An X-dense reads [1, 1, K]: a 1x1 xconv2dBinaryWeights.
      const bytes = packXBinaryWeightsByBlock(binary.signs, kh, kw, graph!.degree, cout);
      const wbits = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      chain.emit(from, { op: 'xconv2dBinaryWeights', ...windowed, weights: wbits, transform, graph: x.graph }, out,
        wbits.byteLength + transform.byteLength, qErr, { encoding: 'bits', note: x.note, density: x.density });
      return;
    }
    // A dense layer on [1, 1, K] is a 1x1 conv2dBinaryWeights.
    if (dense && st.h * st.w !== 1) throw new ExportError(`layer '${v.name}': a float-input binary dense on an ${st.h}x${st.w} map needs a Flatten before it`);
    const wbits = packBinaryWeightsByOutput(binary.signs, kh, kw, cin, cout);
    chain.emit(from, { op: 'conv2dBinaryWeights', ...windowed, weights: wbits, transform }, out, wbits.byteLength + transform.byteLength, qErr, { encoding: 'bits' });
    return;
  }
  if (st.dtype !== 'bits') throw new ExportError(`layer '${v.name}' binarizes its inputs with +1 padding, but its input is float (put a SignActivation before it)`);
  if (x) {
    // xbconv2d; an X-dense reads [1, 1, K] bits, i.e. a 1x1 xbconv2d.
    const bytes = packXBinaryFilters(binary.signs, kh, kw, graph!.degree, cout);
    const wbits = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    chain.emit(from, { op: 'xbconv2d', ...windowed, bitsOut, weights: wbits, transform, graph: x.graph },
      { ...out, dtype: bitsOut ? 'bits' : 'f32' }, wbits.byteLength + transform.byteLength, qErr, { encoding: 'bits', note: x.note, density: x.density });
    return;
  }
  const fkh = dense ? st.h : kh, fkw = dense ? st.w : kw;
  const wbits = packBinaryFilters(binary.signs, fkh, fkw, st.c, cout);
  chain.emit(from, { op: dense ? 'bdense' : 'bconv2d', ...geometry, bitsOut, weights: wbits, transform },
    { ...out, dtype: bitsOut ? 'bits' : 'f32' }, wbits.byteLength + transform.byteLength, qErr, { encoding: 'bits' });
}

/** A float depthwise conv (multiplier 1, MobileNet blocks) with its batch norm folded: depthwiseConv2d, f32 weights [kh, kw, C]. */
function emitDepthwise(chain: Chain, v: LayerView, bn: LayerView | undefined, act: 'relu' | 'sign' | null, from: string[]) {
  const st = chain.st;
  const kernel = v.weights.depthwise_kernel;
  if (!kernel) throw new ExportError(`layer '${v.name}': no depthwise kernel`);
  const [kh, kw, c, mult] = kernel.shape;
  if (mult !== 1) throw new ExportError(`layer '${v.name}': depth multiplier ${mult} (the depthwiseConv2d op takes 1)`);
  if (st.dtype !== 'f32') throw new ExportError(`layer '${v.name}': a depthwise conv on binary values`);
  if (c !== st.c) throw new ExportError(`layer '${v.name}' expects ${c} input channels, the chain gives ${st.c}`);
  if (act === 'sign') throw new ExportError(`layer '${v.name}': a sign after a depthwise conv is not supported (its op writes floats)`);
  const { stride, padding } = convWindow(v);
  const { s, t } = foldedAffine(bn, v, c);
  const { w: weights, b } = foldFloat(kernel.values, v.weights.bias?.values, s, t);
  const g = convGeometry(st.h, st.w, kh, kw, stride, padding);
  // f32 whatever --float-encoding says: kh·kw·C weights are a small share of any MobileNet block.
  const note = chain.floatEnc !== 'f32' ? `kept f32, not ${chain.floatEnc}: depthwise weights are few` : undefined;
  chain.emit(from, { op: 'depthwiseConv2d', kh, kw, stride, padding, outChannels: c, relu: act === 'relu', weights, bias: b },
    { h: g.outH, w: g.outW, c, dtype: 'f32' }, 4 * (weights.length + c), 0, { encoding: 'f32', note });
}

export function exportModel(model: tf.LayersModel, opts: ExportOptions = {}): ExportResult {
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  if (inputShape.length !== 3 || inputShape.some((d) => !(d > 0))) throw new ExportError(`input shape must be [H, W, C], got [${inputShape}]`);
  const views = exportView(model);
  const blocks = groupBlocks(views);
  const input: State = { h: inputShape[0], w: inputShape[1], c: inputShape[2], dtype: 'f32' };
  const chain = new Chain(input, opts.floatEncoding ?? 'f32');
  // Where each training layer's output sits in the .bxn: a value index and its state.
  // The model input: its InputLayer, or a name no view has (tf.sequential lists no InputLayer).
  const names = new Set(views.map((v) => v.name));
  const inputNames = [...views.filter((v) => v.className === 'InputLayer').map((v) => v.name), ...views.flatMap((v) => v.inbound).filter((n) => !names.has(n))];
  const values = new Map<string, { at: number; st: State }>(inputNames.map((n) => [n, { at: 0, st: input }]));
  const valueOf = (name: string) => {
    const v = values.get(name);
    if (!v) throw new ExportError(`layer '${name}' is read before it is written (not in topological order)`);
    return v;
  };
  const readers = new Map<string, number>();
  for (const b of blocks) for (const from of b.layer.inbound) readers.set(from, (readers.get(from) ?? 0) + 1);
  const done = new Set<Block>();
  for (const block of blocks) {
    if (done.has(block)) continue;
    const from = valueOf(block.layer.inbound[0]);
    chain.at = from.at;
    chain.st = from.st;
    const last = blockLayers(block).at(-1)!;
    // The block that reads this one's output, when it is the only reader (a conv -> pool, BN -> sign pair).
    const next = readers.get(last.name) === 1 ? blocks.find((b) => b.layer.inbound[0] === last.name) : undefined;
    if (poolsOnBits(chain, block, next)) {
      emitPoolOnBits(chain, block, next);
      done.add(next);
      values.set(blockLayers(next).at(-1)!.name, { at: chain.at, st: chain.st });
      continue;
    }
    if (block.kind === 'add') emitAdd(chain, block, valueOf(block.layer.inbound[1]));
    else (EMITTERS[block.kind] as Emitter<typeof block.kind>)(chain, block as never);
    values.set(last.name, { at: chain.at, st: chain.st });
  }
  if (chain.at !== chain.layers.length) throw new ExportError('the model output is not the last layer written');
  const st = chain.st;
  if (st.dtype !== 'f32' || st.h * st.w !== 1) throw new ExportError(`the model must end in float logits [1, 1, N]; it ends in ${st.h}x${st.w}x${st.c} ${st.dtype}`);
  const labels = opts.labels ?? [];
  if (labels.length && labels.length !== st.c) throw new ExportError(`${labels.length} labels for ${st.c} outputs`);
  const bytes = writeBxn({
    metadata: {
      name: opts.name ?? model.name,
      producer: opts.producer ?? 'bexnet tools/export',
      inputShape: inputShape as [number, number, number],
      normalization: opts.normalization ?? null,
      labels,
    },
    layers: chain.layers,
    ...(chain.expanders.length && { expanders: chain.expanders }),
  });
  // The sdk's own validation, so nothing leaves here that loadModel would refuse (e.g. a
  // per-channel X graph, which trains but which the X kernels cannot run).
  try {
    readBxn(bytes);
  } catch (e) {
    throw new ExportError(`the sdk would refuse this file: ${(e as Error).message}`);
  }
  return { bytes, layers: chain.report };
}
