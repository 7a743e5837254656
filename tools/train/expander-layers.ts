// X-Net layers for training (FORMAT.md §10): ExpanderConv2D and ExpanderDense.
//
// Each output channel reads only D = C_in / divisor input channels, chosen by the
// expander graph of sdk/expander.ts (generator 1, balanced; nodes of 8 input channels
// and blocks of 8 outputs unless `graphNodes` says otherwise, GRAPH_NODES) seeded by the
// layer's `graphSeed`: the exporter writes that seed into the layer's XGRF record and the
// runtime rebuilds the same graph, so the config is all a file needs. Nodes of 8 because
// xbconv2d gathers whole bytes of bits; the float layers use the same graph so float and
// binary X-nets differ only in their weights.
//
// Weights are stored compactly: conv [kh, kw, D, C_out], dense [D, C_out], where input
// k of output o is channel layerChannelTable(graph)[o·D + k] (ascending per output),
// the §10 order, so export packs them as they are. The forward pass expands the
// compact kernel to the dense masked kernel with one gather (zeros where there is no
// edge) and runs the ordinary conv2d / matMul; the expansion's gradient is the
// dense gradient gathered at the edges (a custom gradient, because tfjs's own Gather
// gradient needs UnsortedSegmentSum, which tfjs-backend-wasm lacks).
//
// With `quantizer` ('xnor' | 'dabn') the compact kernel is binarized per output
// filter over its kh·kw·D real weights, exactly as BinaryConv2D does over kh·kw·C_in,
// and binaryInput inputs are ±1 padded with +1 (tools/train/layers.ts conventions).
//
// graphKind 'grouped' is the grouped-convolution baseline with the same D (generator 2,
// FORMAT.md §10: block-diagonal, no seed); `shuffle` makes its groups read their input
// groups with stride G (generator 2's shuffled flag: a ShuffleNet channel shuffle at the
// granularity of 8-channel groups, for a grouped layer fed by a grouped layer).
import * as tf from '@tensorflow/tfjs';
import { GENERATOR_GROUPED, GENERATOR_XOSHIRO_FY, layerChannelTable, layerGraphError, type LayerGraph } from '../../sdk/expander.js';
import { centreAndClampJS, DEFAULT_WEIGHT_GRAD, quantizeWeights, type Quantizer, type WeightGrad } from './quantizers.js';
import { binaryExportOf, checkQuantizer, checkWeightGrad, convOutputShape, padPlusOne, pair, type BinaryExport, type BinaryLayerArgs } from './layers.js';

/** The graph every X-layer uses (FORMAT.md §10): generator 1, balanced; its nodes are GRAPH_NODES[graphNodes]. */
export const X_GRAPH = Object.freeze({ generator: GENERATOR_XOSHIRO_FY, balanced: true });
/** The graph of a 'grouped' X-layer: generator 2, no seed, the same groups of 8. */
export const GROUPED_GRAPH = Object.freeze({ generator: GENERATOR_GROUPED, balanced: false, inGroup: 8, outGroup: 8 });

/**
 * What a node of an expander graph is, as [inGroup, outGroup] (FORMAT.md §10):
 * 'groups' (the default): 8 input channels and blocks of 8 outputs, what every X kernel runs;
 * 'input-channels': single input channels, blocks of 8 outputs (each block its own D
 * channels), run by the float X kernels, which gather per channel (binary ones gather bytes);
 * 'channels': every output its own D inputs, the authors' graph, for training only (the
 * X kernels run blocks of 8 outputs, so the exporter refuses it).
 */
export const GRAPH_NODES = Object.freeze({ groups: [8, 8], 'input-channels': [1, 8], channels: [1, 1] } as const);
export type GraphNodes = keyof typeof GRAPH_NODES;

/** 'expander': generator 1 (the X-Net); 'grouped': generator 2 (grouped convolution, the baseline). */
export type GraphKind = 'expander' | 'grouped';
export const GRAPH_KINDS: readonly GraphKind[] = ['expander', 'grouped'];

type InitName = 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform';

export interface ExpanderLayerArgs extends Omit<BinaryLayerArgs, 'quantizer'> {
  /** Each output channel reads D = C_in / divisor input channels; D must be a multiple of 8. */
  divisor: number;
  /** The graph's seed, an integer in 0 .. 2^32 − 1 (the XGRF record's seedLo; seedHi is 0). 'grouped': absent or 0. */
  graphSeed?: number;
  /** Which graph (default 'expander'). */
  graphKind?: GraphKind;
  /** 'grouped' only: read the input groups shuffled (generator 2's flag bit 1). Default false. */
  shuffle?: boolean;
  /** Binarized weights ('xnor' | 'dabn'), or float weights (null, the default). */
  quantizer?: Quantizer | null;
  /** 'expander' only: what a node of the graph is (GRAPH_NODES); default 'groups'. */
  graphNodes?: GraphNodes;
}

export interface ExpanderConv2DArgs extends ExpanderLayerArgs {
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: 'same' | 'valid';
}

export interface ExpanderDenseArgs extends ExpanderLayerArgs {
  units: number;
}

/** Dense element (tap, input c, output o) ← compact element (tap, k, o): the gather tables of one layer. */
export interface ExpansionTables {
  /** For each dense element, its compact index, or the compact size (the appended zero) where there is no edge. */
  denseFromCompact: Int32Array;
  /** For each compact element, its dense index (each edge appears once: the map is injective). */
  compactToDense: Int32Array;
}

/** Gather tables for a kernel of `taps` taps over `graph` (row-major [taps, C_in, C_out] and [taps, D, C_out]). */
export function expansionTables(graph: LayerGraph, taps: number, channels = layerChannelTable(graph)): ExpansionTables {
  const { inChannels: cin, outChannels: cout, degree: d } = graph;
  const compactSize = taps * d * cout;
  const denseFromCompact = new Int32Array(taps * cin * cout).fill(compactSize);
  const compactToDense = new Int32Array(compactSize);
  for (let t = 0; t < taps; t++) {
    for (let k = 0; k < d; k++) {
      for (let o = 0; o < cout; o++) {
        const ci = (t * d + k) * cout + o, di = (t * cin + channels[o * d + k]) * cout + o;
        compactToDense[ci] = di;
        denseFromCompact[di] = ci;
      }
    }
  }
  return { denseFromCompact, compactToDense };
}

/** compact kernel → dense masked kernel, differentiable (gradient: the dense gradient at the edges). */
function maskedExpansion(compactShape: number[], denseShape: number[], denseFromCompact: tf.Tensor1D, compactToDense: tf.Tensor1D): (w: tf.Tensor) => tf.Tensor {
  const f = (w: tf.Tensor) => ({
    value: tf.reshape(tf.gather(tf.concat([tf.reshape(w, [-1]), tf.zeros([1])]), denseFromCompact), denseShape),
    gradFunc: (dy: tf.Tensor) => tf.reshape(tf.gather(tf.reshape(dy, [-1]), compactToDense), compactShape),
  });
  return tf.customGrad(f as never) as unknown as (w: tf.Tensor) => tf.Tensor;
}

/** What ExpanderConv2D and ExpanderDense share: the graph, the compact kernel and its expansion, binarization. */
export abstract class ExpanderLayer extends tf.layers.Layer {
  divisor: number;
  graphSeed: number;
  graphKind: GraphKind;
  shuffle: boolean;
  graphNodes: GraphNodes;
  quantizer: Quantizer | null;
  weightGrad: WeightGrad | null;
  binaryInput: boolean;
  useBias: boolean;
  kernelInitializer: InitName;
  seed: number | undefined;
  kernel: tf.LayerVariable | null = null;
  bias: tf.LayerVariable | null = null;
  /** Set by build(). */
  graph: LayerGraph | null = null;
  private tables: tf.Tensor1D[] = [];
  private expand: ((w: tf.Tensor) => tf.Tensor) | null = null;
  /** Input-channel axis of the compact kernel (centring of binary latent weights). */
  protected abstract inAxis: number;

  constructor(args: ExpanderLayerArgs) {
    super(args as never);
    this.divisor = args.divisor;
    this.graphKind = args.graphKind ?? 'expander';
    if (!GRAPH_KINDS.includes(this.graphKind)) throw new Error(`${this.getClassName()}: graphKind must be ${GRAPH_KINDS.join(' | ')}, got '${this.graphKind}'`);
    const grouped = this.graphKind === 'grouped';
    this.graphSeed = args.graphSeed ?? (grouped ? 0 : NaN);
    this.shuffle = args.shuffle ?? false;
    if (!(Number.isInteger(this.divisor) && this.divisor >= 1)) throw new Error(`${this.getClassName()}: divisor must be an integer ≥ 1, got ${this.divisor}`);
    if (!(Number.isInteger(this.graphSeed) && this.graphSeed >= 0 && this.graphSeed <= 0xffffffff))
      throw new Error(`${this.getClassName()}: graphSeed must be an integer in 0..2^32-1, got ${this.graphSeed}`);
    if (grouped && this.graphSeed !== 0) throw new Error(`${this.getClassName()}: a grouped layer has no graph seed (got graphSeed ${this.graphSeed})`);
    if (!grouped && this.shuffle) throw new Error(`${this.getClassName()}: shuffle is for graphKind 'grouped' only`);
    this.graphNodes = args.graphNodes ?? 'groups';
    if (!Object.hasOwn(GRAPH_NODES, this.graphNodes)) throw new Error(`${this.getClassName()}: graphNodes must be ${Object.keys(GRAPH_NODES).join(' | ')}, got '${this.graphNodes}'`);
    if (grouped && this.graphNodes !== 'groups') throw new Error(`${this.getClassName()}: graphNodes is for graphKind 'expander' only`);
    this.quantizer = args.quantizer == null ? null : checkQuantizer(args.quantizer);
    this.weightGrad = this.quantizer ? checkWeightGrad(args.weightGrad ?? DEFAULT_WEIGHT_GRAD[this.quantizer]) : null;
    this.binaryInput = this.quantizer ? args.binaryInput ?? true : false;
    this.useBias = args.useBias ?? false;
    this.kernelInitializer = args.kernelInitializer ?? 'glorotUniform';
    this.seed = args.seed;
  }

  /** Builds the graph, the compact kernel [...taps, D, C_out] and the expansion to [...taps, C_in, C_out]. */
  protected buildKernel(cin: number, cout: number, tapsShape: number[]): void {
    const graph: LayerGraph = this.graphKind === 'grouped'
      ? {
        inChannels: cin, outChannels: cout, degree: cin / this.divisor, inGroup: GROUPED_GRAPH.inGroup, outGroup: GROUPED_GRAPH.outGroup,
        seedLo: 0, seedHi: 0, balanced: GROUPED_GRAPH.balanced, generator: GROUPED_GRAPH.generator, shuffled: this.shuffle,
      }
      : {
        inChannels: cin, outChannels: cout, degree: cin / this.divisor, inGroup: GRAPH_NODES[this.graphNodes][0], outGroup: GRAPH_NODES[this.graphNodes][1],
        seedLo: this.graphSeed, seedHi: 0, balanced: X_GRAPH.balanced,
      };
    const err = layerGraphError(graph);
    if (err) throw new Error(`${this.getClassName()} '${this.name}': C_in ${cin} / divisor ${this.divisor}: ${err}`);
    this.graph = graph;
    const taps = tapsShape.reduce((a, b) => a * b, 1);
    const { denseFromCompact, compactToDense } = expansionTables(graph, taps);
    // Kept: build() may run inside a tidy (an eager apply), and the tables live as long as the layer.
    this.tables = [tf.keep(tf.tensor1d(denseFromCompact, 'int32')), tf.keep(tf.tensor1d(compactToDense, 'int32'))];
    const compactShape = [...tapsShape, graph.degree, cout];
    this.expand = maskedExpansion(compactShape, [...tapsShape, cin, cout], this.tables[0], this.tables[1]);
    this.kernel = this.addWeight('kernel', compactShape, 'float32', tf.initializers[this.kernelInitializer]({ seed: this.seed }));
    if (this.useBias) this.bias = this.addWeight('bias', [cout], 'float32', tf.initializers.zeros());
  }

  /** The graph's XGRF parameters (after build). */
  layerGraph(): LayerGraph {
    if (!this.graph) throw new Error(`${this.getClassName()} '${this.name}' is not built`);
    return { ...this.graph };
  }

  /** Fraction of the dense layer's weights that exist: D / C_in. */
  density(): number {
    const g = this.layerGraph();
    return g.degree / g.inChannels;
  }

  /** The compact kernel as used (binarized when the layer is binary), differentiable w.r.t. the latent kernel. */
  compactKernel(): tf.Tensor {
    const w = this.kernel!.read();
    return this.quantizer ? quantizeWeights(w, this.quantizer, this.weightGrad!) : w;
  }

  /** The dense kernel with zeros off the graph, as the forward pass uses it. */
  maskedKernel(): tf.Tensor {
    return this.expand!(this.compactKernel());
  }

  /** Binary layers: centre over the D inputs of each filter and clamp the latent kernel to [-1, 1]. Float: nothing. */
  constrainLatent(): void {
    if (!this.quantizer) return;
    const v = this.kernel!.read() as tf.Variable;
    const t = tf.tensor(centreAndClampJS(v.dataSync() as Float32Array, v.shape, this.inAxis), v.shape);
    v.assign(t);
    t.dispose();
  }

  /** Binary layers: signs and levels of the compact kernel ([...taps, D, C_out]) for the exporter. */
  exportBinary(): BinaryExport {
    if (!this.quantizer) throw new Error(`${this.getClassName()} '${this.name}' has float weights`);
    return binaryExportOf(this.kernel!.read(), this.quantizer, this.bias ? this.bias.read() : null, this.binaryInput);
  }

  dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) {
      tf.dispose(this.tables);
      this.tables = [];
    }
    return result;
  }

  protected baseConfig(): tf.serialization.ConfigDict {
    const binary: tf.serialization.ConfigDict = this.quantizer
      ? { weightGrad: this.weightGrad, binaryInput: this.binaryInput }
      : {};
    return {
      divisor: this.divisor, graphSeed: this.graphSeed, graphKind: this.graphKind, ...(this.graphKind === 'grouped' ? { shuffle: this.shuffle } : {}),
      ...(this.graphNodes !== 'groups' ? { graphNodes: this.graphNodes } : {}),
      quantizer: this.quantizer, ...binary,
      useBias: this.useBias, kernelInitializer: this.kernelInitializer, seed: this.seed ?? null,
    };
  }
}

/** A conv whose output channels each read D = C_in / divisor input channels (an X-Conv). */
export class ExpanderConv2D extends ExpanderLayer {
  static className = 'ExpanderConv2D';
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
  protected inAxis = 2;

  constructor(args: ExpanderConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = pair(args.kernelSize);
    this.strides = pair(args.strides ?? 1);
    this.padding = args.padding ?? 'same';
    if (!(this.filters > 0)) throw new Error('ExpanderConv2D: filters must be > 0');
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    this.buildKernel(s[s.length - 1] as number, this.filters, this.kernelSize);
    this.built = true;
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [xp, pad] = padPlusOne(x, this.binaryInput, this.padding, this.kernelSize, this.strides);
      let y: tf.Tensor = tf.conv2d(xp, this.maskedKernel() as tf.Tensor4D, this.strides, pad);
      if (this.bias) y = tf.add(y, this.bias.read());
      return y;
    });
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return convOutputShape(inputShape, this.padding, this.kernelSize, this.strides, this.filters);
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.baseConfig(), filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding };
  }
}

/** A dense layer whose outputs each read D = K / divisor inputs (an X-Linear); kernel [D, units]. */
export class ExpanderDense extends ExpanderLayer {
  static className = 'ExpanderDense';
  units: number;
  protected inAxis = 0;

  constructor(args: ExpanderDenseArgs) {
    super(args);
    this.units = args.units;
    if (!(this.units > 0)) throw new Error('ExpanderDense: units must be > 0');
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    this.buildKernel(s[s.length - 1] as number, this.units, []);
    this.built = true;
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      let y: tf.Tensor = tf.matMul(x, this.maskedKernel() as tf.Tensor2D);
      if (this.bias) y = tf.add(y, this.bias.read());
      return y;
    });
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...s.slice(0, -1), this.units];
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.baseConfig(), units: this.units };
  }
}

tf.serialization.registerClass(ExpanderConv2D);
tf.serialization.registerClass(ExpanderDense);
