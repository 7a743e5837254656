// The data-parallel mode of the training loop (tools/train/trainer.ts, workers > 1).
// tfjs-backend-wasm runs XNNPACK single-threaded under Node, so one process uses
// one core; here each worker thread holds a replica, computes gradients on its
// share of every batch, and all replicas apply the same averaged Adam update.
// Batch norm uses per-worker batch statistics (like DDP without SyncBN); the moving
// averages are averaged across workers before every evaluation/checkpoint (sync).
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Split } from '../data/dataset.js';
import { entryUrl } from '../entries.mjs';
import { trainableVariables, type StepConfig } from './step.js';
import type { StepRunner } from './trainer.js';

/** What the main thread posts to a replica (tools/train/worker.ts). */
export type ToWorker =
  | { type: 'step'; idx: Int32Array; epoch: number; slot: number }
  | { type: 'apply'; lr: number; counts: number[]; slot: number }
  | { type: 'get-weights' }
  | { type: 'set-weights'; values: Float32Array[] }
  | { type: 'stop' };
/** What a replica posts back. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'grads'; loss: number; acc: number; n: number; ms: number; applyMs: number }
  | { type: 'weights'; values: Float32Array[] }
  | { type: 'weights-set' };

/** A replica's start-up data (workerData). */
export interface WorkerInit {
  rank: number; workers: number;
  modelJSON: string; weights: Float32Array[];
  images: SharedArrayBuffer; labels: SharedArrayBuffer; n: number; cfg: StepConfig;
  grads: SharedArrayBuffer; paramCount: number; lr: number;
}

/** One replica: its messages in order, its first error rejects every wait. */
class Replica {
  private waiters: { resolve: (m: FromWorker) => void; reject: (e: unknown) => void }[] = [];
  private queue: FromWorker[] = [];
  private failure: unknown = null;
  readonly exited: Promise<void>;
  constructor(readonly w: Worker) {
    this.exited = new Promise((res) => w.once('exit', () => res()));
    w.on('message', (m: FromWorker) => {
      const f = this.waiters.shift();
      if (f) f.resolve(m); else this.queue.push(m);
    });
    w.on('error', (e) => this.fail(e));
    w.on('exit', (code) => { if (code !== 0) this.fail(new Error(`training worker exited with code ${code}`)); });
  }
  private fail(e: unknown) {
    this.failure ??= e;
    for (const f of this.waiters.splice(0)) f.reject(e);
  }
  post(m: ToWorker) { this.w.postMessage(m); }
  next<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> {
    const check = (m: FromWorker) => {
      if (m.type !== type) throw new Error(`training worker: expected '${type}', got '${m.type}'`);
      return m as Extract<FromWorker, { type: T }>;
    };
    const m = this.queue.shift();
    if (m) return Promise.resolve(check(m));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve: (x) => { try { resolve(check(x)); } catch (e) { reject(e); } }, reject }));
  }
}

export class ParallelSteps implements StepRunner {
  private stepCount = 0;
  private constructor(private readonly model: tf.LayersModel, private readonly reps: Replica[]) {}

  /** Starts `workers` replicas of model on the training split (dist/train-worker.mjs, built by `npm run build`). */
  static async start(model: tf.LayersModel, split: Split, cfg: StepConfig, workers: number, lr: number): Promise<ParallelSteps> {
    const script = entryUrl('train-worker');
    if (!existsSync(script)) throw new Error(`${fileURLToPath(script)} not found: run \`npm run build\` first`);
    const size = cfg.imageShape[0] * cfg.imageShape[1] * cfg.imageShape[2];
    const images = new SharedArrayBuffer(split.n * size * 4), labels = new SharedArrayBuffer(split.n * 4);
    new Float32Array(images).set(split.x.subarray(0, split.n * size));
    new Int32Array(labels).set(split.y.subarray(0, split.n));
    const paramCount = trainableVariables(model).reduce((s, v) => s + v.size, 0);
    // Two sets of slots, alternating by step: a replica that has applied step t and
    // writes step t + 1's gradients must not overwrite what a slower replica is still
    // reading for step t (every replica answers every step, so none gets two ahead).
    const grads = new SharedArrayBuffer(2 * workers * paramCount * 4);
    const modelJSON = JSON.stringify(model.toJSON(null, false));
    const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
    const reps = Array.from({ length: workers }, (_, rank) => new Replica(new Worker(script, {
      workerData: { rank, workers, modelJSON, weights, images, labels, n: split.n, cfg, grads, paramCount, lr } satisfies WorkerInit,
    })));
    const steps = new ParallelSteps(model, reps);
    try {
      await Promise.all(reps.map((r) => r.next('ready')));
    } catch (e) {
      await steps.close();
      throw e;
    }
    return steps;
  }

  async step(idx: Int32Array, epoch: number, lr: number) {
    const n = idx.length, per = Math.ceil(n / this.reps.length);
    // Contiguous shares; a replica whose share is empty (a short last batch) computes
    // nothing, gets weight 0 in the mean, and still applies the update.
    const shares = this.reps.map((_, k) => idx.slice(Math.min(n, k * per), Math.min(n, (k + 1) * per)));
    const slot = this.stepCount++ & 1;
    this.reps.forEach((r, k) => r.post({ type: 'step', idx: shares[k], epoch, slot }));
    const res = await Promise.all(this.reps.map((r) => r.next('grads')));
    if (process.env.BEXNET_TRACE) console.error(`grads ${res.map((m) => m.ms.toFixed(0)).join('/')} ms, previous apply ${res.map((m) => m.applyMs.toFixed(0)).join('/')} ms`);
    // The update runs while the caller prepares the next batch; replicas handle messages in order.
    const counts = shares.map((s) => s.length);
    this.reps.forEach((r) => r.post({ type: 'apply', lr, counts, slot }));
    let loss = 0, acc = 0;
    for (const m of res) { loss += (m.loss * m.n) / n; acc += (m.acc * m.n) / n; }
    return { loss, acc };
  }

  /** Trainable weights from replica 0, moving statistics averaged over replicas → model and replicas. */
  async sync() {
    const { model, reps } = this;
    reps.forEach((r) => r.post({ type: 'get-weights' }));
    const all = await Promise.all(reps.map((r) => r.next('weights')));
    const trainable = new Set(model.trainableWeights.map((w) => w.originalName));
    const merged = model.weights.map((w, i) => {
      if (trainable.has(w.originalName)) return all[0].values[i];
      const avg = new Float32Array(all[0].values[i].length);
      for (const a of all) a.values[i].forEach((v, j) => (avg[j] += v / all.length));
      return avg;
    });
    model.setWeights(merged.map((v, i) => tf.tensor(v, model.weights[i].shape as number[])));
    reps.forEach((r) => r.post({ type: 'set-weights', values: merged }));
    await Promise.all(reps.map((r) => r.next('weights-set')));
  }

  async close() {
    await Promise.all(this.reps.map((r) => {
      r.post({ type: 'stop' });
      return r.exited;
    }));
  }
}
