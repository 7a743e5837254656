// Training-throughput benchmark: images/s of full training steps (forward,
// backward, Adam, latent constraints) for a reference model on random 28x28 data.
//   node tools/train/run-ts.mjs tools/train/bench.ts [--model sketchnet] [--variant dabn]
//        [--batch 128] [--steps 20] [--classes 345] [--profile]
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './backend.js';
import { buildModel, type ModelName, type Variant } from './models.js';
import { constrainLatentWeights } from './layers.js';
import { lossAndAcc, trainableVariables } from './trainer.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

import { trainParallel } from './parallel.js';
import { useTrainingForwardConv } from './wasm-kernels.js';

const info = await setupBackend();
tf.enableProdMode();
const model = arg('model', 'sketchnet') as ModelName;
const variant = arg('variant', 'dabn') as Variant;
const batch = Number(arg('batch', '128'));
const steps = Number(arg('steps', '20'));
const classes = Number(arg('classes', '345'));
const m = buildModel(model, { variant, classes, seed: 1 });
const workers = Number(arg('workers', '0'));
if (workers > 0) {
  // Data-parallel steps on random data; the first 3 steps are warm-up.
  const n = batch * (steps + 3);
  const x = new Float32Array(n * 784).map(() => Math.random());
  const y = new Int32Array(n).map(() => Math.floor(Math.random() * classes));
  const data = { name: 'random', classes: Array.from({ length: classes }, (_, i) => String(i)), imageShape: [28, 28, 1] as [number, number, number], train: { x, y, n }, test: { x: x.subarray(0, 784), y: y.subarray(0, 1), n: 1 }, seed: 0 };
  let tWarm = 0;
  await trainParallel(m, data, {
    epochs: 1, batchSize: batch, workers, evalEachEpoch: false,
    onProgress: (p) => { if (p.phase === 'batch' && p.batch === 3) tWarm = performance.now(); },
  });
  const sec = (performance.now() - tWarm) / 1000;
  console.log(JSON.stringify({ backend: info.name, simd: info.simd, workers, model, variant, batch, classes, params: m.countParams(), steps, imagesPerSec: +(steps * batch / sec).toFixed(1), msPerStep: +(sec * 1000 / steps).toFixed(1) }));
  process.exit(0);
}
useTrainingForwardConv(true);
const vars = trainableVariables(m);
const opt = tf.train.adam(1e-3);
const xs = tf.randomUniform([batch, 28, 28, 1]);
const ys = tf.oneHot(tf.randomUniform([batch], 0, classes, 'int32'), classes).toFloat();
const step = () => {
  const l = opt.minimize(() => lossAndAcc(m, xs, ys, true).loss, true, vars) as tf.Scalar;
  constrainLatentWeights(m);
  l.dataSync();
  l.dispose();
};
for (let i = 0; i < 3; i++) step();
if (process.argv.includes('--profile')) {
  const prof = await tf.profile(() => { step(); });
  const agg = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) {
    if (process.argv.includes('--shapes') && new RegExp(process.argv[process.argv.indexOf('--shapes') + 1] ?? 'Conv').test(k.name)) console.log(`    ${k.name} ${JSON.stringify(k.inputShapes)} ${Number(k.kernelTimeMs).toFixed(1)} ms`);
    const e = agg.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += Number(k.kernelTimeMs) || 0; e.n++;
    agg.set(k.name, e);
  }
  const rows = [...agg].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, r) => s + r[1].ms, 0);
  console.log(`profile: ${prof.kernels.length} kernels, ${total.toFixed(0)} ms kernel time`);
  for (const [n, e] of rows.slice(0, 25)) console.log(`  ${n.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms  x${e.n}`);
}
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < steps; i++) step();
const sec = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(c0);
const cpuSec = (cpu.user + cpu.system) / 1e6; // this process only (other load on the machine inflates wall time)
const params = m.countParams();
console.log(JSON.stringify({ backend: info.name, simd: info.simd, threads: info.threads, model, variant, batch, classes, params, steps, imagesPerSec: +(steps * batch / sec).toFixed(1), msPerStep: +(sec * 1000 / steps).toFixed(1), cpuMsPerStep: +(cpuSec * 1000 / steps).toFixed(1), tensors: tf.memory().numTensors }));
process.exit(0);
