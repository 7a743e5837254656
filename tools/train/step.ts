// One training step, shared by the in-process loop (tools/train/trainer.ts) and every
// data-parallel replica (tools/train/worker.ts): gather the batch's images by index,
// apply the recipe's per-batch transform, loss + accuracy + gradients, then the Adam
// update with the latent-weight constraints. The replicas only add the averaging of
// gradients between the two halves.
import * as tf from '@tensorflow/tfjs';
import type { Split } from '../data/dataset.js';
import { augmentBatchInPlace, checkAugmentation, isIdentity, NO_AUGMENTATION, type Augmentation } from '../data/augment.js';
import { constrainLatentWeights } from './layers.js';
import { decayFloatKernels, floatKernels, type DropoutBatch } from './regularize.js';

export { NO_AUGMENTATION, type Augmentation };

/** Serializable per-run settings every replica needs (they cross to worker threads). */
export interface StepConfig {
  imageShape: [number, number, number];
  classes: number;
  /** On-the-fly augmentation of the training images (tools/data/augment.ts); a plain object, posted to workers. */
  augmentation: Augmentation;
  /** Seed of the augmentation draws (the run's seed). */
  seed: number;
  /** Label smoothing of the cross-entropy targets (0 = none). */
  labelSmoothing: number;
  /** Decoupled (AdamW-style) weight decay of float conv/dense kernels, per unit learning rate (0 = none). */
  weightDecay: number;
}

/**
 * Rewrites a batch share's images in place: x holds idx.length images (NHWC, in the
 * order of idx, which are indices into the training split), epoch is 1-based.
 * Seeded from (idx, epoch) so a run replays whatever the worker count.
 */
export type BatchTransform = (x: Float32Array, idx: Int32Array, epoch: number, imageShape: [number, number, number]) => void;

/** The transform for a recipe's augmentation (null: images pass unchanged). */
export function batchTransform(cfg: StepConfig): BatchTransform | null {
  const aug = cfg.augmentation;
  if (isIdentity(aug)) return null;
  const [h, w, c] = cfg.imageShape;
  if (c !== 1) throw new Error(`augmentation handles 1-channel images; these have ${c} channels`);
  return (x, idx, epoch) => augmentBatchInPlace(x, h, w, idx, aug, cfg.seed, epoch);
}

/** Rejects recipe settings out of range, instead of training on something else. */
export function checkStepConfig(cfg: StepConfig): void {
  checkAugmentation(cfg.augmentation);
  batchTransform(cfg);
  if (!(cfg.labelSmoothing >= 0 && cfg.labelSmoothing < 1)) throw new Error(`labelSmoothing must be in [0, 1), got ${cfg.labelSmoothing}`);
  if (!(cfg.weightDecay >= 0 && Number.isFinite(cfg.weightDecay))) throw new Error(`weightDecay must be a finite number ≥ 0, got ${cfg.weightDecay}`);
}

/** Images idx of a split as a float array (after the transform) and their labels. */
export function gatherBatch(split: Split, cfg: StepConfig, idx: Int32Array, epoch: number, transform: BatchTransform | null) {
  const size = cfg.imageShape[0] * cfg.imageShape[1] * cfg.imageShape[2];
  const n = idx.length;
  const x = new Float32Array(n * size), y = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    x.set(split.x.subarray(idx[j] * size, (idx[j] + 1) * size), j * size);
    y[j] = split.y[idx[j]];
  }
  transform?.(x, idx, epoch, cfg.imageShape);
  return { x, y, n };
}

/** Loss and accuracy of a batch; the model runs in training mode when `dropoutBatch` names the batch's images. */
export function lossAndAcc(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, dropoutBatch: DropoutBatch | null, labelSmoothing = 0) {
  const logits = model.apply(xs, dropoutBatch ? { training: true, dropoutBatch } : { training: false }) as tf.Tensor;
  const loss = tf.losses.softmaxCrossEntropy(ys, logits, undefined, labelSmoothing) as tf.Scalar;
  const acc = tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(ys, -1)), 'float32')) as tf.Scalar;
  return { loss, acc };
}

export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Loss, accuracy and the gradients of a batch (x, y of n images: training-split images
 * `idx` in `epoch`, which seed the dropout masks); `useGrads` gets each variable's
 * gradient inside the tidy scope (kept tensors are the caller's).
 */
export function batchGradients(model: tf.LayersModel, vars: tf.Variable[], cfg: StepConfig, x: Float32Array, y: Int32Array, n: number,
  rows: { idx: Int32Array; epoch: number }, useGrads: (grads: tf.NamedTensorMap) => void): { loss: number; acc: number } {
  let loss = 0, acc = 0;
  tf.tidy(() => {
    const xs = tf.tensor4d(x, [n, ...cfg.imageShape]);
    const ys = tf.oneHot(tf.tensor1d(y, 'int32'), cfg.classes).toFloat();
    let accT: tf.Scalar | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const r = lossAndAcc(model, xs, ys, { seed: cfg.seed, epoch: rows.epoch, idx: rows.idx }, cfg.labelSmoothing);
      accT = tf.keep(r.acc);
      return r.loss;
    }, vars);
    loss = value.dataSync()[0];
    acc = (accT as unknown as tf.Scalar).dataSync()[0];
    (accT as unknown as tf.Scalar).dispose();
    useGrads(grads);
  });
  return { loss, acc };
}

/** What the update needs besides the optimizer: the float kernels weight decay shrinks. */
export interface UpdateTarget { model: tf.LayersModel; decayed: tf.Variable[]; weightDecay: number }

export function updateTarget(model: tf.LayersModel, cfg: StepConfig): UpdateTarget {
  return { model, decayed: cfg.weightDecay > 0 ? floatKernels(model) : [], weightDecay: cfg.weightDecay };
}

/** The Adam update at learning rate lr, decoupled weight decay, then the latent-weight constraints. */
export function applyGradients(target: UpdateTarget, optimizer: tf.AdamOptimizer, grads: tf.NamedTensorMap, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
  optimizer.applyGradients(grads as never);
  if (target.decayed.length) decayFloatKernels(target.decayed, lr * target.weightDecay);
  constrainLatentWeights(target.model);
}
