// A data-parallel training replica (tools/train/parallel.ts), one per worker thread,
// on its own wasm backend. Per step: gradients of its share of the batch (the shared
// step of tools/train/step.ts) → its slot of a shared gradient buffer; on 'apply',
// the count-weighted mean of all slots → the same optimizer update in every replica
// (replicas stay identical: same ops, same inputs, same backend).
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { setupBackend } from './backend.js';
import './layers.js'; // registers the binary layer classes for modelFromJSON
import './expander-layers.js'; // and the X-layers
import type { ToWorker, WorkerInit } from './parallel.js';
import { applyGradients, batchGradients, batchTransform, gatherBatch, makeOptimizer, trainableVariables, updateTarget } from './step.js';
import { useTrainingForwardConv } from './wasm-kernels.js';

const init = workerData as WorkerInit;
const port = parentPort!;
await setupBackend({ quiet: true, prefer: 'wasm' });
useTrainingForwardConv(true); // this thread only trains
tf.enableProdMode();
const model = await tf.models.modelFromJSON(JSON.parse(init.modelJSON));
model.setWeights(init.weights.map((w, i) => tf.tensor(w, model.weights[i].shape as number[])));
const vars = trainableVariables(model);
const optimizer = makeOptimizer(init.cfg, init.lr);
const split = { x: new Float32Array(init.images), y: new Int32Array(init.labels), n: init.n };
const transform = batchTransform(init.cfg);
const target = updateTarget(model, init.cfg);
const grads = new Float32Array(init.grads);
const P = init.paramCount;
let lastApplyMs = 0;

/** The count-weighted mean of every replica's gradient slot, per variable. */
function averagedGradients(counts: number[], slot: number): tf.NamedTensorMap {
  const total = counts.reduce((a, b) => a + b, 0);
  const named: tf.NamedTensorMap = {};
  let off = 0;
  for (const v of vars) {
    const len = v.size;
    const avg = new Float32Array(len);
    for (let r = 0; r < init.workers; r++) {
      const wgt = counts[r] / total;
      if (!wgt) continue;
      const at = (slot * init.workers + r) * P + off;
      const src = grads.subarray(at, at + len);
      for (let i = 0; i < len; i++) avg[i] += wgt * src[i];
    }
    named[v.name] = tf.tensor(avg, v.shape);
    off += len;
  }
  return named;
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'step') {
    const t0 = performance.now();
    // A short last batch can leave a replica no images: nothing to compute, weight 0 in the mean.
    if (msg.idx.length === 0) return port.postMessage({ type: 'grads', loss: 0, acc: 0, n: 0, ms: 0, applyMs: lastApplyMs });
    const batch = gatherBatch(split, init.cfg, msg.idx, msg.epoch, transform);
    const n = batch.n;
    const { loss, acc } = batchGradients(model, vars, init.cfg, batch, { idx: msg.idx, epoch: msg.epoch }, (g) => {
      let off = (msg.slot * init.workers + init.rank) * P;
      for (const v of vars) {
        const d = g[v.name].dataSync() as Float32Array;
        grads.set(d, off);
        off += d.length;
      }
    });
    port.postMessage({ type: 'grads', loss, acc, n, ms: performance.now() - t0, applyMs: lastApplyMs });
  } else if (msg.type === 'apply') {
    const t0 = performance.now();
    tf.tidy(() => applyGradients(target, optimizer, averagedGradients(msg.counts, msg.slot), msg.lr));
    lastApplyMs = performance.now() - t0;
  } else if (msg.type === 'get-weights') {
    port.postMessage({ type: 'weights', values: model.getWeights().map((w) => w.dataSync() as Float32Array) });
  } else if (msg.type === 'set-weights') {
    model.setWeights(msg.values.map((w, i) => tf.tensor(w, model.weights[i].shape as number[])));
    port.postMessage({ type: 'weights-set' });
  } else if (msg.type === 'stop') {
    port.close();
    process.exit(0);
  }
});
port.postMessage({ type: 'ready' });
