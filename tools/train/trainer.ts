// Training loop: Adam, seeded shuffles, cosine learning-rate decay, latent-weight
// constraints after each step, progress callback, per-epoch checkpoints.
import * as tf from '@tensorflow/tfjs';
import type { Dataset, Split } from '../data/dataset.js';
import { mulberry32, permutation } from '../../sdk/prng.js';
import { saveModel } from './file-io.js';
import { constrainLatentWeights } from './layers.js';
import { useTrainingForwardConv } from './wasm-kernels.js';
import { augmentImages, isIdentity, type Augmentation } from '../data/augment.js';
import { decayFloatKernels, floatKernels } from './regularize.js';

export interface Progress {
  phase: 'batch' | 'epoch';
  epoch: number; // 1-based
  epochs: number;
  batch: number; // 1-based within the epoch
  batches: number;
  /** Running mean over the epoch so far. */
  loss: number;
  acc: number;
  imagesPerSec: number;
  etaSec: number;
  lr: number;
  /** Test accuracy, on 'epoch' events when evaluation ran. */
  testAcc?: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  /** 'cosine' (default) decays to 0 over all steps; 'constant' keeps it. */
  schedule?: 'cosine' | 'constant';
  seed?: number;
  onProgress?: (p: Progress) => void;
  /** Report every N batches (default 1). */
  progressEvery?: number;
  /** Save model.json + weights.bin here after every epoch. */
  checkpointDir?: string;
  /** Evaluate on the test split after every epoch (default true). */
  evalEachEpoch?: boolean;
  /** Stop after this many steps in total (benchmarks). */
  maxSteps?: number;
  /** On-the-fly augmentation of training images (tools/data/augment.ts); none by default. */
  augmentation?: Augmentation;
  /** Label smoothing of the cross-entropy targets (0 = none). */
  labelSmoothing?: number;
  /** Decoupled (AdamW-style) weight decay of float conv/dense kernels, per unit learning rate (0 = none). */
  weightDecay?: number;
}

export interface TrainResult {
  epochs: number;
  steps: number;
  seconds: number;
  imagesPerSec: number;
  history: { epoch: number; loss: number; acc: number; testAcc?: number; imagesPerSec: number }[];
  testAcc?: number;
}

/** Copies images idx[from, to) of a split into a batch tensor and one-hot labels. */
export function makeBatch(
  split: Split, shape: [number, number, number], classes: number, idx: Int32Array, from: number, to: number,
  augment?: { augmentation: Augmentation; seed: number; epoch: number },
) {
  const size = shape[0] * shape[1] * shape[2];
  const n = to - from;
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const i = idx[from + j];
    if (!augment) x.set(split.x.subarray(i * size, (i + 1) * size), j * size);
    y[j] = split.y[i];
  }
  if (augment) {
    if (shape[2] !== 1) throw new Error(`augmentation supports 1-channel images, got ${shape[2]} channels`);
    augmentImages(split.x, shape[0], shape[1], idx.subarray(from, to), x, augment.augmentation, augment.seed, augment.epoch);
  }
  return tf.tidy(() => ({
    xs: tf.tensor4d(x, [n, shape[0], shape[1], shape[2]]),
    ys: tf.oneHot(tf.tensor1d(y, 'int32'), classes).toFloat(),
  }));
}

/** Loss and accuracy of a batch; the model runs in training mode when `training`. */
export function lossAndAcc(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, training: boolean, labelSmoothing = 0) {
  const logits = model.apply(xs, { training }) as tf.Tensor;
  const loss = tf.losses.softmaxCrossEntropy(ys, logits, undefined, labelSmoothing) as tf.Scalar;
  const acc = tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(ys, -1)), 'float32')) as tf.Scalar;
  return { loss, acc };
}

export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Top-1 accuracy on a split (inference mode, batched). */
export function evaluate(model: tf.LayersModel, data: Dataset, split: Split = data.test, batchSize = 256): number {
  const idx = new Int32Array(split.n).map((_, i) => i);
  let correct = 0;
  for (let b = 0; b < split.n; b += batchSize) {
    const e = Math.min(split.n, b + batchSize);
    const { xs, ys } = makeBatch(split, data.imageShape, data.classes.length, idx, b, e);
    correct += tf.tidy(() => {
      const logits = model.predict(xs) as tf.Tensor;
      return tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(ys, -1)), 'float32')).dataSync()[0];
    });
    tf.dispose([xs, ys]);
  }
  return split.n ? correct / split.n : 0;
}

export function lrAt(base: number, schedule: 'cosine' | 'constant', step: number, total: number): number {
  if (schedule === 'constant' || total <= 1) return base;
  return base * 0.5 * (1 + Math.cos((Math.PI * Math.min(step, total)) / total));
}

export async function train(model: tf.LayersModel, data: Dataset, opts: TrainOptions): Promise<TrainResult> {
  const before = useTrainingForwardConv(true);
  try {
    return await trainLoop(model, data, opts);
  } finally {
    useTrainingForwardConv(before);
  }
}

async function trainLoop(model: tf.LayersModel, data: Dataset, opts: TrainOptions): Promise<TrainResult> {
  const batchSize = opts.batchSize ?? 128;
  const baseLr = opts.learningRate ?? 2e-3;
  const schedule = opts.schedule ?? 'cosine';
  const seed = opts.seed ?? 1;
  const every = Math.max(1, opts.progressEvery ?? 1);
  const { train: split } = data;
  const batches = Math.ceil(split.n / batchSize);
  const totalSteps = Math.min(opts.epochs * batches, opts.maxSteps ?? Infinity);
  const optimizer = tf.train.adam(baseLr);
  const vars = trainableVariables(model);
  const augmentation = opts.augmentation && !isIdentity(opts.augmentation) ? opts.augmentation : undefined;
  const labelSmoothing = opts.labelSmoothing ?? 0;
  const weightDecay = opts.weightDecay ?? 0;
  const decayed = weightDecay > 0 ? floatKernels(model) : [];
  const history: TrainResult['history'] = [];
  let step = 0;
  const t0 = performance.now();
  let images = 0;
  let trainSec = 0; // training-loop time only (no evaluation or checkpoints)
  for (let epoch = 1; epoch <= opts.epochs && step < totalSteps; epoch++) {
    const idx = permutation(split.n, mulberry32((seed * 1000003 + epoch) >>> 0));
    let lossSum = 0, accSum = 0, seen = 0;
    const te = performance.now();
    let epochImages = 0;
    for (let b = 0; b < batches && step < totalSteps; b++) {
      const from = b * batchSize, to = Math.min(split.n, from + batchSize);
      const { xs, ys } = makeBatch(split, data.imageShape, data.classes.length, idx, from, to, augmentation && { augmentation, seed, epoch });
      const lr = lrAt(baseLr, schedule, step, totalSteps);
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      let accT: tf.Scalar | null = null;
      const lossT = optimizer.minimize(() => {
        const r = lossAndAcc(model, xs, ys, true, labelSmoothing);
        accT = tf.keep(r.acc);
        return r.loss;
      }, true, vars) as tf.Scalar;
      if (decayed.length) decayFloatKernels(decayed, lr * weightDecay);
      constrainLatentWeights(model);
      const n = to - from;
      lossSum += lossT.dataSync()[0] * n;
      accSum += (accT as unknown as tf.Scalar).dataSync()[0] * n;
      seen += n;
      tf.dispose([xs, ys, lossT, accT as unknown as tf.Tensor]);
      step++;
      images += n;
      epochImages += n;
      if (opts.onProgress && (b % every === every - 1 || b === batches - 1)) {
        const ips = images / (trainSec + (performance.now() - te) / 1000);
        opts.onProgress({
          phase: 'batch', epoch, epochs: opts.epochs, batch: b + 1, batches, loss: lossSum / seen, acc: accSum / seen,
          imagesPerSec: ips, etaSec: ((totalSteps - step) * batchSize) / ips, lr,
        });
      }
    }
    const epochSec = (performance.now() - te) / 1000;
    trainSec += epochSec;
    const eps = epochImages / epochSec;
    const rec: TrainResult['history'][number] = { epoch, loss: lossSum / seen, acc: accSum / seen, imagesPerSec: eps };
    if (opts.evalEachEpoch !== false) rec.testAcc = evaluate(model, data);
    history.push(rec);
    if (opts.checkpointDir) {
      await saveModel(model, opts.checkpointDir, { bexnet: { epoch, history, dataset: data.name, classes: data.classes, seed } });
    }
    opts.onProgress?.({
      phase: 'epoch', epoch, epochs: opts.epochs, batch: batches, batches, loss: rec.loss, acc: rec.acc,
      imagesPerSec: images / trainSec, etaSec: 0, lr: lrAt(baseLr, schedule, step, totalSteps), testAcc: rec.testAcc,
    });
  }
  optimizer.dispose();
  const seconds = (performance.now() - t0) / 1000;
  return { epochs: history.length, steps: step, seconds, imagesPerSec: images / trainSec, history, testAcc: history.at(-1)?.testAcc };
}
