// npm run quickstart [-- --classes N --epochs N --out DIR --json FILE]
// The whole story on bundled data: train float, XNOR and DABN sketchnets on
// QuickDraw, export each to .bxn, run them with the sdk, and print one table:
// test accuracy (of the tfjs model and of the .bxn run by the sdk), .bxn size vs
// the tfjs model's size, and latency per image of the sdk vs tfjs-backend-wasm
// running the float model. Binary models store their float last layer as int8
// (per output channel); their first layer (its output is binarized) and the whole
// float model stay f32.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { opt, runScript } from './args.js';
import { timeInterleaved, writeRows } from './bench/common.js';
import { table, kb } from './commands/command.js';
import { loadQuickdraw } from './data/quickdraw.js';
import { exportModel } from './export/export.js';
import { nodeKernelOptions } from './node-kernels.js';
import { setupBackend } from './train/backend.js';
import { saveModel } from './train/file-io.js';
import { sketchNet, VARIANTS } from './train/models.js';
import { SHORT_RECIPES, recipeModelOptions, recipeTrainOptions } from './train/recipes.js';
import { evaluate, train } from './train/trainer.js';
import { loadModel } from '../sdk/index.js';

const o = runScript('npm run quickstart -- [options]', {
  // Sized so the whole command (build included) stays under 5 minutes on a 2-core machine:
  // 3 variants × 20 classes × 80 drawings × 8 epochs = 38,400 training images.
  classes: opt.int('QuickDraw classes (evenly spaced of 345)', 20, { min: 2 }),
  epochs: opt.int('epochs per variant', 8),
  out: opt.string('directory for the trained models and .bxn files (emptied first)', 'quickstart-out', { placeholder: 'DIR' }),
  json: opt.string('write the table rows to FILE', undefined, { placeholder: 'FILE' }),
});
const { classes, epochs, out } = o;
const started = performance.now();

const backend = await setupBackend();
tf.enableProdMode();
const data = loadQuickdraw({ classes });
console.log(`QuickDraw: ${classes} of 345 classes, ${data.train.n} train / ${data.test.n} test drawings (seeded 80/20 split); ${epochs} epochs, 2 workers; models in ${out}/`);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

interface Row { variant: string; top1: number; bxnTop1: number; bxnBytes: number; tfjsBytes: number; sdkMs: number; tfjsFloatMs: number; trainSec: number }
const rows: Row[] = [];
let floatModel: tf.LayersModel | null = null;
const image = data.test.x.subarray(0, 784);
const sdkModels = [];
for (const variant of VARIANTS) {
  const t0 = performance.now();
  const recipe = SHORT_RECIPES[variant];
  const model = sketchNet({ ...recipeModelOptions(recipe), variant, classes, seed: 1 });
  console.log(`\n== ${variant}: training (${model.countParams().toLocaleString()} parameters)`);
  await train(model, data, {
    ...recipeTrainOptions(recipe), epochs, seed: 1, workers: 2,
    onProgress: (p) => { if (p.phase === 'epoch') console.log(`  epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toFixed(3)}  test ${((p.testAcc ?? 0) * 100).toFixed(1)}%  ${p.imagesPerSec.toFixed(0)} img/s`); },
  });
  const trainSec = (performance.now() - t0) / 1000;
  const top1 = evaluate(model, data);
  const dir = join(out, variant);
  const tfjsBytes = await saveModel(model, dir, { bexnet: { dataset: 'quickdraw', classes: data.classes, variant } });
  const { bytes } = exportModel(model, { labels: data.classes, name: `sketchnet-${variant}`, floatEncoding: variant === 'float' ? 'f32' : 'int8' });
  await import('node:fs').then((fs) => fs.writeFileSync(join(out, `${variant}.bxn`), bytes));
  const sdk = await loadModel(bytes, nodeKernelOptions());
  sdkModels.push(sdk);
  // The same test split through the .bxn file and the sdk.
  let correct = 0;
  for (let i = 0; i < data.test.n; i++) {
    const logits = sdk.run(data.test.x.subarray(i * 784, (i + 1) * 784));
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
    if (best === data.test.y[i]) correct++;
  }
  rows.push({ variant, top1, bxnTop1: correct / data.test.n, bxnBytes: bytes.length, tfjsBytes, sdkMs: 0, tfjsFloatMs: 0, trainSec });
  if (variant === 'float') floatModel = model; else model.dispose();
}

// Latency per image, one image at a time, all timed round-robin in this process.
const x1 = tf.tensor4d(image, [1, 28, 28, 1]);
const fns = [() => { tf.tidy(() => (floatModel!.predict(x1) as tf.Tensor).dataSync()); }, ...sdkModels.map((m) => () => { m.run(image); })];
const times = timeInterleaved(fns, { budgetMs: 4000 });
rows.forEach((r, i) => { r.sdkMs = times[i + 1].medianMs; r.tfjsFloatMs = times[0].medianMs; });

console.log(`\nsketchnet on QuickDraw (${classes} classes, ${epochs} epochs, ${backend.name} backend), ${((performance.now() - started) / 60000).toFixed(1)} min in all\n`);
console.log(table([
  ['variant', 'top-1 tfjs', 'top-1 .bxn', '.bxn', 'tfjs model', 'smaller', 'bexnet ms/img', 'tfjs-wasm float ms/img', 'faster'],
  ...rows.map((r) => [r.variant, `${(r.top1 * 100).toFixed(1)}%`, `${(r.bxnTop1 * 100).toFixed(1)}%`, kb(r.bxnBytes), kb(r.tfjsBytes), `${(r.tfjsBytes / r.bxnBytes).toFixed(1)}×`,
    r.sdkMs.toFixed(3), r.tfjsFloatMs.toFixed(3), `${(r.tfjsFloatMs / r.sdkMs).toFixed(1)}×`]),
]));
console.log(`\nNext: bexnet inspect ${out}/dabn.bxn   ·   bexnet export ${out}/dabn -o model.bxn --float-encoding int8`);
writeRows(o.json, rows, { classes, epochs, backend: backend.name });
process.exit(0);
