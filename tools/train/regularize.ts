// Weight decay for the float layers only: binary layers' latent weights are clipped
// and centred by their own constraint, and batch-norm scales and biases are not decayed.
import * as tf from '@tensorflow/tfjs';
import { ExpanderLayer } from './expander-layers.js';

const FLOAT_LAYERS = new Set(['Conv2D', 'Dense', 'DepthwiseConv2D']);
/** Float layers: the dense ones, and X-layers with float weights (their compact kernel is what is decayed). */
const isFloatLayer = (l: tf.layers.Layer) => FLOAT_LAYERS.has(l.getClassName()) || (l instanceof ExpanderLayer && !l.quantizer);

/** The kernels of a model's float conv / dense layers, as variables. */
export function floatKernels(model: tf.LayersModel): tf.Variable[] {
  const out: tf.Variable[] = [];
  for (const layer of model.layers) {
    if (!isFloatLayer(layer)) continue;
    for (const w of layer.trainableWeights) {
      // Keras names depthwise kernels 'depthwise_kernel'.
      if (/kernel$/.test(w.originalName ?? w.name)) out.push(w.read() as tf.Variable);
    }
  }
  return out;
}

/** Decoupled weight decay (AdamW): w ← w · (1 − factor), factor = lr · decay. */
export function decayFloatKernels(vars: tf.Variable[], factor: number): void {
  if (!(factor > 0)) return;
  tf.tidy(() => { for (const v of vars) v.assign(tf.mul(v, 1 - factor)); });
}
