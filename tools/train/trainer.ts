// The training loop: Adam (or SGD with Nesterov momentum), seeded shuffles, a learning-rate schedule, progress
// callbacks, per-epoch evaluation and checkpoints. Where the steps run is a mode:
// in this thread (workers 1) or on N data-parallel replicas (tools/train/parallel.ts);
// the step itself is tools/train/step.ts in both.
import * as tf from '@tensorflow/tfjs';
import type { Dataset, Split } from '../data/dataset.js';
import { mulberry32, permutation } from '../../sdk/prng.js';
import { saveModel } from './file-io.js';
import { ParallelSteps } from './parallel.js';
import {
  applyGradients, batchGradients, batchTransform, checkStepConfig, gatherBatch, makeOptimizer, NO_AUGMENTATION, trainableVariables, updateTarget,
  type Augmentation, type OptimizerName, type StepConfig, type UpdateTarget,
} from './step.js';
import { useTrainingForwardConv } from './wasm-kernels.js';

export { lossAndAcc, trainableVariables } from './step.js';

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

export type Schedule = 'cosine' | 'constant';

export interface TrainOptions {
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  /** 'cosine' (default) decays to 0 over all steps; 'constant' keeps it. */
  schedule?: Schedule;
  seed?: number;
  /** 1 (default): steps run in this thread; N > 1: on N worker threads (tools/train/parallel.ts). */
  workers?: number;
  /** Per-batch augmentation of the training images (default none). */
  augmentation?: Augmentation;
  /** Label smoothing (default 0). */
  labelSmoothing?: number;
  /** Weight decay on float weights (default 0). */
  weightDecay?: number;
  /** The update rule (default 'adam'). */
  optimizer?: OptimizerName;
  /** Mixup's α (default 0: none). */
  mixup?: number;
  onProgress?: (p: Progress) => void;
  /** Report every N batches (default 1). */
  progressEvery?: number;
  /** Save model.json + weights.bin here after every epoch. */
  checkpointDir?: string;
  /** Evaluate on the test split after every epoch (default true). */
  evalEachEpoch?: boolean;
  /** Stop after this many steps in total (benchmarks). */
  maxSteps?: number;
}

export interface TrainResult {
  epochs: number;
  steps: number;
  seconds: number;
  imagesPerSec: number;
  history: { epoch: number; loss: number; acc: number; testAcc?: number; imagesPerSec: number }[];
  testAcc?: number;
}

/** Where the optimizer steps run: this thread, or replicas on worker threads. */
export interface StepRunner {
  /** One optimizer step on training images idx at learning rate lr; batch means of loss and accuracy. */
  step(idx: Int32Array, epoch: number, lr: number): Promise<{ loss: number; acc: number }>;
  /** Brings the caller's model up to date (before evaluation and checkpoints). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Copies images idx[from, to) of a split into a batch tensor and one-hot labels. */
export function makeBatch(split: Split, shape: [number, number, number], classes: number, idx: Int32Array, from: number, to: number) {
  const cfg = { imageShape: shape, classes };
  const { x, y, n } = gatherBatch(split, cfg as StepConfig, idx.subarray(from, to), 0, null);
  return tf.tidy(() => ({
    xs: tf.tensor4d(x, [n, shape[0], shape[1], shape[2]]),
    ys: tf.oneHot(tf.tensor1d(y, 'int32'), classes).toFloat(),
  }));
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

export function lrAt(base: number, schedule: Schedule, step: number, total: number): number {
  if (schedule === 'constant' || total <= 1) return base;
  return base * 0.5 * (1 + Math.cos((Math.PI * Math.min(step, total)) / total));
}

/** Steps in this thread, on the training forward conv (restored by close()). */
class LocalSteps implements StepRunner {
  private readonly optimizer: tf.Optimizer;
  private readonly vars: tf.Variable[];
  private readonly transform;
  private readonly target: UpdateTarget;
  private readonly forwardConvBefore = useTrainingForwardConv(true);
  constructor(private readonly model: tf.LayersModel, private readonly split: Split, private readonly cfg: StepConfig, lr: number) {
    this.optimizer = makeOptimizer(cfg, lr);
    this.vars = trainableVariables(model);
    this.transform = batchTransform(cfg);
    this.target = updateTarget(model, cfg);
  }
  async step(idx: Int32Array, epoch: number, lr: number) {
    const batch = gatherBatch(this.split, this.cfg, idx, epoch, this.transform);
    return batchGradients(this.model, this.vars, this.cfg, batch, { idx, epoch }, (g) => applyGradients(this.target, this.optimizer, g, lr));
  }
  async sync() {}
  async close() {
    this.optimizer.dispose();
    useTrainingForwardConv(this.forwardConvBefore);
  }
}

export async function train(model: tf.LayersModel, data: Dataset, opts: TrainOptions): Promise<TrainResult> {
  const batchSize = opts.batchSize ?? 128;
  const baseLr = opts.learningRate ?? 2e-3;
  const schedule = opts.schedule ?? 'cosine';
  const seed = opts.seed ?? 1;
  const workers = opts.workers ?? 1;
  const every = Math.max(1, opts.progressEvery ?? 1);
  const cfg: StepConfig = {
    imageShape: data.imageShape, classes: data.classes.length,
    augmentation: opts.augmentation ?? NO_AUGMENTATION, seed, labelSmoothing: opts.labelSmoothing ?? 0, weightDecay: opts.weightDecay ?? 0, optimizer: opts.optimizer ?? 'adam', mixup: opts.mixup ?? 0,
  };
  checkStepConfig(cfg);
  const { train: split } = data;
  const batches = Math.ceil(split.n / batchSize);
  const totalSteps = Math.min(opts.epochs * batches, opts.maxSteps ?? Infinity);
  const runner: StepRunner = workers > 1 ? await ParallelSteps.start(model, split, cfg, workers, baseLr) : new LocalSteps(model, split, cfg, baseLr);
  const history: TrainResult['history'] = [];
  let step = 0;
  const t0 = performance.now();
  let images = 0;
  let trainSec = 0; // training-loop time only (no evaluation or checkpoints)
  try {
    for (let epoch = 1; epoch <= opts.epochs && step < totalSteps; epoch++) {
      const idx = permutation(split.n, mulberry32((seed * 1000003 + epoch) >>> 0));
      let lossSum = 0, accSum = 0, seen = 0;
      const te = performance.now();
      let epochImages = 0;
      for (let b = 0; b < batches && step < totalSteps; b++) {
        const from = b * batchSize, to = Math.min(split.n, from + batchSize);
        const lr = lrAt(baseLr, schedule, step, totalSteps);
        const r = await runner.step(idx.subarray(from, to), epoch, lr);
        const n = to - from;
        lossSum += r.loss * n;
        accSum += r.acc * n;
        seen += n;
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
      await runner.sync();
      const rec: TrainResult['history'][number] = { epoch, loss: lossSum / seen, acc: accSum / seen, imagesPerSec: epochImages / epochSec };
      if (opts.evalEachEpoch !== false) rec.testAcc = evaluate(model, data);
      history.push(rec);
      if (opts.checkpointDir) {
        await saveModel(model, opts.checkpointDir, { bexnet: { epoch, history, dataset: data.name, classes: data.classes, seed, workers } });
      }
      opts.onProgress?.({
        phase: 'epoch', epoch, epochs: opts.epochs, batch: batches, batches, loss: rec.loss, acc: rec.acc,
        imagesPerSec: images / trainSec, etaSec: 0, lr: lrAt(baseLr, schedule, step, totalSteps), testAcc: rec.testAcc,
      });
    }
  } finally {
    await runner.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { epochs: history.length, steps: step, seconds, imagesPerSec: images / trainSec, history, testAcc: history.at(-1)?.testAcc };
}
