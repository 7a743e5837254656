// Binarized tfjs-layers: SignActivation, BinaryConv2D, BinaryDense.
// All three serialise (getConfig + registerClass) so models saved with
// tools/train/file-io.ts reload with tf.loadLayersModel.
//
// Conventions (ARCHITECTURE.md):
//  - sign(0) = +1; SignActivation's gradient is the clipped STE.
//  - A binary-input conv (binaryInput: true) pads its ±1 input with +1 using
//    tf.pad(x, pads, 1) and TensorFlow's 'same' geometry (extra row bottom/right),
//    then runs a 'valid' conv. Float-input convs pad with 0 as usual.
//  - Weights are binarized per output filter by quantizeWeights (xnor | dabn).
//    Latent weights are centred over the input-channel axis and clamped to [-1, 1]
//    by constrainLatent(), which the trainer calls after each optimizer step.
import * as tf from '@tensorflow/tfjs';
import { centreAndClampJS, DEFAULT_WEIGHT_GRAD, levels, quantizeWeights, signSTE, type Quantizer, QUANTIZERS, WEIGHT_GRADS, type WeightGrad } from './quantizers.js';

type Kwargs = Record<string, unknown>;
type InitName = 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform';

/** What the exporter reads from a binary layer (see exportBinary()). */
export interface BinaryExport {
  quantizer: Quantizer;
  /** ±1 values, same shape as the kernel: [kh, kw, ci, co] or [in, out]. bit = (value < 0). */
  signs: Float32Array;
  kernelShape: number[];
  /** Per-filter levels: W~ = beta + (alpha - beta) * (sign > 0). xnor: alpha = scale, beta = -scale. */
  alpha: Float32Array;
  beta: Float32Array;
  /** XNOR scale mean|W| (xnor only). */
  scale: Float32Array | null;
  /** Output transform y = A*sumX + B*dot + C (before any following batch norm). */
  A: Float32Array;
  B: Float32Array;
  C: Float32Array;
  /** Bias (C) or null when the layer has none. */
  bias: Float32Array | null;
  binaryInput: boolean;
}

export function checkQuantizer(q: unknown): Quantizer {
  if (!QUANTIZERS.includes(q as Quantizer)) throw new Error(`quantizer must be one of ${QUANTIZERS.join(' | ')}, got '${q}'`);
  return q as Quantizer;
}

export function checkWeightGrad(g: unknown): WeightGrad {
  if (!WEIGHT_GRADS.includes(g as WeightGrad)) throw new Error(`weightGrad must be one of ${WEIGHT_GRADS.join(' | ')}, got '${g}'`);
  return g as WeightGrad;
}

export function pair(v: number | number[]): [number, number] {
  return Array.isArray(v) ? [v[0], v.length > 1 ? v[1] : v[0]] : [v, v];
}

/** TensorFlow 'same' padding for one axis: [before, after]. */
export function samePads(inSize: number, k: number, s: number): [number, number] {
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + k - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * ±1 inputs of a 'same' conv padded with +1 (ARCHITECTURE.md), so the conv itself runs
 * 'valid'; other inputs and paddings pass through. Shared by BinaryConv2D and ExpanderConv2D.
 */
export function padPlusOne(x: tf.Tensor4D, binaryInput: boolean, padding: 'same' | 'valid', kernelSize: [number, number], strides: [number, number]): [tf.Tensor4D, 'same' | 'valid'] {
  if (!binaryInput || padding !== 'same') return [x, padding];
  const [t, b] = samePads(x.shape[1], kernelSize[0], strides[0]);
  const [l, r] = samePads(x.shape[2], kernelSize[1], strides[1]);
  return [t + b + l + r > 0 ? tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]], 1) : x, 'valid'];
}

/** A 2-D conv layer's output shape (NHWC), as tf.conv2d computes it. */
export function convOutputShape(inputShape: tf.Shape | tf.Shape[], padding: 'same' | 'valid', kernelSize: [number, number], strides: [number, number], filters: number): tf.Shape {
  const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  const out = (n: number | null, i: 0 | 1) => {
    if (n == null) return null;
    return padding === 'same' ? Math.ceil(n / strides[i]) : Math.floor((n - kernelSize[i]) / strides[i]) + 1;
  };
  return [s[0], out(s[1], 0), out(s[2], 1), filters];
}

export interface SignActivationArgs { name?: string; trainable?: boolean; inputShape?: number[] }

/** x -> where(x >= 0, +1, -1); gradient dy * 1{|x| < 1}. */
export class SignActivation extends tf.layers.Layer {
  static className = 'SignActivation';
  constructor(args: SignActivationArgs = {}) {
    super(args as never);
    this.supportsMasking = true;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return signSTE(x);
  }
  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
}

/** Options shared by BinaryConv2D and BinaryDense (and, with a nullable quantizer, the X-layers). */
export interface BinaryLayerArgs {
  quantizer?: Quantizer;
  /** Weight-gradient treatment (quantizers.ts); default DEFAULT_WEIGHT_GRAD[quantizer]. */
  weightGrad?: WeightGrad;
  /** Input is ±1 (after SignActivation): pad with +1. Default true. */
  binaryInput?: boolean;
  useBias?: boolean;
  kernelInitializer?: InitName;
  seed?: number;
  name?: string;
  trainable?: boolean;
  inputShape?: number[];
}

export interface BinaryConv2DArgs extends BinaryLayerArgs {
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: 'same' | 'valid';
}

/**
 * The export form of binarized weights `w` (filters along the last axis): ±1 signs,
 * per-filter levels and the output transform. Shared by the dense binary layers and
 * the X-layers (tools/train/expander-layers.ts), whose `w` is the compact kernel.
 */
export function binaryExportOf(w: tf.Tensor, quantizer: Quantizer, biasT: tf.Tensor | null, binaryInput: boolean): BinaryExport {
  const L = levels(w, quantizer);
  const signs = tf.tidy(() => tf.sub(tf.mul(L.mask, 2), 1)).dataSync() as Float32Array;
  const alpha = L.alpha.dataSync() as Float32Array, beta = L.beta.dataSync() as Float32Array;
  tf.dispose([L.mask, L.alpha, L.beta, L.threshold]);
  const co = alpha.length;
  const A = new Float32Array(co), B = new Float32Array(co), C = new Float32Array(co);
  const bias = biasT ? (biasT.dataSync() as Float32Array).slice() : null;
  for (let o = 0; o < co; o++) {
    A[o] = quantizer === 'xnor' ? 0 : (alpha[o] + beta[o]) / 2;
    B[o] = (alpha[o] - beta[o]) / 2;
    C[o] = bias ? bias[o] : 0;
  }
  return {
    quantizer, signs: signs.slice(), kernelShape: w.shape.slice(),
    alpha: alpha.slice(), beta: beta.slice(), scale: quantizer === 'xnor' ? alpha.slice() : null,
    A, B, C, bias, binaryInput,
  };
}

/** Shared kernel handling of BinaryConv2D and BinaryDense. */
abstract class BinaryBase extends tf.layers.Layer {
  quantizer: Quantizer;
  weightGrad: WeightGrad;
  useBias: boolean;
  kernelInitializer: InitName;
  seed: number | undefined;
  kernel: tf.LayerVariable | null = null;
  bias: tf.LayerVariable | null = null;
  /** Input-channel axis of the kernel (centring). */
  protected abstract inAxis: number;

  constructor(args: { quantizer?: Quantizer; weightGrad?: WeightGrad; useBias?: boolean; kernelInitializer?: InitName; seed?: number; name?: string; trainable?: boolean; inputShape?: number[] }) {
    super(args as never);
    this.quantizer = checkQuantizer(args.quantizer ?? 'dabn');
    this.weightGrad = checkWeightGrad(args.weightGrad ?? DEFAULT_WEIGHT_GRAD[this.quantizer]);
    this.useBias = args.useBias ?? false;
    this.kernelInitializer = args.kernelInitializer ?? 'glorotUniform';
    this.seed = args.seed;
  }

  protected makeKernel(shape: number[], outUnits: number) {
    const init = tf.initializers[this.kernelInitializer]({ seed: this.seed });
    this.kernel = this.addWeight('kernel', shape, 'float32', init);
    if (this.useBias) this.bias = this.addWeight('bias', [outUnits], 'float32', tf.initializers.zeros());
  }

  /** Binarized kernel W~ (differentiable w.r.t. the latent kernel). */
  binarizedKernel(): tf.Tensor {
    return quantizeWeights(this.kernel!.read(), this.quantizer, this.weightGrad);
  }

  /** Centre over the input-channel axis and clamp the latent kernel to [-1, 1]. */
  constrainLatent(): void {
    const v = this.kernel!.read() as tf.Variable;
    const t = tf.tensor(centreAndClampJS(v.dataSync() as Float32Array, v.shape, this.inAxis), v.shape);
    v.assign(t);
    t.dispose();
  }

  /** Everything the exporter needs for this layer (see BinaryExport). */
  exportBinary(): BinaryExport {
    return binaryExportOf(this.kernel!.read(), this.quantizer, this.bias ? this.bias.read() : null, this.binaryInputFlag());
  }

  protected abstract binaryInputFlag(): boolean;

  baseConfig(): tf.serialization.ConfigDict {
    // weightGrad only when not the default: saved models (and their sizes in results) stay as before.
    const grad: tf.serialization.ConfigDict = this.weightGrad === DEFAULT_WEIGHT_GRAD[this.quantizer] ? {} : { weightGrad: this.weightGrad };
    return { quantizer: this.quantizer, ...grad, useBias: this.useBias, kernelInitializer: this.kernelInitializer, seed: this.seed ?? null };
  }
}

/** Conv2D with binarized weights; with binaryInput, ±1 inputs padded with +1. */
export class BinaryConv2D extends BinaryBase {
  static className = 'BinaryConv2D';
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
  binaryInput: boolean;
  protected inAxis = 2;

  constructor(args: BinaryConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = pair(args.kernelSize);
    this.strides = pair(args.strides ?? 1);
    this.padding = args.padding ?? 'same';
    this.binaryInput = args.binaryInput ?? true;
    if (!(this.filters > 0)) throw new Error('BinaryConv2D: filters must be > 0');
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const ci = s[s.length - 1] as number;
    this.makeKernel([this.kernelSize[0], this.kernelSize[1], ci, this.filters], this.filters);
    this.built = true;
  }

  /** Explicit [top, bottom, left, right] padding for an input of h x w. */
  call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const wq = this.binarizedKernel() as tf.Tensor4D;
      const [xp, pad] = padPlusOne(x, this.binaryInput, this.padding, this.kernelSize, this.strides);
      let y: tf.Tensor = tf.conv2d(xp, wq, this.strides, pad);
      if (this.bias) y = tf.add(y, this.bias.read());
      return y;
    });
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return convOutputShape(inputShape, this.padding, this.kernelSize, this.strides, this.filters);
  }

  protected binaryInputFlag() { return this.binaryInput; }

  getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(), ...this.baseConfig(),
      filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, binaryInput: this.binaryInput,
    };
  }
}

export interface BinaryDenseArgs extends BinaryLayerArgs {
  units: number;
}

/** Dense with binarized weights (kernel [in, out], filters = output units). */
export class BinaryDense extends BinaryBase {
  static className = 'BinaryDense';
  units: number;
  binaryInput: boolean;
  protected inAxis = 0;

  constructor(args: BinaryDenseArgs) {
    super(args);
    this.units = args.units;
    this.binaryInput = args.binaryInput ?? true;
    if (!(this.units > 0)) throw new Error('BinaryDense: units must be > 0');
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    this.makeKernel([s[s.length - 1] as number, this.units], this.units);
    this.built = true;
  }

  call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      let y: tf.Tensor = tf.matMul(x, this.binarizedKernel() as tf.Tensor2D);
      if (this.bias) y = tf.add(y, this.bias.read());
      return y;
    });
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...s.slice(0, -1), this.units];
  }

  protected binaryInputFlag() { return this.binaryInput; }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.baseConfig(), units: this.units, binaryInput: this.binaryInput };
  }
}

tf.serialization.registerClass(SignActivation);
tf.serialization.registerClass(BinaryConv2D);
tf.serialization.registerClass(BinaryDense);

export type BinaryLayer = BinaryConv2D | BinaryDense;

export function isBinaryLayer(l: tf.layers.Layer): l is BinaryLayer {
  return l instanceof BinaryConv2D || l instanceof BinaryDense;
}

/** A layer with latent binary weights to centre and clamp after each step (the binary layers here and the X-layers). */
export interface LatentConstrained { constrainLatent(): void }

const hasLatentConstraint = (l: tf.layers.Layer): l is tf.layers.Layer & LatentConstrained =>
  typeof (l as Partial<LatentConstrained>).constrainLatent === 'function';

/** Applies the latent-weight constraint of every binary layer (after an optimizer step). */
export function constrainLatentWeights(model: tf.LayersModel): void {
  for (const l of model.layers) if (hasLatentConstraint(l)) l.constrainLatent();
}
