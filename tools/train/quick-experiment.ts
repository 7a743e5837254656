// Quick convergence check: sketchnet float / xnor / dabn on a QuickDraw subset.
//   flock /tmp/bexnet-cpu.lock node tools/train/run-ts.mjs tools/train/quick-experiment.ts \
//     [--classes 20] [--epochs 8] [--batch 64] [--lr 2e-3] [--seed 1] [--out DIR] [--json FILE]
//     [--variants float,xnor,dabn] [--lr-xnor X] [--lr-dabn X] [--grad-xnor exact|authors] [--grad-dabn exact|authors]
//     [--block-order conv-bn-pool-sign|bn-sign-conv-pool] [--conv-relu]
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadQuickdraw } from '../data/quickdraw.js';
import { setupBackend } from './backend.js';
import { sketchNet, VARIANTS, type BlockOrder, type Variant } from './models.js';
import { quantizerConfig, type WeightGrad } from './quantizers.js';
import { train } from './trainer.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}
const info = await setupBackend();
tf.enableProdMode();
const classes = Number(arg('classes', '20')), epochs = Number(arg('epochs', '8'));
const batchSize = Number(arg('batch', '64')), lr = Number(arg('lr', '2e-3')), seed = Number(arg('seed', '1'));
const out = arg('out', ''), jsonFile = arg('json', '');
const t0 = performance.now();
const data = loadQuickdraw({ classes });
console.log(`quickdraw ${classes} classes: ${data.train.n} train / ${data.test.n} test, loaded in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
const rows = [];
const variants = arg('variants', VARIANTS.join(',')).split(',') as Variant[];
quantizerConfig.grad.xnor = arg('grad-xnor', quantizerConfig.grad.xnor) as WeightGrad;
quantizerConfig.grad.dabn = arg('grad-dabn', quantizerConfig.grad.dabn) as WeightGrad;
const blockOrder = arg('block-order', 'bn-sign-conv-pool') as BlockOrder;
const convRelu = process.argv.includes('--conv-relu');
console.log(`block order ${blockOrder}${convRelu ? ' + conv ReLU' : ''}`);
console.log(`weight gradients: xnor ${quantizerConfig.grad.xnor}, dabn ${quantizerConfig.grad.dabn}`);
for (const variant of variants) {
  const vlr = Number(arg(`lr-${variant}`, String(lr)));
  const model = sketchNet({ variant, classes, seed, blockOrder, convRelu });
  const r = await train(model, data, {
    epochs, batchSize, learningRate: vlr, seed, checkpointDir: out ? join(out, variant) : undefined,
    onProgress: (p) => {
      if (p.phase === 'epoch') console.log(`${variant.padEnd(5)} epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(3)} train-acc ${(p.acc * 100).toFixed(1)}% test-acc ${((p.testAcc ?? 0) * 100).toFixed(1)}% ${p.imagesPerSec.toFixed(0)} img/s`);
    },
  });
  rows.push({ variant, blockOrder, convRelu, seed, lr: vlr, grad: variant === 'float' ? '-' : quantizerConfig.grad[variant], top1: r.testAcc, epochs, imagesPerSec: +r.imagesPerSec.toFixed(1), seconds: +r.seconds.toFixed(1), history: r.history });
  model.dispose();
}
console.table(rows.map(({ history, ...r }) => r));
for (const { history, ...r } of rows) console.log('RESULT ' + JSON.stringify({ classes, batchSize, ...r }));
if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ backend: info.name, classes, batchSize, lr, seed, rows }, null, 2));
process.exit(0);
