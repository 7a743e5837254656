// Quick convergence check: sketchnet float / xnor / dabn on a QuickDraw subset.
//   flock /tmp/bexnet-cpu.lock npm run train:quick -- \
//     [--classes 20] [--epochs 8] [--batch 64] [--lr 2e-3] [--seed 1] [--out DIR] [--json FILE]
//     [--variants float,xnor,dabn] [--lr-float X] [--lr-xnor X] [--lr-dabn X] [--grad-xnor exact|authors] [--grad-dabn exact|authors]
//     [--block-order conv-bn-pool-sign|bn-sign-conv-pool] [--conv-relu]
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { choiceOption, intOption, numberOption, orExit, parseArgsOrExit } from '../args.js';
import { loadQuickdraw } from '../data/quickdraw.js';
import { setupBackend } from './backend.js';
import { BLOCK_ORDERS, sketchNet, VARIANTS, type Variant } from './models.js';
import { WEIGHT_GRADS } from './quantizers.js';
import { RECIPES } from './recipes.js';
import { train } from './trainer.js';

const { options: o } = parseArgsOrExit(process.argv.slice(2), {
  classes: 'value', epochs: 'value', batch: 'value', lr: 'value', seed: 'value', out: 'value', json: 'value', variants: 'value',
  'lr-float': 'value', 'lr-xnor': 'value', 'lr-dabn': 'value', 'grad-xnor': 'value', 'grad-dabn': 'value',
  'block-order': 'value', 'conv-relu': 'flag',
});
const cfg = orExit(() => ({
  classes: intOption(o, 'classes', 20, 2), epochs: intOption(o, 'epochs', 8), batchSize: intOption(o, 'batch', 64),
  lr: numberOption(o, 'lr', 2e-3), seed: intOption(o, 'seed', 1, 0),
  variants: String(o.variants ?? VARIANTS.join(',')).split(',').map((v) => choiceOption({ variants: v }, 'variants', VARIANTS)),
  gradXnor: choiceOption(o, 'grad-xnor', WEIGHT_GRADS, RECIPES.xnor.weightGrad), gradDabn: choiceOption(o, 'grad-dabn', WEIGHT_GRADS, RECIPES.dabn.weightGrad),
  blockOrder: choiceOption(o, 'block-order', BLOCK_ORDERS, 'bn-sign-conv-pool'),
  lrOf: Object.fromEntries(VARIANTS.map((v) => [v, numberOption(o, `lr-${v}`, numberOption(o, 'lr', 2e-3))])) as Record<Variant, number>,
}));
const { classes, epochs, batchSize, lr, seed, variants, blockOrder, lrOf } = cfg;
const out = typeof o.out === 'string' ? o.out : '', jsonFile = typeof o.json === 'string' ? o.json : '';
const convRelu = o['conv-relu'] === true;
const gradOf = { float: undefined, xnor: cfg.gradXnor, dabn: cfg.gradDabn } as const;
const info = await setupBackend();
tf.enableProdMode();
const t0 = performance.now();
const data = loadQuickdraw({ classes });
console.log(`quickdraw ${classes} classes: ${data.train.n} train / ${data.test.n} test, loaded in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
const rows = [];
console.log(`block order ${blockOrder}${convRelu ? ' + conv ReLU' : ''}`);
console.log(`weight gradients: xnor ${gradOf.xnor}, dabn ${gradOf.dabn}`);
for (const variant of variants) {
  const vlr = lrOf[variant];
  const model = sketchNet({ variant, classes, seed, blockOrder, convRelu, weightGrad: gradOf[variant] });
  const r = await train(model, data, {
    epochs, batchSize, learningRate: vlr, seed, checkpointDir: out ? join(out, variant) : undefined,
    onProgress: (p) => {
      if (p.phase === 'epoch') console.log(`${variant.padEnd(5)} epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(3)} train-acc ${(p.acc * 100).toFixed(1)}% test-acc ${((p.testAcc ?? 0) * 100).toFixed(1)}% ${p.imagesPerSec.toFixed(0)} img/s`);
    },
  });
  rows.push({ variant, blockOrder, convRelu, seed, lr: vlr, grad: gradOf[variant] ?? '-', top1: r.testAcc, epochs, imagesPerSec: +r.imagesPerSec.toFixed(1), seconds: +r.seconds.toFixed(1), history: r.history });
  model.dispose();
}
console.table(rows.map(({ history, ...r }) => r));
for (const { history, ...r } of rows) console.log('RESULT ' + JSON.stringify({ classes, batchSize, ...r }));
if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ backend: info.name, classes, batchSize, lr, seed, rows }, null, 2));
process.exit(0);
