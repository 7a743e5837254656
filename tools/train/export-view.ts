// A flat, exporter-friendly view of a trained model: every layer in topological
// order with the tensors and attributes tools/export needs. Binary layers give
// their sign mask and per-filter levels (BinaryExport); batch norms give
// gamma, beta, moving mean/variance and epsilon (inference form
// y = gamma * (x - mean) / sqrt(var + eps) + beta); float convs/dense give kernel
// and bias. Sketchnet's binary blocks appear, in the default 'bn-sign-conv-pool'
// order, as conv -> [ReLU] -> [maxpool] -> BN -> sign, and in the older
// 'conv-bn-pool-sign' order as conv -> BN -> [maxpool] -> sign (tools/train/models.ts).
import * as tf from '@tensorflow/tfjs';
import type { LayerGraph } from '../../sdk/expander.js';
import { ExpanderLayer } from './expander-layers.js';
import { isBinaryLayer, SignActivation, type BinaryExport } from './layers.js';

export interface LayerView {
  name: string;
  className: string;
  /** Names of the layers feeding this one. */
  inbound: string[];
  outputShape: (number | null)[];
  config: Record<string, unknown>;
  /** Float weights by short name (kernel, bias, gamma, beta, moving_mean, moving_variance). */
  weights: Record<string, { shape: number[]; values: Float32Array }>;
  binary?: BinaryExport;
  /** X-layers (ExpanderConv2D / ExpanderDense): the expander graph; `kernel` and `binary` are then compact ([..., D, C_out]). */
  graph?: LayerGraph;
}

/** Layers that are the identity at inference: left out, their readers wired to their input. */
const INFERENCE_IDENTITY = new Set(['SeededDropout', 'Dropout']);

export function exportView(model: tf.LayersModel): LayerView[] {
  const out: LayerView[] = [];
  const skipped = new Map<string, string>(); // identity layer → the layer it reads
  for (const layer of model.layers) {
    const inbound = layer.inboundNodes.flatMap((n) => n.inboundLayers.map((l) => skipped.get(l.name) ?? l.name));
    if (INFERENCE_IDENTITY.has(layer.getClassName()) && inbound.length === 1) { skipped.set(layer.name, inbound[0]); continue; }
    const weights: LayerView['weights'] = {};
    for (const w of layer.weights) {
      const short = w.originalName.split('/').pop()!;
      weights[short] = { shape: w.shape.slice() as number[], values: (w.read().dataSync() as Float32Array).slice() };
    }
    const v: LayerView = {
      name: layer.name, className: layer.getClassName(), inbound,
      outputShape: (Array.isArray(layer.outputShape[0]) ? layer.outputShape[0] : layer.outputShape) as (number | null)[],
      config: layer.getConfig() as Record<string, unknown>, weights,
    };
    if (isBinaryLayer(layer)) v.binary = layer.exportBinary();
    if (layer instanceof ExpanderLayer) {
      v.graph = layer.layerGraph();
      if (layer.quantizer) v.binary = layer.exportBinary();
    }
    if (layer instanceof SignActivation) v.config = { ...v.config, binarizer: 'x < 0 ? -1 : +1' };
    out.push(v);
  }
  return out;
}
