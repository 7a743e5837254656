// Quick convergence check: sketchnet float / xnor / dabn on a QuickDraw subset.
//   flock /tmp/bexnet-cpu.lock npm run train:quick -- [options]   (--help lists them)
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { opt, runScript } from '../args.js';
import { loadQuickdraw } from '../data/quickdraw.js';
import { setupBackend } from './backend.js';
import { BLOCK_ORDERS, sketchNet, VARIANTS, type Variant } from './models.js';
import { WEIGHT_GRADS } from './quantizers.js';
import { ARCH, RECIPES } from './recipes.js';
import { train } from './trainer.js';

const o = runScript('npm run train:quick -- [options]', {
  classes: opt.int('QuickDraw classes', 20, { min: 2 }),
  epochs: opt.int('epochs', 8),
  batch: opt.int('batch size', 64),
  lr: opt.number('learning rate of every variant', 2e-3),
  seed: opt.int('seed', 1, { min: 0 }),
  out: opt.string('checkpoint directory (DIR/VARIANT)', undefined, { placeholder: 'DIR' }),
  json: opt.string('write the rows to FILE', undefined, { placeholder: 'FILE' }),
  variants: opt.choices(VARIANTS, 'variants to train', [...VARIANTS]),
  'lr-float': opt.number('learning rate of float (default --lr)'),
  'lr-xnor': opt.number('learning rate of xnor (default --lr)'),
  'lr-dabn': opt.number('learning rate of dabn (default --lr)'),
  'grad-xnor': opt.choice(WEIGHT_GRADS, 'weight gradient of xnor', RECIPES.xnor.weightGrad ?? 'exact'),
  'grad-dabn': opt.choice(WEIGHT_GRADS, 'weight gradient of dabn', RECIPES.dabn.weightGrad ?? 'authors'),
  'block-order': opt.choice(BLOCK_ORDERS, 'binary block order', ARCH.blockOrder),
  'conv-relu': opt.flag('ReLU after each binary conv'),
});
const { classes, epochs, batch: batchSize, lr, seed, variants } = o;
const blockOrder = o['block-order'], convRelu = o['conv-relu'];
const lrOf: Record<Variant, number> = { float: o['lr-float'] ?? lr, xnor: o['lr-xnor'] ?? lr, dabn: o['lr-dabn'] ?? lr };
const gradOf = { float: undefined, xnor: o['grad-xnor'], dabn: o['grad-dabn'] } as const;
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
    epochs, batchSize, learningRate: vlr, seed, checkpointDir: o.out === undefined ? undefined : join(o.out, variant),
    onProgress: (p) => {
      if (p.phase === 'epoch') console.log(`${variant.padEnd(5)} epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(3)} train-acc ${(p.acc * 100).toFixed(1)}% test-acc ${((p.testAcc ?? 0) * 100).toFixed(1)}% ${p.imagesPerSec.toFixed(0)} img/s`);
    },
  });
  rows.push({ variant, blockOrder, convRelu, seed, lr: vlr, grad: gradOf[variant] ?? '-', top1: r.testAcc, epochs, imagesPerSec: +r.imagesPerSec.toFixed(1), seconds: +r.seconds.toFixed(1), history: r.history });
  model.dispose();
}
console.table(rows.map(({ history, ...r }) => r));
for (const { history, ...r } of rows) console.log('RESULT ' + JSON.stringify({ classes, batchSize, ...r }));
if (o.json !== undefined) writeFileSync(o.json, JSON.stringify({ backend: info.name, classes, batchSize, lr, seed, rows }, null, 2));
process.exit(0);
