// Reference models, each definable as float / xnor / dabn.
//
// sketchnet: Sketch-A-Net adapted to 28x28 (fully convolutional: large strided
// first conv, a 3x3 conv stack with pooling, then the "fc" layers as a valid conv
// and 1x1 convs). First conv always full precision; last conv selectable
// (lastLayer 'float' = float weights on ReLU'd float inputs, the papers' choice;
// 'binary' = binary weights on binary inputs, with a bias).
// Binary blocks follow the authors' order BN -> sign -> conv -> [maxpool] (as a
// chain: conv -> [maxpool] -> BN -> sign), so every sign sees a freshly
// batch-normed map; the exporter runs conv (float out) -> maxpool -> BN+sign
// (packSignsAffine). blockOrder 'conv-bn-pool-sign' keeps the older
// conv -> BN -> [maxpool] -> sign, which the exporter runs as conv -> BN -> sign
// (threshold) -> maxpool on bits (sign is monotone, so it commutes with max).
//
//  layer  kind              out         MACs (345 classes)
//  conv1  5x5/2 float        14x14x32    0.16M
//  conv2  3x3 bin, pool      14x14x64    3.61M   -> 7x7
//  conv3  3x3 bin, pool       7x7x128    3.61M   -> 3x3
//  conv4  3x3 valid bin       1x1x256    0.29M
//  conv5  1x1 bin             1x1x512    0.13M
//  conv6  1x1 last            1x1xC      0.18M
//  total ~0.70M params, ~8.0M MACs per 28x28 image.
//
// sketchnet with `expander: { f, seed }` is its X-Net: conv2..conv5 become
// ExpanderConv2D (each output reads C_in / f channels, ~1/f of the MACs and weights
// of those layers); conv1 and conv6 stay dense, as in the authors' X-ResNet.
// `kind: 'grouped'` is the baseline of equal parameters: the same layers as grouped
// convolutions (G = f groups of 8-channel groups, FORMAT.md §10 generator 2), conv3..conv5
// reading their input shuffled (a channel shuffle between stacked grouped convs, as
// ShuffleNet; conv2 reads the dense conv1 and needs none).
//
// resnet: a small ResNet for 28x28 (stem conv, 3 stages of basic blocks with
// 32/64/128 channels, strides 1/2/2, global average pool, dense head). Binary
// variants use Bi-Real-style blocks: every 3x3 conv is sign -> binary conv -> BN
// with its own identity shortcut; downsampling shortcuts are avgpool + float 1x1
// conv + BN (kept float, as is common practice).
// mobilenet: depthwise-separable blocks for 28x28, float only (mobileNet below); with
// `expander` the authors' X-MobileNet, X-convs in the pointwise layers of blocks 2-5.
//
// resnet with `expander` is its X-ResNet: every 3x3 conv in the blocks an X-conv
// (or a grouped conv, 'grouped', shuffled before all but the first), the stem,
// shortcuts and classifier dense, as in the authors' X-ResNet.
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../sdk/prng.js';
import { ExpanderConv2D, GRAPH_KINDS, type GraphKind, type GraphNodes } from './expander-layers.js';
import { BinaryConv2D, BinaryDense, SignActivation } from './layers.js';
import type { Quantizer, WeightGrad } from './quantizers.js';
import { SeededDropout } from './regularize.js';

export type Variant = 'float' | Quantizer;
export const VARIANTS: readonly Variant[] = ['float', 'xnor', 'dabn'];
export type ModelName = 'sketchnet' | 'resnet' | 'mobilenet';
export const MODELS: readonly ModelName[] = ['sketchnet', 'resnet', 'mobilenet'];

export interface ModelOptions {
  variant: Variant;
  classes: number;
  /** Multiplies every hidden width (default 1). */
  width?: number;
  /** Last layer precision for binary variants (default 'float'). */
  lastLayer?: 'float' | 'binary';
  seed?: number;
  inputShape?: [number, number, number];
  /**
   * sketchnet block order for binary variants (float ignores it):
   *  'bn-sign-conv-pool' (default; the authors' Sketch-A-Net order): BN -> sign ->
   *    conv -> [ReLU] -> [maxpool]; the BN re-centres the pooled map right before
   *    the sign. As a chain this is conv -> [ReLU] -> [pool] -> BN -> sign.
   *  'conv-bn-pool-sign' (the order before): conv -> BN -> [maxpool] -> sign. The
   *    pool runs on batch-normed values, so ~94% of the sign inputs after a pool
   *    are +1. It exports more compactly (BN + sign fold into the conv as a
   *    threshold, the pool runs on bits) but trained ~2 points worse for both xnor
   *    and dabn on QuickDraw-30 (tuning notes in tools/train/recipes.ts).
   */
  blockOrder?: BlockOrder;
  /** With 'bn-sign-conv-pool': ReLU after each binary conv, as the authors do (default false). */
  convRelu?: boolean;
  /**
   * sketchnet binary convs whose inputs stay float (ReLU instead of sign, zero
   * padding; weights still binary), by layer name ('conv2' ... 'conv5', and
   * 'conv6' with a binary last layer), or 'all' for weights-only binarization.
   * HBN chooses this list per layer. Default: none (every binary conv gets ±1 inputs).
   */
  floatInputs?: 'all' | string[];
  /** Weight gradient of every binary layer (default: the quantizer's DEFAULT_WEIGHT_GRAD). */
  weightGrad?: WeightGrad;
  /**
   * Dropout rate on the classifier's float input (SeededDropout, tools/train/regularize.ts),
   * as Sketch-A-Net drops out its fully connected layers; 0 (default): none. A classifier
   * reading ±1 inputs (binary last layer) takes none: dropout would feed it zeros.
   */
  dropout?: number;
  /**
   * An X-Net (FORMAT.md §10). resnet: every 3x3 conv in its blocks (see resNet; no
   * head). sketchnet: the inner convs conv2..conv5 become
   * ExpanderConv2D, each output reading D = C_in / f input channels; conv1 and the
   * classifier conv6 stay dense, as in the authors' X-ResNet (see `head`). Binary X-convs
   * named in floatInputs read float inputs (xconv2dBinaryWeights). Layer i's graph seed is
   * seed + i (i = 0 for conv2). D must be a multiple of 8 (f = 8 needs width ≥ 2).
   */
  expander?: ExpanderOptions;
}

export interface ExpanderOptions {
  /** Each output channel reads C_in / f input channels. */
  f: 2 | 4 | 8;
  /** Graph seed of the first X-conv (u32); the next ones take seed + 1, + 2, ... ('grouped' ignores it). */
  seed: number;
  /** 'expander' (default): random expander graphs; 'grouped': grouped convs with the same D (the baseline). */
  kind?: GraphKind;
  /** 'grouped': channel shuffle before conv3..conv5 (default true). */
  shuffle?: boolean;
  /** 'expander': what a graph node is (GRAPH_NODES in expander-layers.ts; default 'groups', the one every X kernel runs). */
  graphNodes?: GraphNodes;
  /**
   * A layer whose C_in / f is not a multiple of 8 (conv2's 32 inputs at f = 8) reads D = 8
   * instead of failing (its own f is then C_in / 8). Default false.
   */
  clampDegree?: boolean;
  /**
   * The classifier conv6 becomes an X-conv too (binary models with lastLayer 'binary' only;
   * with floatInputs ['conv6'] it is a binary-weight X head on float features, the smallest
   * file). Default false: the classifier stays dense, as in the authors' X-ResNet.
   */
  head?: boolean;
}

export type BlockOrder = 'conv-bn-pool-sign' | 'bn-sign-conv-pool';
export const BLOCK_ORDERS: readonly BlockOrder[] = ['conv-bn-pool-sign', 'bn-sign-conv-pool'];

/** Initializer seeds: a stream of 31-bit integers from the sdk's PRNG. */
function seeds(seed: number) {
  const rng = mulberry32(seed);
  return () => Math.floor(rng() * 2147483648);
}

function bn(name: string) {
  return tf.layers.batchNormalization({ name, momentum: 0.9, epsilon: 1e-3 });
}

/** What every model builder starts from: widths, a seed stream, the variant, the input. */
function modelBasics(opts: ModelOptions) {
  const wm = opts.width ?? 1;
  return {
    variant: opts.variant,
    classes: opts.classes,
    ch: (c: number) => Math.max(8, Math.round(c * wm)),
    next: seeds(opts.seed ?? 1),
    bin: opts.variant !== 'float',
    q: opts.variant as Quantizer,
    weightGrad: opts.weightGrad,
    inp: tf.input({ shape: opts.inputShape ?? [28, 28, 1], name: 'image' }),
  };
}

/** The classifier's input after dropout at opts.dropout (unchanged at 0). */
function classifierDropout(x: tf.SymbolicTensor, opts: ModelOptions, name: string): tf.SymbolicTensor {
  return opts.dropout ? new SeededDropout({ name, rate: opts.dropout, salt: 1 }).apply(x) as tf.SymbolicTensor : x;
}

export function sketchNet(opts: ModelOptions): tf.LayersModel {
  const { variant, classes, ch, next, bin, q, weightGrad, inp } = modelBasics(opts);
  const BINARY_CONVS = ['conv2', 'conv3', 'conv4', 'conv5', 'conv6'];
  const fi = opts.floatInputs ?? [];
  for (const n of fi === 'all' ? [] : fi) {
    if (!BINARY_CONVS.includes(n)) throw new Error(`floatInputs: '${n}' is not a binary sketchnet conv (${BINARY_CONVS.join(', ')})`);
  }
  const floatIn = (conv: string) => fi === 'all' || fi.includes(conv);
  // The activation feeding binary conv `into`: sign, or ReLU where its input stays float.
  const act = (x: tf.SymbolicTensor, name: string, into: string) =>
    (bin && !floatIn(into) ? new SignActivation({ name }) : tf.layers.reLU({ name })).apply(x) as tf.SymbolicTensor;
  const X = opts.expander;
  if (X?.head && !(bin && opts.lastLayer === 'binary')) throw new Error("expander.head: an X classifier needs a binary model with lastLayer 'binary'");
  // conv2 reads the dense conv1, so as the first X-conv it is the one grouped conv not shuffled.
  const xArgs = xConvArgs(X, 'sketchnet');
  const cin = (x: tf.SymbolicTensor) => x.shape[3] as number;
  const conv = (x: tf.SymbolicTensor, name: string, filters: number, k: number, padding: 'same' | 'valid') =>
    (X
      ? new ExpanderConv2D({ name, filters, kernelSize: k, padding, ...xArgs(cin(x)), useBias: false, seed: next(),
        ...(bin ? { quantizer: q, weightGrad, binaryInput: !floatIn(name) } : { kernelInitializer: 'heNormal' as const }) })
      : bin
        ? new BinaryConv2D({ name, filters, kernelSize: k, padding, quantizer: q, weightGrad, binaryInput: !floatIn(name), seed: next() })
        : tf.layers.conv2d({ name, filters, kernelSize: k, padding, useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: next() }) })
    ).apply(x) as tf.SymbolicTensor;
  const pool = (x: tf.SymbolicTensor, name: string) => tf.layers.maxPooling2d({ name, poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;

  let x = tf.layers.conv2d({ name: 'conv1', filters: ch(32), kernelSize: 5, strides: 2, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: next() }) }).apply(inp) as tf.SymbolicTensor;
  x = bn('bn1').apply(x) as tf.SymbolicTensor;
  x = act(x, 'act1', 'conv2');
  const order = opts.blockOrder ?? 'bn-sign-conv-pool';
  if (!BLOCK_ORDERS.includes(order)) throw new Error(`blockOrder must be one of ${BLOCK_ORDERS.join(' | ')}, got '${order}'`);
  if (bin && order === 'bn-sign-conv-pool') {
    // conv -> [ReLU] -> [pool] -> BN -> sign: the BN sits right before every sign.
    const relu = (h: tf.SymbolicTensor, name: string) => (opts.convRelu ? tf.layers.reLU({ name }).apply(h) as tf.SymbolicTensor : h);
    x = pool(relu(conv(x, 'conv2', ch(64), 3, 'same'), 'relu2'), 'pool2');
    x = act(bn('bn2').apply(x) as tf.SymbolicTensor, 'act2', 'conv3');
    x = pool(relu(conv(x, 'conv3', ch(128), 3, 'same'), 'relu3'), 'pool3');
    x = act(bn('bn3').apply(x) as tf.SymbolicTensor, 'act3', 'conv4');
    x = relu(conv(x, 'conv4', ch(256), 3, 'valid'), 'relu4');
    x = act(bn('bn4').apply(x) as tf.SymbolicTensor, 'act4', 'conv5');
  } else {
    x = conv(x, 'conv2', ch(64), 3, 'same');
    x = bn('bn2').apply(x) as tf.SymbolicTensor;
    x = pool(x, 'pool2');
    x = act(x, 'act2', 'conv3');
    x = conv(x, 'conv3', ch(128), 3, 'same');
    x = bn('bn3').apply(x) as tf.SymbolicTensor;
    x = pool(x, 'pool3');
    x = act(x, 'act3', 'conv4');
    x = conv(x, 'conv4', ch(256), 3, 'valid');
    x = bn('bn4').apply(x) as tf.SymbolicTensor;
    x = act(x, 'act4', 'conv5');
  }
  x = conv(x, 'conv5', ch(512), 1, 'valid');
  x = bn('bn5').apply(x) as tf.SymbolicTensor;
  if (bin && opts.lastLayer === 'binary') {
    if (opts.dropout) throw new Error('dropout: a binary last layer reads ±1 inputs; dropout applies to a float classifier input');
    x = act(x, 'act5', 'conv6');
    const head = X?.head
      ? new ExpanderConv2D({ name: 'conv6', filters: classes, kernelSize: 1, padding: 'valid', ...xArgs(cin(x)), quantizer: q, weightGrad, binaryInput: !floatIn('conv6'), useBias: true, seed: next() })
      : new BinaryConv2D({ name: 'conv6', filters: classes, kernelSize: 1, padding: 'valid', quantizer: q, weightGrad, binaryInput: !floatIn('conv6'), useBias: true, seed: next() });
    x = head.apply(x) as tf.SymbolicTensor;
  } else {
    x = tf.layers.reLU({ name: 'act5' }).apply(x) as tf.SymbolicTensor;
    x = classifierDropout(x, opts, 'drop5');
    x = tf.layers.conv2d({ name: 'conv6', filters: classes, kernelSize: 1, useBias: true, kernelInitializer: tf.initializers.glorotUniform({ seed: next() }) }).apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.flatten({ name: 'logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: x, name: `sketchnet${xModelSuffix(X)}_${variant}` });
}

/**
 * The X-conv arguments of a model's X-layers, called in build order with each one's input
 * channels: D = C_in / f (8 where clampDegree and C_in / f < 8); graph seeds X.seed, + 1, ...;
 * grouped: a channel shuffle before every grouped conv but the first (it reads a dense layer).
 */
function xConvArgs(X: ExpanderOptions | undefined, model: ModelName) {
  if (X && !([2, 4, 8] as number[]).includes(X.f)) throw new Error(`expander.f must be 2, 4 or 8, got ${X.f}`);
  if (X?.head && model !== 'sketchnet') throw new Error(`${model}: expander.head is sketchnet only (its classifier stays dense)`);
  const kind = X?.kind ?? 'expander';
  if (X && !GRAPH_KINDS.includes(kind)) throw new Error(`expander.kind must be ${GRAPH_KINDS.join(' | ')}, got '${kind}'`);
  let graphSeed = X ? X.seed : 0, built = 0;
  return (cin: number) => {
    const divisor = X!.clampDegree && cin / X!.f < 8 ? Math.max(1, cin / 8) : X!.f;
    const graph = kind === 'grouped'
      ? { graphKind: 'grouped' as const, shuffle: built > 0 && (X!.shuffle ?? true) }
      : { graphSeed: (graphSeed++) >>> 0, ...(X!.graphNodes ? { graphNodes: X!.graphNodes } : {}) };
    built++;
    return { divisor, ...graph };
  };
}

/** _x4 / _g4 in an X / grouped model's name (_x4i, _x4c: input-channel, channel graph nodes; _g4p: grouped, no shuffle). */
const xModelSuffix = (X: ExpanderOptions | undefined) => (X ? `_${X.kind === 'grouped' ? 'g' : 'x'}${X.f}${X.graphNodes === 'channels' ? 'c' : X.graphNodes === 'input-channels' ? 'i' : X.kind === 'grouped' && X.shuffle === false ? 'p' : ''}` : '');

export function resNet(opts: ModelOptions): tf.LayersModel {
  const { variant, classes, ch, next, bin, q, weightGrad, inp } = modelBasics(opts);
  // X-ResNet (the authors' placement): every 3x3 conv inside the blocks is an X-conv; the
  // stem, the 1x1 downsampling shortcuts and the classifier stay dense.
  const X = opts.expander, xArgs = xConvArgs(X, 'resnet');
  let id = 0;
  const n = (p: string) => `${p}${++id}`;
  const S = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;

  let x = S(tf.layers.conv2d({ name: 'stem', filters: ch(32), kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: next() }) }), inp);
  x = S(bn('stem_bn'), x);
  if (!bin) x = S(tf.layers.reLU({ name: 'stem_relu' }), x);

  // floatInputs: binary convs (bconvN, numbered as built) reading float inputs through a ReLU
  // instead of a sign, as sketchNet's; 'all' = binary weights on float inputs everywhere (WBin).
  const fi = opts.floatInputs ?? [];
  const blocksBuilt: string[] = [];
  const conv3 = (h: tf.SymbolicTensor, filters: number, stride: number) => {
    const cin = h.shape[3] as number;
    if (!bin) {
      const name = n('conv');
      return S(X
        ? new ExpanderConv2D({ name, filters, kernelSize: 3, strides: stride, padding: 'same', ...xArgs(cin), useBias: false, seed: next(), kernelInitializer: 'heNormal' })
        : tf.layers.conv2d({ name, filters, kernelSize: 3, strides: stride, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: next() }) }), h);
    }
    // Names and seeds drawn in the order they always were: the conv's, then its activation's.
    const name = n('bconv'), floatIn = fi === 'all' || fi.includes(name);
    blocksBuilt.push(name);
    const conv = X
      ? new ExpanderConv2D({ name, filters, kernelSize: 3, strides: stride, padding: 'same', ...xArgs(cin), useBias: false, quantizer: q, weightGrad, binaryInput: !floatIn, seed: next() })
      : new BinaryConv2D({ name, filters, kernelSize: 3, strides: stride, padding: 'same', quantizer: q, weightGrad, binaryInput: !floatIn, seed: next() });
    const actName = n('sign');
    return S(conv, S(floatIn ? tf.layers.reLU({ name: actName }) : new SignActivation({ name: actName }), h));
  };

  const shortcut = (h: tf.SymbolicTensor, filters: number, stride: number, inC: number) => {
    if (stride === 1 && filters === inC) return h;
    let s = stride > 1 ? S(tf.layers.averagePooling2d({ name: n('sc_pool'), poolSize: stride, strides: stride, padding: 'same' }), h) : h;
    s = S(tf.layers.conv2d({ name: n('sc_conv'), filters, kernelSize: 1, useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: next() }) }), s);
    return S(bn(n('sc_bn')), s);
  };

  let inC = ch(32);
  for (const [c, stride] of [[ch(32), 1], [ch(64), 2], [ch(128), 2]] as const) {
    if (bin) {
      // Bi-Real: each binary conv has its own shortcut.
      let h = S(bn(n('bn')), conv3(x, c, stride));
      x = S(tf.layers.add({ name: n('add') }), [h, shortcut(x, c, stride, inC)]);
      h = S(bn(n('bn')), conv3(x, c, 1));
      x = S(tf.layers.add({ name: n('add') }), [h, x]);
    } else {
      let h = S(tf.layers.reLU({ name: n('relu') }), S(bn(n('bn')), conv3(x, c, stride)));
      h = S(bn(n('bn')), conv3(h, c, 1));
      x = S(tf.layers.reLU({ name: n('relu') }), S(tf.layers.add({ name: n('add') }), [h, shortcut(x, c, stride, inC)]));
    }
    inC = c;
  }
  if (fi !== 'all') {
    const built = new Set(blocksBuilt);
    for (const name of fi) if (!built.has(name)) throw new Error(`floatInputs: '${name}' is not a binary resnet conv (${[...built].join(', ') || 'none: a float model'})`);
  }
  if (bin) x = S(tf.layers.reLU({ name: 'head_relu' }), x);
  x = S(tf.layers.globalAveragePooling2d({ name: 'gap' }), x);
  if (bin && opts.lastLayer === 'binary') {
    if (opts.dropout) throw new Error('dropout: a binary last layer reads ±1 inputs; dropout applies to a float classifier input');
    x = S(new SignActivation({ name: 'head_sign' }), x);
    x = S(new BinaryDense({ name: 'fc', units: classes, quantizer: q, weightGrad, useBias: true, seed: next() }), x);
  } else {
    x = classifierDropout(x, opts, 'drop_fc');
    x = S(tf.layers.dense({ name: 'fc', units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: next() }) }), x);
  }
  return tf.model({ inputs: inp, outputs: x, name: `resnet${xModelSuffix(X)}_${variant}` });
}

/**
 * A MobileNet-style net for 28x28 (float only, as the authors' X-MobileNet): a 3x3/2 stem, five
 * depthwise-separable blocks (depthwise 3x3 -> BN -> ReLU -> pointwise 1x1 -> BN -> ReLU;
 * strides 1, 2, 1, 2, 1; 64, 128, 128, 256, 256 channels at width 1), global average pool,
 * dense classifier. With `expander`: the pointwise convs of blocks 2-5 are X-convs (or grouped,
 * 'grouped', shuffled before all but the first); the stem, the depthwise convs and block 1 stay
 * dense, as in the authors' X-MobileNet.
 */
export function mobileNet(opts: ModelOptions): tf.LayersModel {
  const { variant, classes, ch, next, bin, inp } = modelBasics(opts);
  if (bin) throw new Error(`mobilenet: float only (variant '${variant}'); its depthwise convs have no binary form here`);
  if (opts.floatInputs || opts.lastLayer === 'binary') throw new Error('mobilenet: floatInputs and a binary last layer are for binary models');
  const X = opts.expander, xArgs = xConvArgs(X, 'mobilenet');
  const S = (l: tf.layers.Layer, x: tf.SymbolicTensor) => l.apply(x) as tf.SymbolicTensor;
  const he = () => tf.initializers.heNormal({ seed: next() });

  let x = S(tf.layers.conv2d({ name: 'stem', filters: ch(32), kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: he() }), inp);
  x = S(tf.layers.reLU({ name: 'stem_relu' }), S(bn('stem_bn'), x));
  const blocks: [number, number][] = [[ch(64), 1], [ch(128), 2], [ch(128), 1], [ch(256), 2], [ch(256), 1]];
  blocks.forEach(([filters, stride], i) => {
    const b = i + 1;
    x = S(tf.layers.depthwiseConv2d({ name: `dw${b}`, kernelSize: 3, strides: stride, padding: 'same', useBias: false, depthwiseInitializer: he() }), x);
    x = S(tf.layers.reLU({ name: `dw${b}_relu` }), S(bn(`dw${b}_bn`), x));
    const cin = x.shape[3] as number;
    let pw: tf.layers.Layer;
    if (X && b > 1) {
      pw = new ExpanderConv2D({ name: `pw${b}`, filters, kernelSize: 1, padding: 'valid', ...xArgs(cin), useBias: false, seed: next(), kernelInitializer: 'heNormal' });
    } else {
      pw = tf.layers.conv2d({ name: `pw${b}`, filters, kernelSize: 1, useBias: false, kernelInitializer: he() });
    }
    x = S(tf.layers.reLU({ name: `pw${b}_relu` }), S(bn(`pw${b}_bn`), S(pw, x)));
  });
  x = S(tf.layers.globalAveragePooling2d({ name: 'gap' }), x);
  x = classifierDropout(x, opts, 'drop_fc');
  x = S(tf.layers.dense({ name: 'fc', units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: next() }) }), x);
  return tf.model({ inputs: inp, outputs: x, name: `mobilenet${xModelSuffix(X)}_${variant}` });
}

export function buildModel(name: ModelName, opts: ModelOptions): tf.LayersModel {
  if (name === 'sketchnet') return sketchNet(opts);
  if (name === 'resnet') return resNet(opts);
  if (name === 'mobilenet') return mobileNet(opts);
  throw new Error(`unknown model '${name}' (expected ${MODELS.join(' | ')})`);
}
