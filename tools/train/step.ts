// One training step, shared by the in-process loop (tools/train/trainer.ts) and every
// data-parallel replica (tools/train/worker.ts): gather the batch's images by index,
// apply the recipe's per-batch transform, loss + accuracy + gradients, then the Adam
// update with the latent-weight constraints. The replicas only add the averaging of
// gradients between the two halves.
import * as tf from '@tensorflow/tfjs';
import type { Split } from '../data/dataset.js';
import { constrainLatentWeights } from './layers.js';

/** Serializable per-run settings every replica needs (they cross to worker threads). */
export interface StepConfig {
  imageShape: [number, number, number];
  classes: number;
  /** On-the-fly augmentation of the training images; 'none' today (issue 12 adds kinds). */
  augmentation: Augmentation;
  /** Label smoothing of the cross-entropy targets; 0 today (issue 12). */
  labelSmoothing: number;
  /** Decoupled weight decay on float weights; 0 today (issue 12). */
  weightDecay: number;
}

/** The augmentation a recipe asks for; a plain object so it can be posted to workers. */
export type Augmentation = { kind: 'none' };

/**
 * Rewrites a batch share's images in place: x holds idx.length images (NHWC, in the
 * order of idx, which are indices into the training split), epoch is 1-based.
 * Seeded from (idx, epoch) so a run replays whatever the worker count.
 */
export type BatchTransform = (x: Float32Array, idx: Int32Array, epoch: number, imageShape: [number, number, number]) => void;

/** The transform for a recipe's augmentation (null: images pass unchanged). */
export function batchTransform(aug: Augmentation): BatchTransform | null {
  if (aug.kind === 'none') return null;
  throw new Error(`augmentation '${(aug as { kind: string }).kind}' is not implemented`);
}

/** Rejects recipe settings the step does not implement yet, instead of ignoring them. */
export function checkStepConfig(cfg: StepConfig): void {
  batchTransform(cfg.augmentation);
  if (cfg.labelSmoothing !== 0) throw new Error(`labelSmoothing ${cfg.labelSmoothing}: not implemented (only 0)`);
  if (cfg.weightDecay !== 0) throw new Error(`weightDecay ${cfg.weightDecay}: not implemented (only 0)`);
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

/** Loss and accuracy of a batch; the model runs in training mode when `training`. */
export function lossAndAcc(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, training: boolean) {
  const logits = model.apply(xs, { training }) as tf.Tensor;
  const loss = tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
  const acc = tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(ys, -1)), 'float32')) as tf.Scalar;
  return { loss, acc };
}

export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Loss, accuracy and the gradients of a batch (x, y of n images); `useGrads` gets
 * each variable's gradient inside the tidy scope (kept tensors are the caller's).
 */
export function batchGradients(model: tf.LayersModel, vars: tf.Variable[], cfg: StepConfig, x: Float32Array, y: Int32Array, n: number,
  useGrads: (grads: tf.NamedTensorMap) => void): { loss: number; acc: number } {
  let loss = 0, acc = 0;
  tf.tidy(() => {
    const xs = tf.tensor4d(x, [n, ...cfg.imageShape]);
    const ys = tf.oneHot(tf.tensor1d(y, 'int32'), cfg.classes).toFloat();
    let accT: tf.Scalar | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const r = lossAndAcc(model, xs, ys, true);
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

/** The Adam update at learning rate lr, then the latent-weight constraints. */
export function applyGradients(model: tf.LayersModel, optimizer: tf.AdamOptimizer, grads: tf.NamedTensorMap, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
  optimizer.applyGradients(grads as never);
  constrainLatentWeights(model);
}
