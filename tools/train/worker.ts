// Worker side of tools/train/parallel.ts: one model replica on its own wasm
// backend. Per step: gradients of its share of the batch → its slot of a shared
// gradient buffer; on 'apply', the mean of all slots → the same Adam update in
// every replica (replicas stay identical: same ops, same inputs, same backend).
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { setupBackend } from './backend.js';
import './layers.js';
import { constrainLatentWeights } from './layers.js';
import { lossAndAcc, trainableVariables } from './trainer.js';
import { useTrainingForwardConv } from './wasm-kernels.js';

interface Init {
  rank: number; workers: number;
  modelJSON: string; weights: Float32Array[];
  images: SharedArrayBuffer; labels: SharedArrayBuffer; imageShape: [number, number, number]; classes: number;
  grads: SharedArrayBuffer; paramCount: number; lr: number;
}

const init = workerData as Init;
const port = parentPort!;
await setupBackend({ quiet: true, prefer: 'wasm' });
useTrainingForwardConv(true); // this thread only trains
tf.enableProdMode();
const model = await tf.models.modelFromJSON(JSON.parse(init.modelJSON));
model.setWeights(init.weights.map((w, i) => tf.tensor(w, model.weights[i].shape as number[])));
const vars = trainableVariables(model);
const optimizer = tf.train.adam(init.lr);
const images = new Float32Array(init.images), labels = new Int32Array(init.labels);
const grads = new Float32Array(init.grads);
const size = init.imageShape[0] * init.imageShape[1] * init.imageShape[2];
const P = init.paramCount;
const counts = new Float64Array(init.workers);
let lastApplyMs = 0;

port.on('message', (msg: { type: string; idx?: Int32Array; lr?: number; counts?: number[]; values?: Float32Array[] }) => {
  if (msg.type === 'step') {
    const t0 = performance.now();
    const idx = msg.idx!;
    const n = idx.length;
    const x = new Float32Array(n * size), y = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      x.set(images.subarray(idx[j] * size, (idx[j] + 1) * size), j * size);
      y[j] = labels[idx[j]];
    }
    let loss = 0, acc = 0;
    tf.tidy(() => {
      const xs = tf.tensor4d(x, [n, ...init.imageShape]);
      const ys = tf.oneHot(tf.tensor1d(y, 'int32'), init.classes).toFloat();
      let accT: tf.Scalar | null = null;
      const { value, grads: g } = tf.variableGrads(() => {
        const r = lossAndAcc(model, xs, ys, true);
        accT = tf.keep(r.acc);
        return r.loss;
      }, vars);
      loss = value.dataSync()[0];
      acc = (accT as unknown as tf.Scalar).dataSync()[0];
      (accT as unknown as tf.Scalar).dispose();
      let off = init.rank * P;
      for (const v of vars) {
        const d = g[v.name].dataSync() as Float32Array;
        grads.set(d, off);
        off += d.length;
      }
    });
    port.postMessage({ type: 'grads', loss, acc, n, ms: performance.now() - t0, applyMs: lastApplyMs });
  } else if (msg.type === 'apply') {
    const t0 = performance.now();
    (optimizer as unknown as { learningRate: number }).learningRate = msg.lr!;
    msg.counts!.forEach((c, i) => (counts[i] = c));
    const total = counts.reduce((a, b) => a + b, 0);
    tf.tidy(() => {
      const named: Record<string, tf.Tensor> = {};
      let off = 0;
      for (const v of vars) {
        const len = v.size;
        const avg = new Float32Array(len);
        for (let r = 0; r < init.workers; r++) {
          const wgt = counts[r] / total;
          if (!wgt) continue;
          const src = grads.subarray(r * P + off, r * P + off + len);
          for (let i = 0; i < len; i++) avg[i] += wgt * src[i];
        }
        named[v.name] = tf.tensor(avg, v.shape);
        off += len;
      }
      optimizer.applyGradients(named as tf.NamedTensorMap as never);
    });
    constrainLatentWeights(model);
    lastApplyMs = performance.now() - t0;
  } else if (msg.type === 'get-weights') {
    port.postMessage({ type: 'weights', values: model.getWeights().map((w) => w.dataSync() as Float32Array) });
  } else if (msg.type === 'set-weights') {
    model.setWeights(msg.values!.map((w, i) => tf.tensor(w, model.weights[i].shape as number[])));
    port.postMessage({ type: 'weights-set' });
  } else if (msg.type === 'stop') {
    port.close();
    process.exit(0);
  }
});
port.postMessage({ type: 'ready' });
