// Training-throughput benchmark: images/s of full training steps (forward,
// backward, Adam, latent constraints) for a reference model on random 28x28 data.
//   npm run train:bench -- [--model sketchnet] [--variant dabn]
//        [--batch 128] [--steps 20] [--classes 345] [--workers N] [--profile [--shapes REGEX]] [--json FILE]
// --workers N: data-parallel worker threads (tools/train/parallel.ts), else this thread.
// --profile: one step under tf.profile, kernels by total time (--shapes: print the
// input shapes of kernels whose name matches REGEX).
import * as tf from '@tensorflow/tfjs';
import { choiceOption, intOption, orExit, parseArgsOrExit } from '../args.js';
import { writeRows } from '../bench/common.js';
import { setupBackend } from './backend.js';
import { constrainLatentWeights } from './layers.js';
import { buildModel, MODELS, VARIANTS } from './models.js';
import { trainParallel } from './parallel.js';
import { lossAndAcc, trainableVariables } from './trainer.js';
import { useTrainingForwardConv } from './wasm-kernels.js';

const { options: o } = parseArgsOrExit(process.argv.slice(2), {
  model: 'value', variant: 'value', batch: 'value', steps: 'value', classes: 'value', workers: 'value',
  profile: 'flag', shapes: 'value', json: 'value',
});
const opts = orExit(() => ({
  model: choiceOption(o, 'model', MODELS, 'sketchnet'), variant: choiceOption(o, 'variant', VARIANTS, 'dabn'),
  batch: intOption(o, 'batch', 128), steps: intOption(o, 'steps', 20), classes: intOption(o, 'classes', 345, 2),
  workers: intOption(o, 'workers', 0, 0),
}));
const { model, variant, batch, steps, classes, workers } = opts;

const info = await setupBackend();
tf.enableProdMode();
const m = buildModel(model, { variant, classes, seed: 1 });
let row: Record<string, unknown>;
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
  row = { backend: info.name, simd: info.simd, workers, model, variant, batch, classes, params: m.countParams(), steps, imagesPerSec: +(steps * batch / sec).toFixed(1), msPerStep: +(sec * 1000 / steps).toFixed(1) };
} else {
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
  if (o.profile) {
    const prof = await tf.profile(() => { step(); });
    const agg = new Map<string, { ms: number; n: number }>();
    const shapes = typeof o.shapes === 'string' ? new RegExp(o.shapes) : null;
    for (const k of prof.kernels) {
      if (shapes?.test(k.name)) console.log(`    ${k.name} ${JSON.stringify(k.inputShapes)} ${Number(k.kernelTimeMs).toFixed(1)} ms`);
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
  row = { backend: info.name, simd: info.simd, threads: info.threads, workers: 0, model, variant, batch, classes, params: m.countParams(), steps, imagesPerSec: +(steps * batch / sec).toFixed(1), msPerStep: +(sec * 1000 / steps).toFixed(1), cpuMsPerStep: +(cpuSec * 1000 / steps).toFixed(1), tensors: tf.memory().numTensors };
}
console.log(JSON.stringify(row));
if (typeof o.json === 'string') writeRows(o.json, [row], { backendDescription: info.description });
process.exit(0);
