// Data-parallel training on N worker threads (default 2 = this machine's cores).
// tfjs-backend-wasm runs XNNPACK single-threaded under Node, so one process uses
// one core; here each worker holds a replica, computes gradients on its share of
// every batch, and all replicas apply the same averaged Adam update. Batch norm
// uses per-worker batch statistics (like DDP without SyncBN); the moving averages
// are averaged across workers before every evaluation/checkpoint.
//
// Same options and result as train() (tools/train/trainer.ts). The model passed in
// is updated with the final weights.
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { entryUrl } from '../entries.mjs';
import type { Dataset } from '../data/dataset.js';
import { mulberry32, permutation } from '../../sdk/prng.js';
import { saveModel } from './file-io.js';
import { evaluate, lrAt, trainableVariables, type TrainOptions, type TrainResult } from './trainer.js';

/** The worker bundle (dist/train-worker.mjs, built by `npm run build`). */
function workerScript(): URL {
  const url = entryUrl('train-worker');
  if (!existsSync(url)) throw new Error(`${fileURLToPath(url)} not found: run \`npm run build\` first`);
  return url;
}

type Msg = { type: string; loss?: number; acc?: number; n?: number; values?: Float32Array[]; ms?: number; applyMs?: number };

class Replica {
  private waiters: ((m: Msg) => void)[] = [];
  private queue: Msg[] = [];
  constructor(readonly w: Worker) {
    w.on('message', (m: Msg) => {
      const f = this.waiters.shift();
      if (f) f(m); else this.queue.push(m);
    });
    w.on('error', (e) => { throw e; });
  }
  next(): Promise<Msg> {
    const m = this.queue.shift();
    return m ? Promise.resolve(m) : new Promise((r) => this.waiters.push(r));
  }
}

export async function trainParallel(model: tf.LayersModel, data: Dataset, opts: TrainOptions & { workers?: number }): Promise<TrainResult> {
  const workers = opts.workers ?? 2;
  const batchSize = opts.batchSize ?? 128;
  const baseLr = opts.learningRate ?? 2e-3;
  const schedule = opts.schedule ?? 'cosine';
  const seed = opts.seed ?? 1;
  const every = Math.max(1, opts.progressEvery ?? 1);
  const split = data.train;
  const size = data.imageShape[0] * data.imageShape[1] * data.imageShape[2];
  const images = new SharedArrayBuffer(split.n * size * 4), labels = new SharedArrayBuffer(split.n * 4);
  new Float32Array(images).set(split.x);
  new Int32Array(labels).set(split.y);
  const paramCount = trainableVariables(model).reduce((s, v) => s + v.size, 0);
  const grads = new SharedArrayBuffer(workers * paramCount * 4);
  const script = workerScript();
  const modelJSON = JSON.stringify(model.toJSON(null, false));
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  const reps: Replica[] = [];
  for (let rank = 0; rank < workers; rank++) {
    reps.push(new Replica(new Worker(script, {
      workerData: { rank, workers, modelJSON, weights, images, labels, imageShape: data.imageShape, classes: data.classes.length, grads, paramCount, lr: baseLr },
    })));
  }
  await Promise.all(reps.map((r) => r.next())); // ready

  /** Trainable weights from replica 0, moving statistics averaged over replicas → model and replicas. */
  const sync = async () => {
    reps.forEach((r) => r.w.postMessage({ type: 'get-weights' }));
    const all = await Promise.all(reps.map((r) => r.next()));
    const trainable = new Set(model.trainableWeights.map((w) => w.originalName));
    const merged = model.weights.map((w, i) => {
      if (trainable.has(w.originalName)) return all[0].values![i];
      const avg = new Float32Array(all[0].values![i].length);
      for (const a of all) a.values![i].forEach((v, j) => (avg[j] += v / all.length));
      return avg;
    });
    model.setWeights(merged.map((v, i) => tf.tensor(v, model.weights[i].shape as number[])));
    reps.forEach((r) => r.w.postMessage({ type: 'set-weights', values: merged }));
    await Promise.all(reps.map((r) => r.next()));
  };

  const batches = Math.ceil(split.n / batchSize);
  const totalSteps = Math.min(opts.epochs * batches, opts.maxSteps ?? Infinity);
  const history: TrainResult['history'] = [];
  let step = 0, images_ = 0, trainSec = 0;
  const t0 = performance.now();
  try {
    for (let epoch = 1; epoch <= opts.epochs && step < totalSteps; epoch++) {
      const idx = permutation(split.n, mulberry32((seed * 1000003 + epoch) >>> 0));
      let lossSum = 0, accSum = 0, seen = 0, epochImages = 0;
      const te = performance.now();
      for (let b = 0; b < batches && step < totalSteps; b++) {
        const from = b * batchSize, to = Math.min(split.n, from + batchSize);
        const n = to - from;
        const per = Math.ceil(n / workers);
        reps.forEach((r, k) => {
          const s = from + k * per, e = Math.min(to, s + per);
          r.w.postMessage({ type: 'step', idx: idx.slice(Math.min(s, to), Math.max(Math.min(s, to), e)) });
        });
        const res = await Promise.all(reps.map((r) => r.next()));
        if (process.env.BEXNET_TRACE) console.error(`step ${step}: grads ${res.map((m) => m.ms!.toFixed(0)).join('/')} ms, previous apply ${res.map((m) => m.applyMs!.toFixed(0)).join('/')} ms`);
        const lr = lrAt(baseLr, schedule, step, totalSteps);
        const counts = res.map((m) => m.n!);
        reps.forEach((r) => r.w.postMessage({ type: 'apply', lr, counts }));
        for (const m of res) { lossSum += m.loss! * m.n!; accSum += m.acc! * m.n!; }
        seen += n; step++; images_ += n; epochImages += n;
        if (opts.onProgress && (b % every === every - 1 || b === batches - 1)) {
          const ips = images_ / (trainSec + (performance.now() - te) / 1000);
          opts.onProgress({ phase: 'batch', epoch, epochs: opts.epochs, batch: b + 1, batches, loss: lossSum / seen, acc: accSum / seen, imagesPerSec: ips, etaSec: ((totalSteps - step) * batchSize) / ips, lr });
        }
      }
      const epochSec = (performance.now() - te) / 1000;
      trainSec += epochSec;
      await sync();
      const rec: TrainResult['history'][number] = { epoch, loss: lossSum / seen, acc: accSum / seen, imagesPerSec: epochImages / epochSec };
      if (opts.evalEachEpoch !== false) rec.testAcc = evaluate(model, data);
      history.push(rec);
      if (opts.checkpointDir) await saveModel(model, opts.checkpointDir, { bexnet: { epoch, history, dataset: data.name, classes: data.classes, seed, workers } });
      opts.onProgress?.({ phase: 'epoch', epoch, epochs: opts.epochs, batch: batches, batches, loss: rec.loss, acc: rec.acc, imagesPerSec: images_ / trainSec, etaSec: 0, lr: lrAt(baseLr, schedule, step, totalSteps), testAcc: rec.testAcc });
    }
  } finally {
    await Promise.all(reps.map((r) => { r.w.postMessage({ type: 'stop' }); return new Promise((res) => r.w.once('exit', res)); }));
  }
  const seconds = (performance.now() - t0) / 1000;
  return { epochs: history.length, steps: step, seconds, imagesPerSec: images_ / trainSec, history, testAcc: history.at(-1)?.testAcc };
}
