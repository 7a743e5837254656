// Regularisers of the training loop: weight decay, dropout and mixup. Weight decay is for the
// float layers only: binary layers' latent weights are clipped and centred by their own
// constraint, and batch-norm scales and biases are not decayed.
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../sdk/prng.js';
import { imageSeed } from '../data/augment.js';
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

// ---------------------------------------------------------------------------
// Dropout with reproducible masks. tfjs's Dropout draws from Math.random (or, given a
// seed, repeats one mask every step), so a seeded run would not replay. Here each
// image's mask is drawn from mulberry32 seeded with the image's own seed, imageSeed(run
// seed, epoch, index in the training split) as augmentation uses (tools/data/augment.ts),
// offset by the layer's salt so two layers (and augmentation) draw unrelated streams: the
// same whatever the batch cut or worker count. The training step names the batch in the
// forward pass's kwargs (`dropoutBatch`, which tfjs hands to every layer); at inference
// the layer is the identity and the exporter leaves it out (tools/train/export-view.ts).

/** The batch a training-mode forward pass runs on: the run's seed, the epoch and each row's image index. */
export interface DropoutBatch { seed: number; epoch: number; idx: Int32Array }

/**
 * The keep mask of one batch, [rows, units] values 0 or 1/(1 − rate) (inverted dropout:
 * the expected activation is unchanged, so inference needs no rescaling).
 */
export function dropoutMask(batch: DropoutBatch, units: number, rate: number, salt: number): Float32Array {
  const rows = batch.idx.length, out = new Float32Array(rows * units), keep = 1 / (1 - rate);
  // Salt 0 must not replay augmentation's stream (seed imageSeed itself): the offset is odd-multiplied salt + 1.
  const offset = Math.imul((salt >>> 0) + 1, 0x9e3779b9);
  for (let r = 0; r < rows; r++) {
    const rng = mulberry32((imageSeed(batch.seed, batch.epoch, batch.idx[r]) ^ offset) >>> 0);
    for (let u = 0; u < units; u++) out[r * units + u] = rng() < rate ? 0 : keep;
  }
  return out;
}

export interface SeededDropoutArgs { rate: number; salt?: number; name?: string }

/** Inverted dropout over every feature of a row, masks from dropoutMask; the identity outside training. */
export class SeededDropout extends tf.layers.Layer {
  static className = 'SeededDropout';
  readonly rate: number;
  readonly salt: number;
  constructor(args: SeededDropoutArgs) {
    super(args as never);
    if (!(args.rate >= 0 && args.rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
    this.salt = args.salt ?? 0;
  }
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs.training !== true || this.rate === 0) return x;
    const batch = kwargs.dropoutBatch as DropoutBatch | undefined;
    if (!batch) throw new Error(`layer '${this.name}': a training-mode pass needs kwargs.dropoutBatch (the image indices its masks come from)`);
    if (batch.idx.length !== x.shape[0]) throw new Error(`layer '${this.name}': the batch names ${batch.idx.length} images, the input has ${x.shape[0]} rows`);
    const units = x.size / x.shape[0];
    return tf.mul(x, tf.tensor(dropoutMask(batch, units, this.rate, this.salt), x.shape));
  }
  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, salt: this.salt };
  }
}
tf.serialization.registerClass(SeededDropout);

// ---------------------------------------------------------------------------
// Mixup (Zhang et al. 2018): each training image is blended with a partner,
// x = λ·x + (1 − λ)·x_p, and so are the targets, λ ~ Beta(α, α). The partner and λ are
// drawn from the image's own seed (imageSeed, salted), and the partner is any image of the
// training split, not a batch neighbour: so a run replays whatever the batch cut or worker
// count, as augmentation and dropout do.

const MIXUP_SALT = 0x6d1c;

/** A Gamma(shape, 1) draw (Marsaglia–Tsang; shape < 1 by boosting, Gamma(a) = Gamma(a + 1)·U^(1/a)). */
function gammaSample(shape: number, rng: () => number): number {
  if (shape < 1) return gammaSample(shape + 1, rng) * Math.pow(1 - rng(), 1 / shape);
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      // Box–Muller normal; 1 − u keeps the log finite.
      x = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** λ ~ Beta(α, α) from two Gamma draws. */
export function betaSample(alpha: number, rng: () => number): number {
  const a = gammaSample(alpha, rng), b = gammaSample(alpha, rng);
  return a + b > 0 ? a / (a + b) : 0.5;
}

/** Per image of a batch: its partner's index in the training split and its weight λ. */
export interface MixupDraw { partner: Int32Array; lambda: Float32Array }

/** The partners and weights of images idx (indices into a training split of n images) in `epoch`. */
export function mixupDraw(alpha: number, seed: number, epoch: number, idx: Int32Array, n: number): MixupDraw {
  const partner = new Int32Array(idx.length), lambda = new Float32Array(idx.length);
  for (let j = 0; j < idx.length; j++) {
    const rng = mulberry32(imageSeed(seed ^ MIXUP_SALT, epoch, idx[j]));
    partner[j] = Math.min(n - 1, Math.floor(rng() * n));
    lambda[j] = betaSample(alpha, rng);
  }
  return { partner, lambda };
}
