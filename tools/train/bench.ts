// Training-throughput benchmark: images/s of full training steps (forward,
// backward, Adam, latent constraints) of the training loop (tools/train/trainer.ts)
// for a reference model on random 28x28 data; the first 3 steps are warm-up.
//   npm run train:bench -- [--model sketchnet] [--variant dabn] [--expander 4]
//        [--batch 128] [--steps 20] [--classes 345] [--workers N] [--profile [--shapes REGEX]] [--json FILE]
// --workers N: data-parallel worker threads, 1 (default): this thread.
// --profile: one step under tf.profile, kernels by total time (--shapes: print the
// input shapes of kernels whose name matches REGEX); this thread only.
import * as tf from '@tensorflow/tfjs';
import { opt, orExit, runScript, UsageError } from '../args.js';
import { writeRows } from '../bench/common.js';
import type { Dataset } from '../data/dataset.js';
import { mulberry32 } from '../../sdk/prng.js';
import { setupBackend } from './backend.js';
import { buildModel, MODELS, VARIANTS } from './models.js';
import { train } from './trainer.js';

const WARMUP = 3;
const opts = runScript('npm run train:bench -- [options]', {
  model: opt.choice(MODELS, 'architecture', 'sketchnet'),
  variant: opt.choice(VARIANTS, 'float or binary variant', 'dabn'),
  batch: opt.int('batch size', 128),
  steps: opt.int('timed steps (after 3 warm-up steps)', 20),
  classes: opt.int('classes of the random labels', 345, { min: 2 }),
  expander: opt.int('X-Net with D = C_in / F (expander graphs on the sketchnet\'s conv2..conv5 or the resnet\'s block convs; 0: dense)', 0, { min: 0 }),
  workers: opt.int('data-parallel worker threads (1: this thread)', 1),
  profile: opt.flag('first profile one step (this thread): kernels by total time'),
  shapes: opt.string("with --profile: print the input shapes of kernels whose name matches REGEX", undefined, { placeholder: 'REGEX' }),
  json: opt.string('write the row to FILE', undefined, { placeholder: 'FILE' }),
});
if (opts.profile && opts.workers > 1) orExit(() => { throw new UsageError('--profile times this thread: use --workers 1'); });
const o = opts;
const { model, variant, batch, steps, classes, workers } = opts;
if (o.expander && ![2, 4, 8].includes(o.expander)) orExit(() => { throw new UsageError('--expander takes 2, 4 or 8'); });

const info = await setupBackend();
tf.enableProdMode();
const m = buildModel(model, { variant, classes, seed: 1, ...(o.expander ? { expander: { f: o.expander as 2 | 4 | 8, seed: 1, clampDegree: true } } : {}) });
/** Random images and labels, enough for the warm-up and timed steps in one epoch. */
function randomData(steps: number): Dataset {
  const rand = mulberry32(1), n = batch * steps;
  const x = new Float32Array(n * 784).map(() => rand());
  const y = new Int32Array(n).map(() => Math.floor(rand() * classes));
  return { name: 'random', classes: Array.from({ length: classes }, (_, i) => String(i)), imageShape: [28, 28, 1], train: { x, y, n }, test: { x: x.subarray(0, 784), y: y.subarray(0, 1), n: 1 }, seed: 0 };
}

if (o.profile) {
  await train(m, randomData(WARMUP), { epochs: 1, batchSize: batch, evalEachEpoch: false });
  const prof = await tf.profile(async () => { await train(m, randomData(1), { epochs: 1, batchSize: batch, evalEachEpoch: false }); });
  const agg = new Map<string, { ms: number; n: number }>();
  const shapes = o.shapes === undefined ? null : new RegExp(o.shapes);
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

let tWarm = 0, cpuWarm = process.cpuUsage();
await train(m, randomData(steps + WARMUP), {
  epochs: 1, batchSize: batch, workers, evalEachEpoch: false,
  onProgress: (p) => { if (p.phase === 'batch' && p.batch === WARMUP) { tWarm = performance.now(); cpuWarm = process.cpuUsage(); } },
});
const sec = (performance.now() - tWarm) / 1000;
const cpu = process.cpuUsage(cpuWarm);
// This process's CPU time (all threads): other load on the machine inflates wall time, not this.
const cpuMsPerStep = +((cpu.user + cpu.system) / 1000 / steps).toFixed(1);
const row = { backend: info.name, simd: info.simd, threads: info.threads, workers, model, variant, expander: o.expander || null, batch, classes, params: m.countParams(), steps, imagesPerSec: +(steps * batch / sec).toFixed(1), msPerStep: +(sec * 1000 / steps).toFixed(1), cpuMsPerStep };
console.log(JSON.stringify(row));
writeRows(o.json, [row], { backendDescription: info.description });
process.exit(0);
