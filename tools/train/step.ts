// One training step, shared by the in-process loop (tools/train/trainer.ts) and every
// data-parallel replica (tools/train/worker.ts): gather the batch's images by index,
// apply the recipe's per-batch transform, loss + accuracy + gradients, then the
// optimizer's update with the latent-weight constraints. The replicas only add the averaging of
// gradients between the two halves.
import * as tf from '@tensorflow/tfjs';
import type { Split } from '../data/dataset.js';
import { augmentBatchInPlace, checkAugmentation, isIdentity, NO_AUGMENTATION, type Augmentation } from '../data/augment.js';
import { constrainLatentWeights } from './layers.js';
import { decayFloatKernels, floatKernels, mixupDraw, type DropoutBatch } from './regularize.js';

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
  /** The update rule (default 'adam'); 'nesterov' is SGD with Nesterov momentum 0.9. */
  optimizer?: OptimizerName;
  /** Mixup's α (tools/train/regularize.ts; 0 or absent = none). */
  mixup?: number;
}

export const OPTIMIZERS = ['adam', 'nesterov'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** The recipe's optimizer at learning rate lr (applyGradients sets each step's rate). */
export function makeOptimizer(cfg: Pick<StepConfig, 'optimizer'>, lr: number): tf.Optimizer {
  return (cfg.optimizer ?? 'adam') === 'nesterov' ? tf.train.momentum(lr, 0.9, true) : tf.train.adam(lr);
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
  if (cfg.mixup !== undefined && !(cfg.mixup >= 0 && cfg.mixup <= 10)) throw new Error(`mixup α must be in [0, 10], got ${cfg.mixup}`);
  if (cfg.optimizer !== undefined && !OPTIMIZERS.includes(cfg.optimizer)) throw new Error(`optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${String(cfg.optimizer)}`);
}

/** A training batch: n images, their labels and, under mixup, each one's partner label and weight. */
export interface Batch { x: Float32Array; y: Int32Array; n: number; mix: { y: Int32Array; lambda: Float32Array } | null }

/** Images idx of a split as a float array (after the transform) and their labels; mixed with their partners under mixup. */
export function gatherBatch(split: Split, cfg: StepConfig, idx: Int32Array, epoch: number, transform: BatchTransform | null): Batch {
  const size = cfg.imageShape[0] * cfg.imageShape[1] * cfg.imageShape[2];
  const copy = (ids: Int32Array) => {
    const x = new Float32Array(ids.length * size), y = new Int32Array(ids.length);
    for (let j = 0; j < ids.length; j++) {
      x.set(split.x.subarray(ids[j] * size, (ids[j] + 1) * size), j * size);
      y[j] = split.y[ids[j]];
    }
    transform?.(x, ids, epoch, cfg.imageShape);
    return { x, y };
  };
  const { x, y } = copy(idx);
  if (!cfg.mixup) return { x, y, n: idx.length, mix: null };
  // Each partner is augmented with its own draw, as if it were in the batch.
  const { partner, lambda } = mixupDraw(cfg.mixup, cfg.seed, epoch, idx, split.n);
  const other = copy(partner);
  for (let j = 0; j < idx.length; j++) {
    const l = lambda[j];
    for (let i = j * size; i < (j + 1) * size; i++) x[i] = l * x[i] + (1 - l) * other.x[i];
  }
  return { x, y, n: idx.length, mix: { y: other.y, lambda } };
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
 * Loss, accuracy and the gradients of a batch (n images: training-split images
 * `idx` in `epoch`, which seed the dropout masks); `useGrads` gets each variable's
 * gradient inside the tidy scope (kept tensors are the caller's).
 */
export function batchGradients(model: tf.LayersModel, vars: tf.Variable[], cfg: StepConfig, batch: Batch,
  rows: { idx: Int32Array; epoch: number }, useGrads: (grads: tf.NamedTensorMap) => void): { loss: number; acc: number } {
  const { x, y, n, mix } = batch;
  let loss = 0, acc = 0;
  tf.tidy(() => {
    const xs = tf.tensor4d(x, [n, ...cfg.imageShape]);
    const oneHot = (labels: Int32Array) => tf.oneHot(tf.tensor1d(labels, 'int32'), cfg.classes).toFloat();
    // Mixup's targets blend the two one-hot labels by λ (accuracy counts the larger one).
    const ys = mix ? tf.tidy(() => {
      const l = tf.tensor2d(mix.lambda, [n, 1]);
      return tf.add(tf.mul(oneHot(y), l), tf.mul(oneHot(mix.y), tf.sub(1, l)));
    }) : oneHot(y);
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

/** The optimizer's update at learning rate lr, decoupled weight decay, then the latent-weight constraints. */
export function applyGradients(target: UpdateTarget, optimizer: tf.Optimizer, grads: tf.NamedTensorMap, lr: number): void {
  // SGD and momentum read a cached -lr scalar that only setLearningRate renews; Adam reads the field.
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (o.learningRate !== lr) { if (o.setLearningRate) o.setLearningRate(lr); else o.learningRate = lr; }
  optimizer.applyGradients(grads as never);
  if (target.decayed.length) decayFloatKernels(target.decayed, lr * target.weightDecay);
  constrainLatentWeights(target.model);
}
